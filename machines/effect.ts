/**
 * The actor that performs a session's effects: one per session, started
 * with the session and asked by each working state in turn. It runs the
 * backend's function for the effect and sends the machine its reply,
 * `effect.done` (the output) or `effect.error`, each naming the request it
 * answers. An answer known at once is replied within the `send` of the
 * request, with no promise in between; a promise is replied to when it
 * settles. Nothing is created per request (see the README, "What XState
 * costs per event in our machine, and why").
 */
import { fromCallback, type CallbackActorLogic, type EventObject } from 'xstate';

export type Awaitable<T> = T | PromiseLike<T>;

export const isPromiseLike = <T>(value: Awaitable<T>): value is PromiseLike<T> =>
  typeof (value as { then?: unknown } | null)?.then === 'function';

/** `f(value)`, after the value has settled when it is a promise: no promise for a synchronous value. */
export function andThen<T, U>(value: Awaitable<T>, f: (settled: T) => Awaitable<U>): Awaitable<U> {
  return isPromiseLike(value) ? value.then(f) : f(value);
}

/** What a working state asks: the effect, and what the backend's function for it is given. */
export interface EffectRequest<TName extends string, TInput> extends EventObject {
  type: 'effect';
  effect: TName;
  input: TInput;
}

/** `request`: what the effect's input names as the request it answers, handed back with the reply. */
export type EffectReply<TOutput, TRequest> =
  | { type: 'effect.done'; request: TRequest; output: TOutput }
  | { type: 'effect.error'; request: TRequest; error: unknown };

export type EffectRun<TInput, TOutput> = (input: TInput) => Awaitable<TOutput>;

export type EffectsLogic<TName extends string, TInput, TSession> = CallbackActorLogic<EffectRequest<TName, TInput>, TSession>;

/**
 * The effects actor: `functions(session)` is called once, when the session
 * starts, and gives the function of each effect. Only the reply to the
 * latest request is sent: one that settles after the machine moved on to
 * another request (or stopped the actor) is dropped, as a stopped invoked
 * actor's would be.
 */
export function fromEffects<TName extends string, TInput extends { request: unknown }, TOutput, TSession>(
  functions: (session: TSession) => Record<TName, EffectRun<TInput, TOutput>>,
): EffectsLogic<TName, TInput, TSession> {
  return fromCallback<EffectRequest<TName, TInput>, TSession>(({ input, sendBack, receive }) => {
    const run = functions(input);
    let latest = 0;
    receive(({ effect, input: effectInput }) => {
      const turn = ++latest;
      const { request } = effectInput;
      const done = (output: TOutput) => {
        if (turn === latest) sendBack({ type: 'effect.done', request, output } satisfies EffectReply<TOutput, unknown>);
      };
      const fail = (error: unknown) => {
        if (turn === latest) sendBack({ type: 'effect.error', request, error } satisfies EffectReply<TOutput, unknown>);
      };
      let result: Awaitable<TOutput>;
      try {
        result = run[effect](effectInput);
      } catch (error) {
        fail(error);
        return;
      }
      if (isPromiseLike(result)) result.then(done, fail);
      else done(result);
    });
  });
}
