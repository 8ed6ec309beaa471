/**
 * Child process for the durability test: stores frame A, then starts
 * storing frame B and stops inside its transaction, after block PAUSE_AT,
 * saying so on standard output, until the parent kills it with SIGKILL.
 * Usage: key-store-writer.ts STORE FRAME_A KEY_A_HEX FRAME_B BLOCKS_B PAUSE_AT
 */
import { writeSync } from 'node:fs';
import { KeyStore } from '../../src/keys/store.ts';

const [path, frameA, keyAHex, frameB, blocksB, pauseAt] = process.argv.slice(2) as [string, string, string, string, string, string];
const store = new KeyStore({ path });
const a = store.storeFrame(frameA, Buffer.from(keyAHex, 'hex'));
writeSync(1, `stored ${JSON.stringify(a)}\n`);

const blockBytes = store.blockBits / 8;
const pauseOffset = Number(pauseAt) * blockBytes;

/** Frame B's key: reading the block at PAUSE_AT (inside the store's transaction) blocks this process for good. */
class PausingKey extends Uint8Array {
  override subarray(begin?: number, end?: number): Uint8Array<ArrayBuffer> {
    if (begin === pauseOffset) {
      writeSync(1, 'mid-frame\n');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
    }
    return super.subarray(begin, end);
  }
}
store.storeFrame(frameB, new PausingKey(Number(blocksB) * blockBytes).fill(0x5a));
writeSync(1, 'frame B stored: the parent should have killed this process\n');
