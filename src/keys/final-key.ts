/**
 * The hook that receives each completed frame's final key on either side,
 * and what stores it. Alice's backend is wrapped so that its final key is
 * stored once FRAME_ENDED has been received, before FRAME_ENDED_ACK is sent
 * (a store that refuses it aborts the frame, so Bob does not keep it
 * either); Bob's driver calls the hook after FRAME_ENDED_ACK, the frame's
 * EC_VERIFICATION having succeeded.
 */
import type { Logger } from 'pino';
import type { AliceBackend, AliceSessionBackend } from '../alice/backend.ts';
import type { KeyStore } from './store.ts';

export interface FinalKey {
  frameUuid: string;
  /** The frame's final key after privacy amplification. */
  key: Uint8Array;
}

export type FinalKeyHook = (frame: FinalKey) => void;

/** Stores each frame's key; logs what was kept (counts, never key material). */
export function storeFinalKeys(store: KeyStore, log: Logger, options: { refuseWhenFull: boolean }): FinalKeyHook {
  return ({ frameUuid, key }) => {
    const result = store.storeFrame(frameUuid, key);
    const frame = { frame: frameUuid, keyBits: key.length * 8 };
    if (result.stored) {
      log.info({ ...frame, keys: result.keys, discardedBits: result.discardedBits, inStore: store.count() }, 'frame keys stored');
    } else if (result.reason === 'full') {
      log.error({ ...frame, maxKeyCount: store.maxKeyCount }, 'key store full: frame keys not stored');
      if (options.refuseWhenFull) throw new Error(`the key store is full (${store.maxKeyCount} keys): the frame's key cannot be kept`);
    } else if (result.reason === 'duplicate') {
      log.warn(frame, 'frame keys already stored once: not stored again');
    } else {
      log.info({ ...frame, blockBits: store.blockBits }, 'final key shorter than one key block: nothing stored');
    }
  };
}

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
