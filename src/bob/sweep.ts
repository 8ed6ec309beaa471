/**
 * `qosst-bob sweep`: the secret key rate measured against the fibre's
 * length. At each distance an Alice daemon with that fibre starts on
 * loopback (src/bob/sweep-alice.ts), Bob's simulated receiver reads its
 * fibre over TCP and Bob's driver runs real frames (`runFrames`, as
 * `qosst-bob run` does); then the daemon stops. Per distance: the secret
 * key rate per symbol (final key bits over the frame's symbols; a frame
 * without a key, denied or aborted, counts as 0), the achieved beta, the
 * SNR, the block error rate, and three theories of the same link
 * (src/physics): asymptotic at beta = 1 and at the achieved beta, and the
 * finite-size rate at the achieved beta, the number this frame size should
 * measure (finiteSizeRate).
 */
import { transmittanceFromDistance } from '../physics/fibre-loss.ts';
import { expectedEstimate } from '../physics/finite-size.ts';
import { holevoBound, mutualInformation, secretKeyRate } from '../physics/key-rate.ts';
import { channelModel, snrPerReal } from '../postprocessing/channel-model.ts';
import { finalKeyLength } from '../postprocessing/key-length.ts';
import { VERIFICATION_HASH_BITS } from '../postprocessing/verification-hash.ts';
import { BOB_DEFAULTS, createSimulatedBob, type SimulatedBob, type SimulatedBobOptions } from '../sim/bob-sim.ts';
import { connectFibre } from '../sim/fibre-tcp.ts';
import { runFrames, type FrameProgress, type FrameSummary } from './run.ts';
import { BobSession, type ConnectOptions } from './session.ts';
import { startSweepAlice } from './sweep-alice.ts';

/** The link every distance shares, in the units of src/physics/key-rate.ts. */
export interface SweepLink {
  /** Va per quadrature, SNU. */
  variance: number;
  lossDbPerKm: number;
  /** xi, SNU referred to the fibre's input. */
  excessNoise: number;
  /** eta and Vel (SNU) of Bob's detector. */
  efficiency: number;
  electronicNoise: number;
}

/** Bob's receiver settings beyond the link (see SimulatedBobOptions). */
export type SweepReceiver = Pick<
  SimulatedBobOptions,
  'estimationSymbols' | 'calibrationSamples' | 'epsilonPE' | 'paForm' | 'blockLength' | 'marginDb' | 'epsilonPA'
>;

/** Bob's settings with their defaults filled in: what the finite-size theory depends on. */
export interface ReceiverSettings {
  /** Symbols revealed for parameter estimation per frame. */
  estimationSymbols: number;
  /** Shot-noise (and electronic-noise) calibration samples per frame. */
  calibrationSamples: number;
  epsilonPE: number;
  epsilonPA: number;
  blockLength: number;
  marginDb: number;
  /** The beta Bob's estimation computes its key rate with (it picks the worse Vel bound at it). */
  assumedBeta: number;
}

export interface SweepOptions {
  /** km, in the order run. */
  distances: readonly number[];
  /** Frames per distance (at least 1). */
  frames: number;
  /** Symbols per frame (Alice's and Bob's). */
  symbols: number;
  link: SweepLink;
  /** The beta of the key rate Bob sends in PE_FINISHED and Alice checks (not the achieved one). */
  beta: number;
  receiver?: SweepReceiver;
  /** Reproducible runs (tests): each distance's Alice and Bob get seeds derived from it. */
  seed?: string;
  /** Bob's session (timeouts, limits); host, port and authentication are the sweep's own. */
  session?: Pick<ConnectOptions, 'answerTimeoutMs' | 'maxContentLength'>;
  /** The daemons' logs, on standard error. */
  aliceLog?: { level: string; format: string };
  onProgress?: (progress: SweepProgress) => void;
  /** Once aborted, the current frame finishes and the sweep stops there. */
  signal?: AbortSignal;
}

export type SweepProgress =
  | { kind: 'distance'; index: number; count: number; distance_km: number; transmittance: number }
  | { kind: 'frame'; distance_km: number; progress: FrameProgress };

/** Mean, extremes and the standard error of the mean (null for one value). */
export interface Spread {
  mean: number;
  min: number;
  max: number;
  std_error: number | null;
}

/** One frame as the sweep counts it (`--json`). */
export interface SweepFrame {
  frame: number;
  status: FrameSummary['status'];
  key_bits: number;
  /** key_bits over the frame's symbols; 0 for a frame without a key. */
  key_rate: number;
  /** SNR per real at the worst-case estimates, once estimated. */
  snr?: number;
  /** Reached only by frames that started error correction. */
  code_id?: string;
  beta?: number;
  blocks?: number;
  block_errors?: number;
  /** Why a frame was denied or aborted. */
  message?: string;
}

export interface SweepPoint {
  distance_km: number;
  transmittance: number;
  counts: { attempted: number; completed: number; denied: number; aborted: number };
  /** Frames that ended without a key (denied, aborted, or completed with none), counted as rate 0. */
  zero_key_frames: number;
  /** Bits per symbol over every frame attempted, zero-key frames included. */
  key_rate: Spread;
  /** Over the frames that started error correction; null when none did. */
  beta: Spread | null;
  /** Over the frames estimated; null when none was. */
  snr: Spread | null;
  /** Blocks answered EC_BLOCK_ERROR over blocks sent, all frames pooled; null when no block was sent. */
  block_error_rate: number | null;
  blocks: number;
  block_errors: number;
  /**
   * The link's rate in bits/symbol: asymptotic at beta = 1 and at the mean achieved beta, and the
   * finite-size rate at the mean achieved beta (finiteSizeRate: what a frame should measure); null without a beta.
   */
  theoretical_key_rate: { beta_1: number; achieved_beta: number | null; finite_size: number | null };
  frames: SweepFrame[];
}

export interface SweepResult {
  link: {
    variance: number;
    loss_db_per_km: number;
    excess_noise: number;
    efficiency: number;
    electronic_noise: number;
  };
  symbols_per_frame: number;
  frames_per_distance: number;
  /** Bob's estimation and reconciliation settings. */
  receiver: {
    estimation_symbols: number;
    calibration_samples: number;
    epsilon_pe: number;
    epsilon_pa: number;
    block_length: number;
    margin_db: number;
  };
  /** The beta of the key rate in PE_FINISHED (the estimation's check), not the achieved one. */
  assumed_beta: number;
  points: SweepPoint[];
  /** The beta = 1 theory sampled finely over the distances swept: [km, bits/symbol]. */
  theory_beta_1: [number, number][];
  /** Stopped by the signal before every distance was run. */
  interrupted: boolean;
  elapsed_ms: number;
}

export class SweepError extends Error {
  override name = 'SweepError';
}

export function spread(values: readonly number[]): Spread | null {
  if (values.length === 0) return null;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.length > 1 ? values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1) : null;
  return {
    mean,
    min: Math.min(...values),
    max: Math.max(...values),
    std_error: variance === null ? null : Math.sqrt(variance / values.length),
  };
}

/** The asymptotic key rate of the link at a distance (Fossier et al. 2009 via src/physics/key-rate.ts), bits/symbol. */
export function theoreticalRate(link: SweepLink, distanceKm: number, beta: number): number {
  return secretKeyRate({
    Va: link.variance,
    T: transmittanceFromDistance(distanceKm, link.lossDbPerKm),
    xi: link.excessNoise,
    eta: link.efficiency,
    Vel: link.electronicNoise,
    beta: Math.min(1, beta),
  });
}

/**
 * The key rate a frame of this link should measure at an achieved beta, in
 * bits per symbol of the frame, counted as the measured one is: Bob's
 * K = beta·I_AB - chi_BE at the worst case of the confidence region his
 * estimator reaches on average on this link (src/physics/finite-size.ts;
 * Leverrier et al. 2010), times the symbols whose reals fill whole
 * reconciliation blocks, less the verification hash and the privacy
 * amplification's margin (src/postprocessing/key-length.ts), in whole
 * bytes, over the frame's symbols. No block is assumed lost.
 */
export function finiteSizeRate(link: SweepLink, distanceKm: number, beta: number, symbols: number, receiver: ReceiverSettings): number {
  const revealed = Math.min(receiver.estimationSymbols, Math.floor(symbols / 2));
  const Va = link.variance;
  const eta = link.efficiency;
  const expected = expectedEstimate(
    { Va, T: transmittanceFromDistance(distanceKm, link.lossDbPerKm), xi: link.excessNoise, eta, Vel: link.electronicNoise },
    { revealedSymbols: revealed, calibrationSamples: receiver.calibrationSamples, epsilonPE: receiver.epsilonPE, beta: receiver.assumedBeta },
  );
  const worst = expected.worstCase;
  if (!(worst.transmittance > 0) || !Number.isFinite(worst.excessNoise) || !Number.isFinite(worst.electronicNoise)) return 0;
  const worstLink = { Va, T: worst.transmittance, xi: worst.excessNoise, eta, Vel: worst.electronicNoise };
  // As Bob's backend computes it (src/sim/bob-sim.ts, ecParameters).
  const keyRatePerSymbol = beta * mutualInformation(worstLink) - holevoBound(worstLink);
  const reals = 2 * (symbols - revealed);
  const allowed = finalKeyLength({
    reconciledBits: Math.floor(reals / receiver.blockLength) * receiver.blockLength,
    bitsPerSymbol: 2,
    keyRatePerSymbol,
    verificationBits: VERIFICATION_HASH_BITS,
    epsilonPA: receiver.epsilonPA,
  });
  // Bob keeps whole bytes, and no key under one.
  const kept = allowed - (allowed % 8);
  return kept < 8 ? 0 : kept / symbols;
}

/** Samples for the beta = 1 curve: about 200 over the range, at least the distances themselves. */
function theoryCurve(link: SweepLink, distances: readonly number[]): [number, number][] {
  const lo = Math.min(...distances);
  const hi = Math.max(...distances);
  const xs = hi > lo ? Array.from({ length: 201 }, (_, i) => lo + ((hi - lo) * i) / 200) : [lo];
  return xs.map((d) => [d, theoreticalRate(link, d, 1)]);
}

/** The worst-case SNR per real of a frame's PE_FINISHED (src/postprocessing/channel-model.ts), when it has one. */
function snrOf(frame: FrameSummary): number | undefined {
  if (frame.reconciliation) return frame.reconciliation.snr;
  const { transmittance, excess_noise, electronic_noise, eta, n_photon } = frame.measured?.sent ?? {};
  if (transmittance === undefined || excess_noise === undefined || electronic_noise === undefined || eta === undefined || n_photon === undefined) {
    return undefined;
  }
  try {
    // Va = 2·n_photon, as Bob's estimation takes it.
    const model = channelModel({ transmittance, excessNoise: excess_noise, electronicNoise: electronic_noise, eta });
    return snrPerReal(model, 2 * n_photon);
  } catch {
    // No channel model for a worst case outside (0, 1]: no SNR to report.
    return undefined;
  }
}

function frameOf(frame: FrameSummary, symbols: number): SweepFrame {
  const r = frame.reconciliation;
  const keyBits = frame.status === 'completed' ? frame.key_bits : 0;
  const snr = snrOf(frame);
  return {
    frame: frame.frame,
    status: frame.status,
    key_bits: keyBits,
    key_rate: keyBits / symbols,
    ...(snr === undefined ? {} : { snr }),
    ...(r ? { code_id: r.code_id, beta: r.beta, blocks: r.blocks, block_errors: r.block_errors } : {}),
    ...(frame.message === undefined ? {} : { message: frame.message }),
  };
}

export function pointOf(
  link: SweepLink,
  distanceKm: number,
  summary: { counts: SweepPoint['counts']; frames: FrameSummary[] },
  symbols: number,
  receiver: ReceiverSettings,
): SweepPoint {
  const frames = summary.frames.map((f) => frameOf(f, symbols));
  const beta = spread(frames.flatMap((f) => (f.beta === undefined ? [] : [f.beta])));
  const blocks = frames.reduce((a, f) => a + (f.blocks ?? 0), 0);
  const blockErrors = frames.reduce((a, f) => a + (f.block_errors ?? 0), 0);
  return {
    distance_km: distanceKm,
    transmittance: transmittanceFromDistance(distanceKm, link.lossDbPerKm),
    counts: summary.counts,
    zero_key_frames: frames.filter((f) => f.key_bits === 0).length,
    key_rate: spread(frames.map((f) => f.key_rate)) ?? { mean: 0, min: 0, max: 0, std_error: null },
    beta,
    snr: spread(frames.flatMap((f) => (f.snr === undefined ? [] : [f.snr]))),
    block_error_rate: blocks > 0 ? blockErrors / blocks : null,
    blocks,
    block_errors: blockErrors,
    theoretical_key_rate: {
      beta_1: theoreticalRate(link, distanceKm, 1),
      achieved_beta: beta === null ? null : theoreticalRate(link, distanceKm, beta.mean),
      finite_size: beta === null ? null : finiteSizeRate(link, distanceKm, Math.min(1, beta.mean), symbols, receiver),
    },
    frames,
  };
}

export async function runSweep(options: SweepOptions): Promise<SweepResult> {
  const { distances, frames, symbols, link } = options;
  if (distances.length === 0) throw new SweepError('no distance to sweep');
  if (!Number.isInteger(frames) || frames < 1) throw new SweepError(`frames per distance must be a positive integer, got ${frames}`);
  const started = Date.now();
  const settings: ReceiverSettings = {
    estimationSymbols: Math.min(options.receiver?.estimationSymbols ?? BOB_DEFAULTS.estimationSymbols, Math.floor(symbols / 2)),
    // Bob's backend calibrates with as many samples as the frame has symbols unless told otherwise.
    calibrationSamples: options.receiver?.calibrationSamples ?? symbols,
    epsilonPE: options.receiver?.epsilonPE ?? BOB_DEFAULTS.epsilonPE,
    epsilonPA: options.receiver?.epsilonPA ?? BOB_DEFAULTS.epsilonPA,
    blockLength: options.receiver?.blockLength ?? BOB_DEFAULTS.blockLength,
    marginDb: options.receiver?.marginDb ?? BOB_DEFAULTS.marginDb,
    assumedBeta: options.beta,
  };
  const result: SweepResult = {
    link: {
      variance: link.variance,
      loss_db_per_km: link.lossDbPerKm,
      excess_noise: link.excessNoise,
      efficiency: link.efficiency,
      electronic_noise: link.electronicNoise,
    },
    symbols_per_frame: symbols,
    frames_per_distance: frames,
    receiver: {
      estimation_symbols: settings.estimationSymbols,
      calibration_samples: settings.calibrationSamples,
      epsilon_pe: settings.epsilonPE,
      epsilon_pa: settings.epsilonPA,
      block_length: settings.blockLength,
      margin_db: settings.marginDb,
    },
    assumed_beta: options.beta,
    points: [],
    theory_beta_1: theoryCurve(link, distances),
    interrupted: false,
    elapsed_ms: 0,
  };
  for (const [index, distance] of distances.entries()) {
    if (options.signal?.aborted) {
      result.interrupted = true;
      break;
    }
    options.onProgress?.({ kind: 'distance', index, count: distances.length, distance_km: distance, transmittance: transmittanceFromDistance(distance, link.lossDbPerKm) });
    const alice = await startSweepAlice({
      distanceKm: distance,
      lossDbPerKm: link.lossDbPerKm,
      excessNoise: link.excessNoise,
      variance: link.variance,
      symbols,
      beta: options.beta,
      logLevel: options.aliceLog?.level ?? 'warn',
      logFormat: options.aliceLog?.format ?? 'auto',
      ...(options.seed === undefined ? {} : { seed: `${options.seed}/alice/${distance}` }),
    });
    let session: BobSession | null = null;
    let receiver: SimulatedBob | null = null;
    try {
      session = await BobSession.connect({ ...options.session, host: '127.0.0.1', port: alice.port });
      receiver = createSimulatedBob({
        ...options.receiver,
        fibre: await connectFibre('127.0.0.1', alice.fibrePort),
        symbols,
        variance: link.variance,
        efficiency: link.efficiency,
        electronicNoise: link.electronicNoise,
        beta: options.beta,
        ...(options.seed === undefined ? {} : { seed: `${options.seed}/bob/${distance}` }),
      });
      const summary = await runFrames(session, receiver, {
        frames,
        ...(options.signal ? { signal: options.signal } : {}),
        onProgress: (progress) => options.onProgress?.({ kind: 'frame', distance_km: distance, progress }),
      });
      if (summary.counts.attempted > 0) result.points.push(pointOf(link, distance, summary, symbols, settings));
      if (summary.counts.attempted < frames) {
        if (!summary.interrupted) {
          const last = summary.errors.at(-1);
          throw new SweepError(`at ${distance} km the session with Alice failed after ${summary.counts.attempted} of ${frames} frames: ${last ? `${last.error}: ${last.message}` : 'no frame could run'}`);
        }
        result.interrupted = true;
      }
      const done = session;
      session = null;
      await done.disconnect();
    } finally {
      await session?.disconnect().catch(() => undefined);
      await receiver?.close();
      await alice.close();
    }
    if (result.interrupted) break;
  }
  result.elapsed_ms = Date.now() - started;
  return result;
}
