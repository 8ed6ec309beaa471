/**
 * What Bob's receiver, DSP and post-processing provide to `runFrame`: the
 * acquisition, the estimation, the reconciliation and the amplification.
 * A real receiver implements this; `src/sim/bob-sim.ts` pairs with Alice's
 * simulated emitter.
 */
import type { FibreDescription } from '../sim/fibre-link.ts';
import type { Estimate } from '../physics/estimation.ts';
import type { JsonObject } from '../protocol/json.ts';
import type { ContentOf } from '../protocol/schemas.ts';

export interface EstimationInput {
  frameUuid: string;
  indices: readonly number[];
  symbolsReal: readonly number[];
  symbolsImag: readonly number[];
  photonNumber: number;
}

/** What Bob measured in a frame, for display (`qosst-bob run`, `--json`). */
export interface EstimationReport extends Estimate {
  /** Symbols revealed. */
  revealed: number;
  epsilonPE: number;
  /** For the distance a transmittance implies. */
  lossDbPerKm?: number;
  /** The link as configured (the simulated fibre's label), when known. */
  configured?: FibreDescription;
  /** The key rate of the configured link with this detector, bits per symbol. */
  theoreticalKeyRate?: number;
}

export interface BobBackend {
  /** Parameters sent beside `frame_uuid` in INITIALIZATION_REQUEST. */
  frameParameters(): JsonObject;
  /** Takes Alice's proposed configuration (after INITIALIZATION_PROPOSAL) for the next attempt. */
  adoptConfig(config: unknown): void;
  /** Whether to run polarisation recovery before the QIE, and the recovery itself. */
  polarisationRecovery?(): Promise<void>;
  /** The acquisition, between QIE_EMISSION_STARTED and QIE_ACQUISITION_ENDED. */
  acquire(frameUuid: string): Promise<void>;
  /** Indices of the symbols to reveal for parameter estimation. */
  estimationIndices(frameUuid: string): number[];
  estimate(input: EstimationInput): NonNullable<ContentOf<'PE_FINISHED'>>;
  /** Details of the last estimation, for display. */
  estimationReport?(): EstimationReport | null;
  ecParameters(): NonNullable<ContentOf<'EC_INITIALIZATION'>>;
  /** Syndromes, one EC_BLOCK each. */
  ecBlocks(): number[][];
  /** Parameters for EC_REMAINING, or null to skip it. */
  ecRemaining(): JsonObject | null;
  /** The hash of Bob's corrected key, for EC_VERIFICATION. */
  keyHash(): bigint;
  /** PA_REQUEST's content, in the specification's form or the deployed `{seed, secret_key_ratio}` (wire notes 23). */
  paParameters(): NonNullable<ContentOf<'PA_REQUEST'>>;
  /** Bits of the reconciled key, which a `secret_key_ratio` is a share of. */
  reconciledLength(): number;
  /** The frame's final key after privacy amplification, for the key store; absent or null when none is distilled. */
  finalKey?(frameUuid: string): Uint8Array | null;
}
