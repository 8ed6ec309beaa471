/**
 * Bob's simulated receiver: the `BobBackend` behind `qosst-bob run` and
 * `npm start`. It sees the link only as a real receiver would: the light
 * its simulated detector (src/sim/detector.ts) measures from the fibre's
 * output, the detector's calibration samples, and what Alice reveals over
 * the control channel (PE_SYMBOLS_RESPONSE, PE_NPHOTON_RESPONSE). From
 * those it estimates the channel (src/physics/estimation.ts).
 *
 * Reconciliation is reverse (his data is the reference): per block of his
 * kept reals (in SNU) he draws bits from his CSPRNG and sends their
 * syndrome and the multidimensional side information (src/postprocessing/),
 * with the code chosen from the SNR of his worst-case estimates. Blocks
 * Alice could not correct are dropped on both sides. Privacy amplification
 * hashes the corrected bits with a Toeplitz matrix whose whole diagonal he
 * draws and sends, to the length of src/postprocessing/key-length.ts.
 */
import type { BobBackend, EstimationInput, EstimationReport, ReconciliationReport } from '../bob/backend.ts';
import { estimateParameters } from '../physics/estimation.ts';
import { secretKeyRate } from '../physics/key-rate.ts';
import { holevoBound, mutualInformation } from '../physics/key-rate.ts';
import { channelModel, snrPerReal } from '../postprocessing/channel-model.ts';
import { awgnCapacity } from '../postprocessing/density-evolution.ts';
import { keptReals } from '../postprocessing/kept-reals.ts';
import { DEFAULT_EPSILON_PA, finalKeyLength as keyLengthFor } from '../postprocessing/key-length.ts';
import { buildCode, chooseCode, DEFAULT_BLOCK_LENGTH, DEFAULT_MARGIN_DB, type LdpcCode } from '../postprocessing/ldpc-code.ts';
import type { Dimension, LinearGaussianModel } from '../postprocessing/multidimensional.ts';
import { bobBlock, type BobBlock } from '../postprocessing/reconciliation.ts';
import { toeplitzHash } from '../postprocessing/toeplitz.ts';
import { packBits, VERIFICATION_HASH_BITS, verificationHash } from '../postprocessing/verification-hash.ts';
import { finalKeyLength, type PaRequest } from '../protocol/pa-request.ts';
import type { ContentOf } from '../protocol/schemas.ts';
import { createDetector, type Calibration, type DetectorConfig, type Measurement } from './detector.ts';
import type { FibreOutput } from './fibre-link.ts';
import { createRandomSource, type RandomSource } from './gaussian-source.ts';

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
  /** Bits per reconciliation block (the LDPC code's length). */
  blockLength?: number;
  /** Margin in dB between the estimated SNR and the chosen code's threshold. */
  marginDb?: number;
  /** Failure probability of privacy amplification (the leftover hash lemma's epsilon). */
  epsilonPA?: number;
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
  blockLength: DEFAULT_BLOCK_LENGTH,
  marginDb: DEFAULT_MARGIN_DB,
  epsilonPA: DEFAULT_EPSILON_PA,
} as const;

/** The multidimensional mapping's dimension (Leverrier et al. 2008: 8 is the best at low SNR). */
const DIMENSION: Dimension = 8;


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
  /** Va = 2·n_photon as Alice reported it. */
  modulationVariance?: number;
  estimation?: EstimationReport;
  reconciliation?: Reconciliation;
}

interface Reconciliation {
  code: LdpcCode;
  model: LinearGaussianModel;
  /** His kept reals, SNU, in the order of src/postprocessing/kept-reals.ts. */
  reals: Float64Array;
  blocks: BobBlock[];
  /** Per block: Alice's answer (true: EC_BLOCK_ACK). */
  corrected: boolean[];
  report: ReconciliationReport;
  finalKey?: Uint8Array;
}

export interface SimulatedBob extends BobBackend {
  /** Key bits kept after privacy amplification, for the last frame. */
  readonly secretKeyLength: number;
  /** The frame in progress or last run, or null. */
  currentFrame(): Readonly<BobFrame> | null;
  /** Closes the fibre. */
  close(): Promise<void>;
}

/** `count` uniform bits from the CSPRNG, 32 per draw. */
function randomBits(count: number, random: RandomSource): Uint8Array {
  const bits = new Uint8Array(count);
  for (let i = 0; i < count; i += 32) {
    const word = random.below(0x1_0000_0000);
    for (let k = 0; k < 32 && i + k < count; k++) bits[i + k] = (word >>> k) & 1;
  }
  return bits;
}

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
  const random = createRandomSource('bob', o.seed);
  const detector = createDetector({ efficiency: o.efficiency, electronicNoise: o.electronicNoise, shotNoise: o.shotNoise } satisfies DetectorConfig, random);
  let frame: BobFrame | null = null;
  let lastKeyLength = 0;

  const requireFrame = (): BobFrame => {
    if (frame === null) throw new Error('no frame has been acquired');
    return frame;
  };
  const requireReconciliation = (): Reconciliation => {
    const r = requireFrame().reconciliation;
    if (r === undefined) throw new Error('error correction has not been initialized');
    return r;
  };
  /** The corrected bits: the blocks Alice acknowledged, in order. */
  const reconciledBits = (): Uint8Array => {
    const r = requireReconciliation();
    const kept = r.blocks.filter((_, i) => r.corrected[i] === true);
    const bits = new Uint8Array(kept.length * r.code.n);
    kept.forEach((b, i) => bits.set(b.bits, i * r.code.n));
    return bits;
  };

  const backend: SimulatedBob = {
    get secretKeyLength() {
      return lastKeyLength;
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
      f.modulationVariance = va;
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
    reconciliationReport: () => frame?.reconciliation?.report ?? null,
    ecParameters() {
      const f = requireFrame();
      const worst = f.estimation?.worstCase;
      if (worst === undefined || f.shotNoise === undefined || f.modulationVariance === undefined) {
        throw new Error('error correction before parameter estimation');
      }
      const model = channelModel({ ...worst, eta: o.efficiency });
      const snr = snrPerReal(model, f.modulationVariance);
      // The code is chosen for the channel the blocks will most likely meet, the point estimates'; the worst case
      // bounds Eve, not the blocks' errors. The key length does not depend on this choice: beta·I_AB at the worst
      // case is 2·rate bits per symbol whichever SNR beta is taken at.
      // Estimates outside the model's domain (T above 1 at 0 km, a negative xi) are brought to its edge.
      const e = f.estimation!;
      const likely = {
        transmittance: Math.min(1, Math.max(worst.transmittance, e.transmittance.estimate)),
        excessNoise: Math.max(0, e.excessNoise.estimate),
        electronicNoise: Math.max(0, e.electronicNoise.estimate),
        eta: o.efficiency,
      };
      const likelySnr = snrPerReal(channelModel(likely), f.modulationVariance);
      const choice = chooseCode(likelySnr, o.marginDb, o.blockLength);
      if (choice === undefined) throw new Error(`no code of the ladder works at the estimated SNR ${likelySnr.toPrecision(3)} with a ${o.marginDb} dB margin`);
      const code = buildCode(choice.id);
      const link = { Va: f.modulationVariance, T: worst.transmittance, xi: worst.excessNoise, eta: o.efficiency, Vel: worst.electronicNoise };
      const beta = code.rate / awgnCapacity(snr);
      const fibre = o.fibre.description;
      f.reconciliation = {
        code,
        model,
        reals: keptReals(f.measurement.real, f.measurement.imag, f.revealed, 1 / Math.sqrt(f.shotNoise)),
        blocks: [],
        corrected: [],
        report: {
          snr,
          codeId: code.id,
          rate: code.rate,
          beta,
          blocks: 0,
          blockErrors: 0,
          reconciledBits: 0,
          finalKeyBits: 0,
          keyRatePerSymbol: beta * mutualInformation(link) - holevoBound(link),
          symbols: f.measurement.real.length,
          ...(fibre
            ? { theoreticalKeyRate: secretKeyRate({ Va: f.modulationVariance, T: fibre.transmittance, xi: fibre.excessNoise, eta: o.efficiency, Vel: o.electronicNoise, beta: Math.min(1, beta) }) }
            : {}),
        },
      };
      return { noise: model.noiseVariance, code_id: code.id, rate: code.rate, block_length: code.n, dimension: DIMENSION };
    },
    ecBlocks() {
      const r = requireReconciliation();
      const n = r.code.n;
      r.blocks = [];
      r.corrected = [];
      for (let start = 0; start + n <= r.reals.length; start += n) {
        r.blocks.push(bobBlock(r.code, DIMENSION, r.reals.subarray(start, start + n), randomBits(n, random)));
      }
      r.report.blocks = r.blocks.length;
      return r.blocks.map((b) => ({ syndrome: Array.from(b.syndrome), side_information: Array.from(b.sideInformation) }));
    },
    ecBlockAnswered(index, corrected) {
      const r = requireReconciliation();
      r.corrected[index] = corrected;
      r.report.blockErrors = r.corrected.filter((c) => c === false).length;
      r.report.reconciledBits = r.corrected.filter((c) => c === true).length * r.code.n;
    },
    ecRemaining: () => null,
    keyHash: () => verificationHash(reconciledBits()),
    reconciledLength: () => (frame?.reconciliation ? reconciledBits().length : 0),
    paParameters() {
      const r = requireReconciliation();
      const bits = reconciledBits();
      const n = bits.length;
      const allowed = keyLengthFor({
        reconciledBits: n,
        bitsPerSymbol: 2,
        keyRatePerSymbol: r.report.keyRatePerSymbol,
        verificationBits: VERIFICATION_HASH_BITS,
        epsilonPA: o.epsilonPA,
      });
      // Whole bytes: the key store takes bytes.
      const wanted = allowed - (allowed % 8);
      if (wanted < 8) {
        throw new Error(
          `no secret key: ${n} reconciled bits at ${r.report.keyRatePerSymbol.toFixed(4)} bits per symbol leave ${allowed} bits after the verification hash and the privacy amplification's margin`,
        );
      }
      const diagonal = (m: number) => randomBits(n + m - 1, random);
      let request: PaRequest;
      if (o.paForm === 'ratio') {
        const ratio = wanted / n;
        const m = finalKeyLength({ seed: [], secret_key_ratio: ratio }, n);
        request = { seed: Array.from(diagonal(m)) as (0 | 1)[], secret_key_ratio: ratio };
      } else {
        request = { seed: Array.from(diagonal(wanted)) as (0 | 1)[], secret_key_length: wanted, subblock_length: n, feedback_polynomial: [] };
      }
      const m = finalKeyLength(request, n);
      const key = toeplitzHash(bits, Uint8Array.from(request.seed), m);
      r.finalKey = packBits(key.subarray(0, m - (m % 8)));
      r.report.finalKeyBits = m;
      lastKeyLength = m;
      return request;
    },
    finalKey(frameUuid) {
      if (frame === null || frame.uuid.toLowerCase() !== frameUuid.toLowerCase()) return null;
      return frame.reconciliation?.finalKey ?? null;
    },
  };
  return backend;
}
