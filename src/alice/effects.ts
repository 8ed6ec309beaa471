/**
 * The session machine's effects actor: one function per effect, each
 * calling one method of the session's backend and turning its result into
 * the answer. The logic is the same for every session (the daemon provides
 * it to the machine once); each session's actor starts with its own
 * backend, lock and limits (`EffectsContext`, the machine's `session` input).
 */
import type { AliceEffectsLogic, EffectFunction, EffectInput, EffectOutput } from '../../machines/alice.ts';
import { andThen, fromEffects, isPromiseLike, type Awaitable } from '../../machines/effect.ts';
import type { EffectName } from '../../machines/phase.ts';
import type { MessageName } from '../protocol/codes.ts';
import { validateContent, type ContentOf } from '../protocol/schemas.ts';
import type { AliceSessionBackend, ParameterChange, Verdict } from './backend.ts';
import type { EmitterLock } from './emitter-lock.ts';

export interface EffectsContext {
  backend: AliceSessionBackend;
  lock: EmitterLock;
  /** This session's id, its name as the emitter's owner. */
  owner: string;
  /** How long a QIE_REQUEST waits for another session to release the emitter. */
  emitterWaitMs: number;
  /** True once the connection is gone: anything switched on afterwards is switched off again. */
  closed: () => boolean;
  /** Largest answer content, in bytes. */
  maxAnswerLength: number;
  /**
   * How the session shows where the machine's context and events are
   * serialised (the inspector): a name, not the backend and its frames.
   */
  toJSON(): string;
}

/**
 * Worst case per index in PE_SYMBOLS_RESPONSE: two floats in Python's repr,
 * up to 24 characters each (`-1.2345678901234567e-100`), each with ", ".
 */
const SYMBOL_BYTES = 2 * (24 + 2);
const SYMBOLS_OVERHEAD = 64;

/** How many symbols an answer of at most `maxAnswerLength` bytes surely holds. */
export const symbolsPerAnswer = (maxAnswerLength: number) => Math.max(0, Math.floor((maxAnswerLength - SYMBOLS_OVERHEAD) / SYMBOL_BYTES));

type Content<N extends MessageName> = NonNullable<ContentOf<N>>;
const contentOf = <N extends MessageName>(input: EffectInput, _name: N) => input.request!.content as Content<N>;

function verdict(v: Verdict, ok: MessageName, refused: MessageName, key = 'error_message'): EffectOutput {
  return v.ok ? { answer: ok } : { answer: refused, content: { [key]: v.message } };
}

function parameterAnswer(parameter: string, change: ParameterChange): EffectOutput {
  const old = (v: unknown) => (v === undefined ? null : v);
  const message = (m: string | undefined) => (m === undefined ? {} : { error_message: m });
  switch (change.outcome) {
    case 'changed':
      return { answer: 'PARAMETER_CHANGED', content: { parameter, old_value: old(change.oldValue), new_value: old(change.newValue) } };
    case 'unknown':
      return { answer: 'PARAMETER_UNKOWN', content: { parameter } };
    case 'invalid':
      return { answer: 'PARAMETER_INVALID_VALUE', content: { parameter, old_value: old(change.oldValue), ...message(change.message) } };
    case 'unchanged':
      return { answer: 'PARAMETER_UNCHANGED', content: { parameter, old_value: old(change.oldValue), ...message(change.message) } };
  }
}

function effectFunctions(ctx: EffectsContext): Record<EffectName, EffectFunction> {
  const { backend, lock, owner } = ctx;
  // What the backend puts in an answer is checked like what Bob sends: a bad value aborts the frame, never the encoder.
  const checked = (output: EffectOutput): EffectOutput => {
    const valid = validateContent(output.answer, output.content ?? null);
    if (!valid.ok) throw new Error(`the backend's answer is invalid: ${valid.error}`);
    return output;
  };
  // A backend that answers at once is answered at once: no promise in between (see machines/effect.ts).
  const effect =
    (run: (input: EffectInput) => Awaitable<EffectOutput>): EffectFunction =>
    (input) =>
      andThen(run(input), checked);
  /** discardFrame, then the emitter released whatever happened. */
  const discard = (): Awaitable<void> => {
    let discarded: Awaitable<void>;
    try {
      discarded = backend.discardFrame();
    } catch (error) {
      lock.release(owner);
      throw error;
    }
    if (!isPromiseLike(discarded)) return lock.release(owner);
    return Promise.resolve(discarded).finally(() => lock.release(owner));
  };
  return {
    initialize: effect((input) =>
      andThen(backend.initialize(contentOf(input, 'INITIALIZATION_REQUEST')), (d): EffectOutput => {
        if (d.outcome === 'accepted') return { answer: 'INITIALIZATION_ACCEPTED' };
        return { answer: d.outcome === 'denied' ? 'INITIALIZATION_DENIED' : 'INITIALIZATION_PROPOSAL', content: { deny_message: d.message } };
      }),
    ),
    proposeConfig: effect(() => andThen(backend.proposeConfig(), (config) => ({ answer: 'INITIALIZATION_CONFIG', content: { config } }))),
    prepareFrame: effect(async ({ context }) => {
      await lock.acquire(owner, ctx.emitterWaitMs);
      try {
        if (ctx.closed()) throw new Error('the session ended');
        await backend.prepareFrame(context.frameUuid!);
      } catch (error) {
        lock.release(owner);
        throw error;
      }
      return { answer: 'QIE_READY' };
    }),
    startEmission: effect(async () => {
      await backend.startEmission();
      if (ctx.closed()) await discard();
      return { answer: 'QIE_EMISSION_STARTED' };
    }),
    stopEmission: effect(() =>
      andThen(backend.stopEmission(), (): EffectOutput => {
        lock.release(owner);
        return { answer: 'QIE_ENDED' };
      }),
    ),
    symbols: effect((input) => {
      const { indices } = contentOf(input, 'PE_SYMBOLS_REQUEST');
      const most = symbolsPerAnswer(ctx.maxAnswerLength);
      if (indices.length > most) {
        const error_message = `${indices.length} indices: the answer could exceed Alice's answer limit of ${ctx.maxAnswerLength} bytes; ask for at most ${most} at a time.`;
        return { answer: 'PE_SYMBOLS_ERROR', content: { error_message } };
      }
      return andThen(backend.symbols(indices), (r): EffectOutput =>
        r.ok
          ? { answer: 'PE_SYMBOLS_RESPONSE', content: { symbols_real: r.real, symbols_imag: r.imag } }
          : { answer: 'PE_SYMBOLS_ERROR', content: { error_message: r.message } },
      );
    }),
    photonNumber: effect(() => andThen(backend.photonNumber(), (n_photon) => ({ answer: 'PE_NPHOTON_RESPONSE', content: { n_photon } }))),
    approveEstimation: effect((input) =>
      andThen(backend.approveEstimation(contentOf(input, 'PE_FINISHED')), (v) => verdict(v, 'PE_APPROVED', 'PE_DENIED', 'deny_message')),
    ),
    ecInitialize: effect((input) => andThen(backend.ecInitialize(contentOf(input, 'EC_INITIALIZATION')), (v) => verdict(v, 'EC_READY', 'EC_DENIED'))),
    ecBlock: effect((input) => andThen(backend.ecBlock(contentOf(input, 'EC_BLOCK')), (v) => verdict(v, 'EC_BLOCK_ACK', 'EC_BLOCK_ERROR'))),
    ecRemaining: effect((input) =>
      andThen(backend.ecRemaining(contentOf(input, 'EC_REMAINING')), (v) => verdict(v, 'EC_REMAINING_ACK', 'EC_REMAINING_ERROR')),
    ),
    ecVerify: effect((input) =>
      andThen(backend.ecVerify(contentOf(input, 'EC_VERIFICATION').hash), (v) => verdict(v, 'EC_VERIFICATION_SUCCESS', 'EC_VERIFICATION_FAIL')),
    ),
    privacyAmplification: effect((input) =>
      andThen(backend.privacyAmplification(contentOf(input, 'PA_REQUEST')), (v) => verdict(v, 'PA_SUCCESS', 'PA_ERROR')),
    ),
    endFrame: effect(({ context }) =>
      andThen(backend.endFrame(context.frameUuid!), () => ({ answer: 'FRAME_ENDED_ACK', content: { frame_uuid: context.frameUuid } })),
    ),
    changeParameter: effect((input) => {
      const { parameter, value } = contentOf(input, 'CHANGE_PARAMETER_REQUEST');
      return andThen(backend.changeParameter(parameter, value), (change) => parameterAnswer(parameter, change));
    }),
    startPolarisationSignal: effect(async () => {
      await backend.startPolarisationSignal();
      if (ctx.closed()) await discard();
      return { answer: 'POLARISATION_RECOVERY_ACK' };
    }),
    stopPolarisationSignal: effect(() => andThen(backend.stopPolarisationSignal(), () => ({ answer: 'POLARISATION_RECOVERY_ENDED' }))),
    discardFrame: effect(() => andThen(discard(), () => ({ answer: 'ABORT_ACK' }))),
    endSession: effect(() => andThen(discard(), () => ({ answer: 'DISCONNECTION_ACK' }))),
  };
}

/**
 * The effects actor of every session: `provide({ actors: { effects: aliceEffects } })`. The machine
 * hands its `session` input on unread; the connection gives it the session's `EffectsContext`.
 */
export const aliceEffects: AliceEffectsLogic = fromEffects((session) => effectFunctions(session as EffectsContext));
