/**
 * The actor logic of an effect: a function of its input that answers at once
 * or with a promise. XState's `fromPromise` wraps every call in a promise
 * and an AbortController, so even an answer known at once reaches the
 * machine only after a microtask; here a synchronous answer completes the
 * actor while it starts, and the machine takes its done transition within
 * the same `send` as the request.
 */
import type { ActorLogic, ActorRef, ActorSystem, EventObject, Snapshot } from 'xstate';

export type Awaitable<T> = T | PromiseLike<T>;

export const isPromiseLike = <T>(value: Awaitable<T>): value is PromiseLike<T> =>
  typeof (value as { then?: unknown } | null)?.then === 'function';

/** `f(value)`, after the value has settled when it is a promise: no promise for a synchronous value. */
export function andThen<T, U>(value: Awaitable<T>, f: (settled: T) => Awaitable<U>): Awaitable<U> {
  return isPromiseLike(value) ? value.then(f) : f(value);
}

export type EffectSnapshot<TOutput, TInput> = Snapshot<TOutput> & { input: TInput | undefined };

type EffectEvent<TOutput> = { type: 'effect.resolve'; output: TOutput } | { type: 'effect.reject'; error: unknown } | { type: 'xstate.stop' };

export type EffectActorLogic<TOutput, TInput> = ActorLogic<EffectSnapshot<TOutput, TInput>, EffectEvent<TOutput>, TInput, ActorSystem<any>, EventObject>;

/** An effect that settles after its state was left (the actor stopped) is ignored, as with fromPromise. */
function settle<TOutput>(self: ActorRef<Snapshot<unknown>, EffectEvent<TOutput>>, event: EffectEvent<TOutput>): void {
  if (self.getSnapshot().status === 'active') self.send(event);
}

export function fromEffect<TOutput, TInput>(run: (input: TInput) => Awaitable<TOutput>): EffectActorLogic<TOutput, TInput> {
  return {
    config: run,
    transition: (snapshot, event) => {
      if (snapshot.status !== 'active') return snapshot;
      switch (event.type) {
        case 'effect.resolve':
          return { status: 'done', output: event.output, error: undefined, input: undefined };
        case 'effect.reject':
          return { status: 'error', output: undefined, error: event.error, input: undefined };
        case 'xstate.stop':
          return { status: 'stopped', output: undefined, error: undefined, input: undefined };
        default:
          return snapshot;
      }
    },
    start: (snapshot, { self }) => {
      if (snapshot.status !== 'active') return;
      let result: Awaitable<TOutput>;
      try {
        result = run(snapshot.input as TInput);
      } catch (error) {
        settle(self, { type: 'effect.reject', error });
        return;
      }
      if (isPromiseLike(result)) {
        result.then(
          (output) => settle(self, { type: 'effect.resolve', output }),
          (error: unknown) => settle(self, { type: 'effect.reject', error }),
        );
      } else {
        settle(self, { type: 'effect.resolve', output: result });
      }
    },
    getInitialSnapshot: (_, input) => ({ status: 'active', output: undefined, error: undefined, input }),
    getPersistedSnapshot: (snapshot) => snapshot,
    restoreSnapshot: (snapshot) => snapshot as EffectSnapshot<TOutput, TInput>,
  };
}
