/**
 * The hook that receives each completed frame's final key on either side,
 * and what stores it: Alice's through her wrapped backend
 * (`alice-final-key.ts`), Bob's from `runFrame` after FRAME_ENDED_ACK, the
 * frame's EC_VERIFICATION having succeeded.
 */
import type { Logger } from 'pino';
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
