/**
 * Alice's backend wrapped so that each frame's final key goes to the hook
 * once FRAME_ENDED has been received, before FRAME_ENDED_ACK is sent: a
 * store that refuses it aborts the frame, so Bob does not keep it either.
 * (Its own file, so that Bob's side imports nothing of Alice's.)
 */
import type { AliceBackend, AliceSessionBackend } from '../alice/backend.ts';
import type { FinalKeyHook } from './final-key.ts';

/** Alice's backend, its sessions' endFrame followed by the hook with the frame's final key. */
export function withFinalKeyHook(backend: AliceBackend, hook: FinalKeyHook): AliceBackend {
  return {
    openSession(info) {
      const session = backend.openSession(info);
      const endFrame = async (frameUuid: string) => {
        await session.endFrame(frameUuid);
        const key = await session.finalKey?.(frameUuid);
        if (key) hook({ frameUuid, key });
      };
      return new Proxy(session, {
        get(target, property) {
          if (property === 'endFrame') return endFrame;
          const value = Reflect.get(target, property, target) as unknown;
          return typeof value === 'function' ? value.bind(target) : value;
        },
      }) satisfies AliceSessionBackend;
    },
    close: () => backend.close(),
  };
}
