/**
 * What Alice's hardware, DSP and post-processing must do: every effect the
 * session machine invokes. A real emitter implements this interface; the
 * simulated one (`src/sim/alice-sim.ts`) is the default.
 *
 * A method that throws or rejects aborts the frame: Alice answers ABORT with
 * the error's message, stops the emission and keeps the session.
 */
import type { Awaitable } from '../../machines/effect.ts';
import type { JsonObject } from '../protocol/json.ts';
import type { DeployedParameters } from './deployed-parameters.ts';
import type { ContentOf } from '../protocol/schemas.ts';

/** A refusal carries the message sent to Bob (`deny_message` or `error_message`). */
export type Verdict = { ok: true } | { ok: false; message: string };

export type InitializationDecision =
  | { outcome: 'accepted' }
  | { outcome: 'denied'; message: string }
  /** Denied, and Alice is willing to send her configuration. */
  | { outcome: 'proposal'; message: string };

export type ParameterChange =
  | { outcome: 'changed'; oldValue: unknown; newValue: unknown }
  | { outcome: 'unknown' }
  | { outcome: 'invalid'; oldValue: unknown; message?: string }
  | { outcome: 'unchanged'; oldValue: unknown; message?: string };

export type SymbolsResult = { ok: true; real: number[]; imag: number[] } | { ok: false; message: string };

export interface SessionInfo {
  /** Short id used in logs. */
  id: string;
  /** Bob's address and port. */
  peer: string;
}

/** One session's view of the emitter. Methods are called one at a time, in protocol order. */
export interface AliceSessionBackend {
  initialize(request: ContentOf<'INITIALIZATION_REQUEST'>): Awaitable<InitializationDecision>;
  proposeConfig(): Awaitable<JsonObject | string>;
  /**
   * DSP for the frame: generate the symbols, load the DAC. The emitter is
   * reserved for this session. Called again for a QIE repeated in the same
   * frame (wire notes 19): fresh symbols, nothing revealed, estimation anew.
   */
  prepareFrame(frameUuid: string): Awaitable<void>;
  startEmission(): Awaitable<void>;
  stopEmission(): Awaitable<void>;
  symbols(indices: readonly number[]): Awaitable<SymbolsResult>;
  photonNumber(): Awaitable<number>;
  /** The policy on Bob's estimation; a key rate <= 0 is denied before this is asked. */
  approveEstimation(estimation: ContentOf<'PE_FINISHED'>): Awaitable<Verdict>;
  ecInitialize(parameters: ContentOf<'EC_INITIALIZATION'>): Awaitable<Verdict>;
  ecBlock(block: ContentOf<'EC_BLOCK'>): Awaitable<Verdict>;
  ecRemaining(parameters: ContentOf<'EC_REMAINING'>): Awaitable<Verdict>;
  ecVerify(hash: bigint | number): Awaitable<Verdict>;
  privacyAmplification(parameters: ContentOf<'PA_REQUEST'>): Awaitable<Verdict>;
  endFrame(frameUuid: string): Awaitable<void>;
  /**
   * The frame's final key after privacy amplification, asked once FRAME_ENDED
   * is received (before FRAME_ENDED_ACK); absent or null when the backend
   * distils none. It goes to the key store.
   */
  finalKey?(frameUuid: string): Awaitable<Uint8Array | null>;
  changeParameter(parameter: string, value: unknown): Awaitable<ParameterChange>;
  startPolarisationSignal(): Awaitable<void>;
  stopPolarisationSignal(): Awaitable<void>;
  /**
   * Forget the frame in progress: stop the emission and the polarisation
   * signal if on. Called on ABORT, a new frame, a failure and the end of the
   * session; must be idempotent and safe in any state.
   */
  discardFrame(): Awaitable<void>;
}

/** Makes one session backend per connection; shared state (the parameter store, the hardware) lives behind it. */
export interface AliceBackend {
  openSession(info: SessionInfo): AliceSessionBackend;
  /** The daemon stops: emission off, hardware released. */
  close(): Promise<void>;
  /**
   * The deployed configuration's paths this backend's parameters also go by
   * in CHANGE_PARAMETER_REQUEST, with the unit factors (wire notes 20;
   * `src/alice/deployed-parameters.ts`).
   */
  readonly deployedParameters?: DeployedParameters;
}
