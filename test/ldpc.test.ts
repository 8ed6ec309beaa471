import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { convergesMonteCarlo, thresholdSnr } from '../src/postprocessing/density-evolution.ts';
import { buildCode, checkDegrees, expandCode, chooseCode, CODE_LADDER, codeId, ensembleRate, parseCodeId, syndrome, type LadderEntry, type LdpcCode } from '../src/postprocessing/ldpc-code.ts';
import { liftedShape } from '../src/postprocessing/ldpc-lifting.ts';
import { decode } from '../src/postprocessing/ldpc-decoder.ts';
import { Xoshiro128 } from '../src/postprocessing/prng.ts';
import { aliceBlock, bobBlock } from '../src/postprocessing/reconciliation.ts';

/** The ladder code Bob picks at the default link (SNR 0.72 per real dimension) with a 0.2 dB margin. */
const DEFAULT_LINK_SNR = 0.72;
const entry: LadderEntry = chooseCode(DEFAULT_LINK_SNR, 0.2)!.entry;
/** Tests use 2^14-bit blocks (the default is 2^16): the same ensemble, four times faster. */
const N = 1 << 14;

function randomBits(rng: Xoshiro128, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => rng.nextUint32() & 1);
}

/** BPSK over AWGN at the given SNR: the channel LLRs 2y/sigma² of Bob's bits. */
function channelLlrs(rng: Xoshiro128, bits: Uint8Array, snr: number): Float64Array {
  const sigma = 1 / Math.sqrt(snr);
  return Float64Array.from(bits, (b) => (2 * ((b ? -1 : 1) + sigma * rng.nextGaussian())) / (sigma * sigma));
}

describe('density evolution', () => {
  it('reproduces the published (3,6) thresholds: 0.8747 under the Gaussian approximation, 0.8809 exactly (Chung et al. 2001)', () => {
    expect(1 / Math.sqrt(thresholdSnr([[3, 1]], [[6, 1]]))).toBeCloseTo(0.8747, 3);
    expect(convergesMonteCarlo([[3, 1]], [[6, 1]], 0.86 ** 2, 5000)).toBe(true);
    expect(convergesMonteCarlo([[3, 1]], [[6, 1]], 0.9 ** 2, 5000)).toBe(false);
  });

  it('every ladder entry has the rate of its identifier and a threshold below capacity', () => {
    for (const e of CODE_LADDER) {
      expect(ensembleRate(e)).toBeCloseTo(e.permille / 1000, 9);
      // Shannon: rate <= 1/2 log2(1 + SNR) at the threshold.
      expect(e.permille / 1000).toBeLessThan(0.5 * Math.log2(1 + e.thresholdSnr));
    }
  });
});

describe('parity-check matrices', () => {
  it('expand identically from an identifier, with the rate and degrees it names', () => {
    const id = codeId(entry.permille, N);
    expect(id).toBe(`qosst-ldpc2-R${entry.permille}-N${N}`);
    const a = buildCode(id);
    expect(buildCode(id)).toBe(a);
    const again = expandCode(id);
    expect(again.checkPtr).toEqual(a.checkPtr);
    expect(again.checkVars).toEqual(a.checkVars);
    expect(a.n).toBe(N);
    // Lifted by Z = 64 from 256 base columns: the rate is 1 - mb/256, within 1/512 of the nominal one.
    const shape = liftedShape(N, entry.permille / 1000);
    expect(shape).toMatchObject({ z: 64, nb: 256 });
    expect(a.m).toBe(shape.mb * shape.z);
    expect(Math.abs(a.rate - entry.permille / 1000)).toBeLessThanOrEqual(1 / 512);
    // Each degree's share of the variables is the entry's, to one base column (1/256).
    const degree = new Int32Array(N);
    for (const v of a.checkVars) degree[v]! += 1;
    for (const [d, f] of entry.variables) {
      const share = degree.filter((x) => x === d).length / N;
      expect(Math.abs(share - f)).toBeLessThanOrEqual(1 / 256 + 1e-9);
    }
    // No check holds the same variable twice.
    for (let c = 0; c < a.m; c++) {
      const vars = a.checkVars.subarray(a.checkPtr[c]!, a.checkPtr[c + 1]!);
      expect(new Set(vars).size).toBe(vars.length);
    }
    const other = buildCode(codeId(entry.permille, N * 2));
    expect(other.n).toBe(2 * N);
    expect(other.checkVars).not.toEqual(a.checkVars);
  });

  it('ldpc2 has girth at least 6 (no two checks share two variables); ldpc1 does not', () => {
    expect(fourCycles(buildCode(codeId(entry.permille, N)))).toBe(0);
    expect(fourCycles(buildCode(codeId(entry.permille, N, 1)))).toBeGreaterThan(0);
  });

  it('are pinned: both sides of any version expand qosst-ldpc1-R327-N1024 into the same matrix', () => {
    // Little-endian Int32 row pointers then column indices; a change of construction must change the id.
    const code = expandCode('qosst-ldpc1-R327-N1024');
    const digest = createHash('sha256').update(Buffer.from(code.checkPtr.buffer)).update(Buffer.from(code.checkVars.buffer)).digest('hex');
    expect(digest).toBe('678f8b4963351ce48dd1914a1eca69f31e286a6c2e5df8e802bcfbda4ea229b4');
  });

  it('are pinned: qosst-ldpc2-R327-N1024 expands into the same matrix on both sides of any version', () => {
    const code = expandCode('qosst-ldpc2-R327-N1024');
    const digest = createHash('sha256').update(Buffer.from(code.checkPtr.buffer)).update(Buffer.from(code.checkVars.buffer)).digest('hex');
    expect(digest).toBe('0fd5466dd34022f1ec7d90b2b6fcabe48951aa6c3ab0e6e7a59c20d79ff2f7f3');
  });

  it('refuse unknown identifiers with a message fit for EC_DENIED', () => {
    expect(parseCodeId('qosst-ldpc2-R999-N65536')).toEqual({ error: expect.stringMatching(/no code of rate 999/) });
    expect(parseCodeId('qosst-ldpc2-R' + entry.permille + '-N12')).toEqual({ error: expect.stringMatching(/block length 12/) });
    expect(parseCodeId('matrix')).toEqual({ error: expect.stringMatching(/unknown code identifier/) });
    expect(parseCodeId('qosst-ldpc3-R327-N65536')).toEqual({ error: expect.stringMatching(/unknown code identifier/) });
    expect(parseCodeId('qosst-ldpc1-R327-N65536')).toMatchObject({ n: 65536, construction: 1 });
  });

  it('have check degrees that make the design rate exact', () => {
    const checks = checkDegrees(entry.variables, entry.permille / 1000);
    expect(checks.reduce((s, [, f]) => s + f, 0)).toBeCloseTo(1, 12);
  });
});

/** Pairs of variables that share more than one check: each is a 4-cycle of the Tanner graph. */
function fourCycles(code: LdpcCode): number {
  const checksOf: number[][] = Array.from({ length: code.n }, () => []);
  for (let c = 0; c < code.m; c++) for (let e = code.checkPtr[c]!; e < code.checkPtr[c + 1]!; e++) checksOf[code.checkVars[e]!]!.push(c);
  let pairs = 0;
  const shared = new Int32Array(code.n);
  for (let v = 0; v < code.n; v++) {
    const touched: number[] = [];
    for (const c of checksOf[v]!) {
      for (let e = code.checkPtr[c]!; e < code.checkPtr[c + 1]!; e++) {
        const w = code.checkVars[e]!;
        if (w <= v) continue;
        shared[w] = shared[w]! + 1;
        if (shared[w] === 2) pairs++;
        touched.push(w);
      }
    }
    for (const w of touched) shared[w] = 0;
  }
  return pairs;
}

describe('belief-propagation decoding', () => {
  const code = buildCode(codeId(entry.permille, N));

  it('corrects 100 seeded blocks 0.5 dB above the threshold with a block error rate below 10 %', () => {
    const rng = new Xoshiro128('bler-above-threshold');
    const snr = entry.thresholdSnr * 10 ** (0.5 / 10);
    let failures = 0;
    for (let b = 0; b < 100; b++) {
      const bits = randomBits(rng, N);
      const result = decode(code, channelLlrs(rng, bits, snr), syndrome(code, bits));
      if (!result.ok) failures++;
      // A block that satisfies the syndrome is Bob's block (no undetected error in this run).
      else expect(result.bits).toEqual(bits);
    }
    expect(failures).toBeLessThan(10);
  }, 300_000);

  it('fails cleanly far below the threshold: every block reported not corrected, answered as EC_BLOCK_ERROR', () => {
    const rng = new Xoshiro128('far-below-threshold');
    const snr = entry.thresholdSnr * 10 ** (-3 / 10);
    for (let b = 0; b < 5; b++) {
      const bits = randomBits(rng, N);
      const result = decode(code, channelLlrs(rng, bits, snr), syndrome(code, bits), { maxIterations: 60 });
      expect(result).toMatchObject({ ok: false, iterations: 60 });
    }
    // Through the reconciliation API, with the multidimensional mapping: an error message for EC_BLOCK_ERROR.
    const x = Float64Array.from({ length: N }, () => rng.nextGaussian());
    const g = Math.sqrt(snr);
    const y = x.map((v) => g * v + rng.nextGaussian());
    const bob = bobBlock(code, 8, y, randomBits(rng, N));
    const alice = aliceBlock(code.id, 8, x, bob, { gain: g, noiseVariance: 1 }, { maxIterations: 60 });
    expect(alice).toEqual({ ok: false, error: 'Block not corrected after 60 iterations.', iterations: 60 });
    expect(aliceBlock(code.id, 8, x, { syndrome: bob.syndrome.subarray(1), sideInformation: bob.sideInformation }, { gain: g, noiseVariance: 1 })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/Wrong syndrome length/),
    });
  });

  // The dimension-8 channel is a BIAWGN channel with a chi-distributed gain that Alice only estimates:
  // it needs about 0.5 dB more than the BIAWGN threshold (README, "Reconciliation").
  it("reconciles Gaussian data through the dimension-8 mapping 1 dB above the threshold: Alice ends with Bob's bits", () => {
    const rng = new Xoshiro128('md-reconciliation');
    const snr = entry.thresholdSnr * 10 ** (1 / 10);
    // y = g x + z with Var(x) = 1, Var(z) = 1: SNR = g².
    const g = Math.sqrt(snr);
    let corrected = 0;
    for (let b = 0; b < 10; b++) {
      const x = Float64Array.from({ length: N }, () => rng.nextGaussian());
      const y = x.map((v) => g * v + rng.nextGaussian());
      const bob = bobBlock(code, 8, y, randomBits(rng, N));
      const alice = aliceBlock(code.id, 8, x, bob, { gain: g, noiseVariance: 1 });
      if (alice.ok) {
        expect(alice.bits).toEqual(bob.bits);
        corrected++;
      }
    }
    expect(corrected).toBeGreaterThanOrEqual(9);
  }, 120_000);
});
