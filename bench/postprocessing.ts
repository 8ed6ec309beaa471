/**
 * Reconciliation and privacy-amplification benchmarks, each against a
 * baseline measured in the same run:
 *  - Alice's block correction (multidimensional LLRs + layered sum-product
 *    decoding) at the default link's SNR, in reconciled bits per second of
 *    one core's CPU time, against Bob's syndrome computation over the same
 *    matrix (one pass over the edges); with the code Bob picks, the achieved
 *    beta and the block error rate;
 *  - Toeplitz hashing of 10^6 bits by FFT, against the naive product
 *    (timed on a few hundred rows and scaled to the output length).
 * Times are CPU times of this process (one core), not wall clock: the
 * machine may be shared. BENCH_EC_BLOCKS (default 10) and
 * BENCH_EC_MARGIN_DB (Bob's margin, default DEFAULT_MARGIN_DB) tune the first.
 */
import { awgnCapacity } from '../src/postprocessing/density-evolution.ts';
import { buildCode, chooseCode, DEFAULT_MARGIN_DB, syndrome } from '../src/postprocessing/ldpc-code.ts';
import { Xoshiro128 } from '../src/postprocessing/prng.ts';
import { aliceBlock, bobBlock } from '../src/postprocessing/reconciliation.ts';
import { toeplitzHash } from '../src/postprocessing/toeplitz.ts';

export type Record = (name: string, ours: number, baseline: number, unit: string, higherIsBetter: boolean) => void;

/**
 * The default link of the README (10 km at 0.2 dB/km, xi = 0.01 SNU, eta = 0.6,
 * Vel = 0.05 SNU, Va = 4 SNU, heterodyne): per quadrature Bob measures
 * y = sqrt(eta T / 2) x + z with Var(z) = 1 + eta T xi / 2 + Vel (shot-noise
 * units, Laudenbach et al. 2018), hence SNR = (eta T / 2) Va / Var(z) = 0.72.
 */
export function defaultLink() {
  const T = 10 ** (-(0.2 * 10) / 10);
  const eta = 0.6;
  const gain = Math.sqrt((eta * T) / 2);
  const noiseVariance = 1 + (eta * T * 0.01) / 2 + 0.05;
  const Va = 4;
  return { gain, noiseVariance, Va, snr: (gain * gain * Va) / noiseVariance };
}

function cpuSeconds(fn: () => void): number {
  const start = process.cpuUsage();
  fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

export function postprocessingBench(record: Record, log: (line: string) => void): void {
  const blocks = Number(process.env.BENCH_EC_BLOCKS ?? 10);
  const link = defaultLink();
  const marginDb = Number(process.env.BENCH_EC_MARGIN_DB ?? DEFAULT_MARGIN_DB);
  const choice = chooseCode(link.snr, marginDb);
  if (!choice) throw new Error('no code for the default link');
  const code = buildCode(choice.id);
  const rng = new Xoshiro128('bench-reconciliation');
  let decodeSeconds = 0;
  let syndromeSeconds = 0;
  let failures = 0;
  let iterations = 0;
  for (let b = 0; b < blocks; b++) {
    // Alice's reals in SNU (variance Va per quadrature), Bob's through the link.
    const x = Float64Array.from({ length: code.n }, () => Math.sqrt(link.Va) * rng.nextGaussian());
    const y = x.map((v) => link.gain * v + Math.sqrt(link.noiseVariance) * rng.nextGaussian());
    const bits = Uint8Array.from({ length: code.n }, () => rng.nextUint32() & 1);
    const bob = bobBlock(code, 8, y, bits);
    syndromeSeconds += cpuSeconds(() => syndrome(code, bits));
    let result: ReturnType<typeof aliceBlock> | undefined;
    decodeSeconds += cpuSeconds(() => (result = aliceBlock(code.id, 8, x, bob, link)));
    iterations += result!.iterations;
    if (!result!.ok) failures++;
  }
  const beta = code.rate / awgnCapacity(link.snr);
  log(
    `reconciliation at the default link: SNR ${link.snr.toFixed(3)}, code ${code.id} (threshold SNR ${choice.entry.thresholdSnr}, margin ${marginDb} dB), ` +
      `dimension 8, beta ${beta.toFixed(3)}, block error rate ${failures}/${blocks}, ${(iterations / blocks).toFixed(1)} iterations per block`,
  );
  record('Alice corrects a block (dimension 8, sum-product) vs Bob computes its syndrome', (blocks * code.n) / decodeSeconds / 1e3, (blocks * code.n) / syndromeSeconds / 1e3, 'kbit/s', true);

  const n = 1_000_000;
  const m = 200_000;
  const key = Uint8Array.from({ length: n }, () => rng.nextUint32() & 1);
  const diagonal = Uint8Array.from({ length: n + m - 1 }, () => rng.nextUint32() & 1);
  const fftMs = cpuSeconds(() => toeplitzHash(key, diagonal, m)) * 1e3;
  const rows = 200;
  const naiveMs =
    (cpuSeconds(() => {
      for (let i = 0; i < rows; i++) {
        let bit = 0;
        for (let j = 0; j < n; j++) bit ^= diagonal[i - j + n - 1]! & key[j]!;
        if (bit > 1) throw new Error('unreachable');
      }
    }) *
      1e3 *
      m) /
    rows;
  record(`Toeplitz hash of ${n} bits to ${m} bits: FFT vs naive product (scaled from ${rows} rows)`, fftMs, naiveMs, 'ms', false);
}
