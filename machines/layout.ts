/**
 * How phases are put together into a session: a session is a row of
 * *stages*; a stage merges the first waiting state of one or more phases
 * (polarisation recovery and parameter change share a stage with the phase
 * they may interrupt); *global* phases are accepted in every stage.
 * Alice's and Bob's session machines are both built from this one layout.
 */
import type { PhaseDef } from './phase.ts';

/**
 * Where an exit leads: a stage (its first waiting state), `<stage>.<state>`
 * (another waiting state of a stage), `back` to the stage's first waiting
 * state, or `end`.
 */
export type ExitTarget = string;

export interface Mount {
  readonly phase: PhaseDef;
  readonly exits: Readonly<Record<string, ExitTarget>>;
}

export interface Stage {
  readonly id: string;
  readonly mounts: readonly Mount[];
}

export interface Layout {
  readonly id: string;
  readonly stages: readonly Stage[];
  /** Phases whose first waiting state's requests are accepted in every stage. */
  readonly globals: readonly Mount[];
  /**
   * A request accepted from every stage that discards the frame in progress
   * and then is handled as in the stage named: a new INITIALIZATION_REQUEST.
   */
  readonly renew?: { readonly request: 'INITIALIZATION_REQUEST'; readonly stage: string };
}

export const BACK = 'back';
export const END = 'end';
