/**
 * Bob's simulated receiver, paired with Alice's simulated emitter: it
 * derives the frame's symbols from the UUID and the shared seed (a perfect
 * quantum channel followed by a lossy, noisy estimate), so both sides hold
 * the same key and EC verification succeeds.
 */
import type { BobBackend, EstimationInput } from '../bob/backend.ts';
import { finalKeyLength } from '../protocol/pa-request.ts';
import { DEFAULT_SIM_SEED, frameSymbols, keyBits, keyHash } from './frame-symbols.ts';

export interface SimulatedBobOptions {
  symbols?: number;
  variance?: number;
  seed?: string;
  /** Symbols revealed for parameter estimation. */
  estimationSymbols?: number;
  transmittance?: number;
  excessNoise?: number;
  /** Simulated acquisition time. */
  acquisitionMs?: number;
  polarisationRecovery?: boolean;
  /** PA_REQUEST in the specification's form (default) or the deployed `{seed, secret_key_ratio}` (wire notes 23). */
  paForm?: 'specification' | 'ratio';
}

export interface SimulatedBob extends BobBackend {
  /** Key bits kept after privacy amplification, for the last frame. */
  readonly secretKeyLength: number;
}

/** Asymptotic key rate of a lossy Gaussian channel, simplified: positive while the noise is low. */
function keyRate(t: number, xi: number, va: number): number {
  const snr = (t * va) / (1 + t * xi);
  return Math.max(0, 0.5 * Math.log2(1 + snr) - 0.5 * Math.log2(1 + xi * va));
}

export function createSimulatedBob(options: SimulatedBobOptions = {}): SimulatedBob {
  let symbols = options.symbols ?? 10_000;
  let variance = options.variance ?? 3.08;
  const seed = options.seed ?? DEFAULT_SIM_SEED;
  const revealCount = options.estimationSymbols ?? 100;
  const transmittance = options.transmittance ?? 0.5;
  const excessNoise = options.excessNoise ?? 0.02;
  let revealed = new Set<number>();
  let real: Float64Array = new Float64Array(0);
  // The QIEs of the current frame so far: a repeated QIE brings fresh symbols, as Alice's simulator draws them.
  let acquired = { frameUuid: '', rounds: 0 };
  let secretKeyLength = 0;

  const backend: SimulatedBob = {
    get secretKeyLength() {
      return secretKeyLength;
    },
    frameParameters: () => ({ num_symbols: symbols, variance }),
    adoptConfig(config) {
      const quantum = (config as { frame?: { quantum?: { num_symbols?: number; variance?: number } } })?.frame?.quantum;
      if (typeof quantum?.num_symbols === 'number') symbols = quantum.num_symbols;
      if (typeof quantum?.variance === 'number') variance = quantum.variance;
    },
    ...(options.polarisationRecovery ? { polarisationRecovery: async () => undefined } : {}),
    async acquire(frameUuid) {
      if (options.acquisitionMs) await new Promise((r) => setTimeout(r, options.acquisitionMs));
      const round = acquired.frameUuid === frameUuid ? acquired.rounds : 0;
      acquired = { frameUuid, rounds: round + 1 };
      revealed = new Set();
      real = frameSymbols(frameUuid, symbols, variance, seed, round).real;
    },
    estimationIndices() {
      const step = Math.max(1, Math.floor(symbols / revealCount));
      const indices = Array.from({ length: Math.min(revealCount, symbols) }, (_, i) => i * step);
      revealed = new Set(indices);
      return indices;
    },
    estimate({ photonNumber }: EstimationInput) {
      return {
        n_photon: photonNumber,
        transmittance,
        excess_noise: excessNoise,
        electronic_noise: 0.05,
        eta: 0.8,
        key_rate: keyRate(transmittance, excessNoise, 2 * photonNumber),
      };
    },
    ecParameters: () => ({ matrix: [[1, 1, 0], [0, 1, 1]], noise: excessNoise }),
    ecBlocks: () => [[1, 0, 1], [0, 1, 1]],
    ecRemaining: () => null,
    keyHash: () => keyHash(keyBits(real, revealed)),
    reconciledLength: () => symbols - revealed.size,
    // Half the reconciled key, asked for in either form.
    paParameters() {
      const request =
        options.paForm === 'ratio'
          ? { seed: [1, 0, 1, 1, 0] as (0 | 1)[], secret_key_ratio: 0.5 }
          : { seed: [1, 0, 1, 1, 0] as (0 | 1)[], secret_key_length: Math.floor((symbols - revealed.size) / 2), subblock_length: 5, feedback_polynomial: [1, 1, 1, 0, 0] as (0 | 1)[] };
      secretKeyLength = finalKeyLength(request, backend.reconciledLength());
      return request;
    },
  };
  return backend;
}
