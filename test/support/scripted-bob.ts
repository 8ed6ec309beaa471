/**
 * A Bob backend that measures nothing: fixed contents at every step, for
 * driving the scripted stand-in Alices (test/support/wrong-alice.ts), which
 * emit no light. What the driver does with answers is under test, not the
 * physics.
 */
import type { BobBackend } from '../../src/bob/backend.ts';

export function scriptedBob(): BobBackend {
  return {
    frameParameters: () => ({ num_symbols: 1000 }),
    adoptConfig: () => undefined,
    acquire: async () => undefined,
    estimationIndices: () => [0, 1],
    estimate: ({ photonNumber }) => ({ n_photon: photonNumber, transmittance: 0.5, excess_noise: 0.01, electronic_noise: 0.05, eta: 0.6, key_rate: 0.2 }),
    ecParameters: () => ({ matrix: [[1, 1], [1, 1]], noise: 0.1 }),
    ecBlocks: () => [[1, 0, 1]],
    ecRemaining: () => null,
    keyHash: () => 1n,
    paParameters: () => ({ seed: [1, 0, 1, 1, 0], secret_key_length: 100, subblock_length: 5, feedback_polynomial: [1, 1, 1, 0, 0] }),
    reconciledLength: () => 998,
  };
}
