/**
 * Bob's simulated receiver: the `BobBackend` behind `qosst-bob run` and
 * `npm start`. It sees the link only as a real receiver would: the light
 * its simulated detector (src/sim/detector.ts) measures from the fibre's
 * output, the detector's calibration samples, and what Alice reveals over
 * the control channel (PE_SYMBOLS_RESPONSE, PE_NPHOTON_RESPONSE). From
 * those it estimates the channel (src/physics/estimation.ts).
 *
 * Until an error-correcting code replaces it, reconciliation uses the
 * identity code: Bob's key is the sign of each kept real quadrature (reverse
 * reconciliation: his data is the reference) and his EC blocks are those
 * bits themselves, so both sides end with the same key but none of it is
 * secret.
 */
import type { BobBackend, EstimationInput, EstimationReport } from '../bob/backend.ts';
import { estimateParameters } from '../physics/estimation.ts';
import { secretKeyRate } from '../physics/key-rate.ts';
import { finalKeyLength } from '../protocol/pa-request.ts';
import type { ContentOf } from '../protocol/schemas.ts';
import { createDetector, type Calibration, type DetectorConfig, type Measurement } from './detector.ts';
import type { FibreOutput } from './fibre-link.ts';
import { createRandomSource, type RandomSource } from './gaussian-source.ts';
import { keyBits, keyHash } from './key-bits.ts';

export interface SimulatedBobOptions {
  /** Where the light comes from. */
  fibre: FibreOutput;
  /** Frame size and Va asked for in INITIALIZATION_REQUEST (Alice's are adopted after INITIALIZATION_PROPOSAL). */
  symbols?: number;
  variance?: number;
  /** The detector: eta, Vel (SNU), shot-noise variance in its units. */
  efficiency?: number;
  electronicNoise?: number;
  shotNoise?: number;
  /** Symbols revealed for parameter estimation (at most half the frame). */
  estimationSymbols?: number;
  /** Shot-noise and electronic-noise calibration samples per frame (default: the frame's size). */
  calibrationSamples?: number;
  /** Failure probability of the estimation's confidence region. */
  epsilonPE?: number;
  /** Reconciliation efficiency the key rate assumes. */
  beta?: number;
  /** How long to wait for the frame's light. */
  lightTimeoutMs?: number;
  polarisationRecovery?: boolean;
  /** Only for reproducible tests. */
  seed?: string;
  /** PA_REQUEST in the specification's form (default) or the deployed `{seed, secret_key_ratio}` (wire notes 23). */
  paForm?: 'specification' | 'ratio';
}

export const BOB_DEFAULTS = {
  symbols: 1_000_000,
  variance: 4,
  efficiency: 0.6,
  electronicNoise: 0.05,
  estimationSymbols: 500_000,
  epsilonPE: 1e-10,
  beta: 0.95,
  lightTimeoutMs: 10_000,
} as const;

/** Bob's data for one frame, for reconciliation and tests. */
export interface BobFrame {
  uuid: string;
  /** His measured quadratures, detector units. */
  measurement: Measurement;
  calibration: Calibration;
  /** Indices revealed for parameter estimation, ascending. */
  revealed: readonly number[];
  /** The shot noise N0 he estimated (detector units): measurement / sqrt(N0) is in SNU. */
  shotNoise?: number;
  estimation?: EstimationReport;
}

export interface SimulatedBob extends BobBackend {
  /** Key bits kept after privacy amplification, for the last frame. */
  readonly secretKeyLength: number;
  /** The frame in progress or last run, or null. */
  currentFrame(): Readonly<BobFrame> | null;
  /** Closes the fibre. */
  close(): Promise<void>;
}

/** Bits per EC_BLOCK. */
const BLOCK_BITS = 1 << 16;

/** `count` distinct indices in [0, n), ascending (a partial Fisher-Yates shuffle). */
function randomIndices(n: number, count: number, random: RandomSource): number[] {
  const pool = new Uint32Array(n);
  for (let i = 0; i < n; i++) pool[i] = i;
  for (let i = 0; i < count; i++) {
    const j = i + random.below(n - i);
    const swap = pool[i]!;
    pool[i] = pool[j]!;
    pool[j] = swap;
  }
  return Array.from(pool.subarray(0, count).sort());
}

export function createSimulatedBob(options: SimulatedBobOptions): SimulatedBob {
  const o = { ...BOB_DEFAULTS, ...options };
  let symbols = o.symbols;
  let variance = o.variance;
  const random = createRandomSource(o.seed);
  const detector = createDetector({ efficiency: o.efficiency, electronicNoise: o.electronicNoise, shotNoise: o.shotNoise } satisfies DetectorConfig, random);
  let frame: BobFrame | null = null;
  let secretKeyLength = 0;

  const requireFrame = (): BobFrame => {
    if (frame === null) throw new Error('no frame has been acquired');
    return frame;
  };
  const key = () => {
    const f = requireFrame();
    return keyBits(f.measurement.real, f.revealed);
  };

  const backend: SimulatedBob = {
    get secretKeyLength() {
      return secretKeyLength;
    },
    currentFrame: () => frame,
    frameParameters: () => ({ num_symbols: symbols, variance }),
    adoptConfig(config) {
      const quantum = (config as { frame?: { quantum?: { num_symbols?: number; variance?: number } } })?.frame?.quantum;
      if (typeof quantum?.num_symbols === 'number') symbols = quantum.num_symbols;
      if (typeof quantum?.variance === 'number') variance = quantum.variance;
    },
    ...(options.polarisationRecovery ? { polarisationRecovery: async () => undefined } : {}),
    async acquire(frameUuid) {
      frame = null;
      const light = await o.fibre.receive(frameUuid, o.lightTimeoutMs);
      const measurement = detector.measure(light);
      const calibration = detector.calibrate(o.calibrationSamples ?? light.real.length);
      frame = { uuid: frameUuid, measurement, calibration, revealed: [] };
    },
    estimationIndices() {
      const f = requireFrame();
      const n = f.measurement.real.length;
      f.revealed = randomIndices(n, Math.min(o.estimationSymbols, Math.floor(n / 2)), random);
      return [...f.revealed];
    },
    estimate({ indices, symbolsReal, symbolsImag, photonNumber }: EstimationInput) {
      const f = requireFrame();
      if (symbolsReal.length !== indices.length) throw new Error(`Alice revealed ${symbolsReal.length} symbols for ${indices.length} indices`);
      const at = (xs: Float64Array) => indices.map((i) => xs[i]!);
      const va = 2 * photonNumber;
      const e = estimateParameters({
        alice: { real: symbolsReal, imag: symbolsImag },
        bob: { real: at(f.measurement.real), imag: at(f.measurement.imag) },
        calibration: f.calibration,
        modulationVariance: va,
        eta: o.efficiency,
        beta: o.beta,
        epsilonPE: o.epsilonPE,
      });
      const fibre = o.fibre.description;
      f.shotNoise = e.shotNoise;
      f.estimation = {
        ...e,
        revealed: indices.length,
        epsilonPE: o.epsilonPE,
        lossDbPerKm: fibre?.lossDbPerKm,
        configured: fibre ?? undefined,
        theoreticalKeyRate: fibre
          ? secretKeyRate({ Va: va, T: fibre.transmittance, xi: fibre.excessNoise, eta: o.efficiency, Vel: o.electronicNoise, beta: o.beta })
          : undefined,
      };
      return {
        n_photon: photonNumber,
        transmittance: e.worstCase.transmittance,
        excess_noise: e.worstCase.excessNoise,
        electronic_noise: e.worstCase.electronicNoise,
        eta: o.efficiency,
        key_rate: e.keyRate,
      } satisfies NonNullable<ContentOf<'PE_FINISHED'>>;
    },
    estimationReport: () => frame?.estimation ?? null,
    close: () => o.fibre.close(),
    ecParameters: () => ({ matrix: [[1]], noise: requireFrame().estimation?.worstCase.excessNoise ?? 0 }),
    ecBlocks() {
      const bits = key();
      const blocks: number[][] = [];
      for (let i = 0; i < bits.length; i += BLOCK_BITS) blocks.push(Array.from(bits.subarray(i, i + BLOCK_BITS)));
      return blocks;
    },
    ecRemaining: () => null,
    keyHash: () => keyHash(key()),
    reconciledLength() {
      const f = requireFrame();
      return f.measurement.real.length - f.revealed.length;
    },
    // The length the worst-case key rate allows for the kept symbols, asked for in either form.
    paParameters() {
      const kept = backend.reconciledLength();
      const rate = requireFrame().estimation?.keyRate ?? 0;
      const request =
        o.paForm === 'ratio'
          ? { seed: [1, 0, 1, 1, 0] as (0 | 1)[], secret_key_ratio: Math.min(1, rate) }
          : { seed: [1, 0, 1, 1, 0] as (0 | 1)[], secret_key_length: Math.max(1, Math.floor(kept * rate)), subblock_length: 5, feedback_polynomial: [1, 1, 1, 0, 0] as (0 | 1)[] };
      secretKeyLength = finalKeyLength(request, kept);
      return request;
    },
  };
  return backend;
}
