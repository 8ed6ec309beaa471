/** The key store: key IDs, blocks, one transaction per frame, at-most-once delivery, file mode. */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keyId } from '../src/keys/key-id.ts';
import { KeyStore, KeyStoreError } from '../src/keys/store.ts';

const FRAME = '6f1c3a52-9d2e-4b7a-8c41-0e5d2f3a9b10';
const OTHER = '0b6a2f1e-3c4d-4e5f-8a9b-1c2d3e4f5a6b';

/** n bytes with values that differ from one block to the next. */
const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);

let dir: string;
let store: KeyStore | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'qosst-keys-'));
});
afterEach(() => {
  store?.close();
  store = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('key IDs', () => {
  it('are the UUID v5 of the block index in the frame UUID namespace (values from Python uuid.uuid5)', () => {
    expect(keyId(FRAME, 0)).toBe('79e185f5-f949-5059-a431-afc15df8615c');
    expect(keyId(FRAME, 1)).toBe('e01b44ea-8ee8-56bf-bc90-f64f10256eb6');
    expect(keyId(FRAME, 41)).toBe('b0eedda7-227f-59da-91dd-b9abd2e4e80e');
    expect(keyId(FRAME.toUpperCase(), 41)).toBe('b0eedda7-227f-59da-91dd-b9abd2e4e80e');
  });
  it('refuse a negative or fractional index', () => {
    expect(() => keyId(FRAME, -1)).toThrow(RangeError);
    expect(() => keyId(FRAME, 1.5)).toThrow(RangeError);
  });
});

describe('key store', () => {
  it('creates its file with mode 0600, whatever the umask, in WAL mode with synchronous FULL', () => {
    const path = join(dir, 'keys.sqlite');
    const old = process.umask(0);
    try {
      store = new KeyStore({ path });
    } finally {
      process.umask(old);
    }
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(store.modeTightened).toBe(false);
    store.storeFrame(FRAME, bytes(64));
    expect(statSync(`${path}-wal`).mode & 0o777).toBe(0o600);
    const peek = new Database(path, { readonly: true });
    try {
      expect(peek.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      peek.close();
    }
  });

  it('tightens an existing file to 0600 and says so', () => {
    const path = join(dir, 'keys.sqlite');
    writeFileSync(path, '', { mode: 0o644 });
    store = new KeyStore({ path });
    expect(store.modeTightened).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('cuts a final key into blocks under the derived key IDs and drops the bits after the last whole block', () => {
    store = new KeyStore({ path: join(dir, 'keys.sqlite'), blockBits: 256 });
    const key = bytes(32 * 3 + 5);
    expect(store.storeFrame(FRAME, key)).toEqual({ stored: true, keys: 3, discardedBits: 40 });
    expect(store.count()).toBe(3);
    expect(store.count(256)).toBe(3);
    expect(store.count(128)).toBe(0);
    const taken = store.takeOldest(3, 256);
    expect(taken.map((k) => k.keyId)).toEqual([keyId(FRAME, 0), keyId(FRAME, 1), keyId(FRAME, 2)]);
    expect(taken.map((k) => Buffer.from(k.key).toString('hex'))).toEqual([0, 1, 2].map((i) => Buffer.from(key.subarray(i * 32, (i + 1) * 32)).toString('hex')));
  });

  it('stores a frame once', () => {
    store = new KeyStore({ path: join(dir, 'keys.sqlite'), blockBits: 64 });
    expect(store.storeFrame(FRAME, bytes(16))).toMatchObject({ stored: true, keys: 2 });
    expect(store.storeFrame(FRAME.toUpperCase(), bytes(16, 9))).toEqual({ stored: false, reason: 'duplicate' });
    store.takeOldest(2, 64);
    // Delivered keys never come back, even if the frame's key is offered again.
    expect(store.storeFrame(FRAME, bytes(16, 9))).toEqual({ stored: false, reason: 'duplicate' });
    expect(store.count()).toBe(0);
  });

  it('refuses a key shorter than a block and a frame above the maximum count', () => {
    store = new KeyStore({ path: join(dir, 'keys.sqlite'), blockBits: 64, maxKeyCount: 3 });
    expect(store.storeFrame(FRAME, bytes(7))).toEqual({ stored: false, reason: 'too-short' });
    expect(store.storeFrame(FRAME, bytes(16))).toMatchObject({ stored: true, keys: 2 });
    expect(store.storeFrame(OTHER, bytes(16))).toEqual({ stored: false, reason: 'full' });
    expect(store.count()).toBe(2);
  });

  it('delivers each key once: oldest first, and nothing when there are not enough', () => {
    store = new KeyStore({ path: join(dir, 'keys.sqlite'), blockBits: 64 });
    store.storeFrame(FRAME, bytes(24));
    store.storeFrame(OTHER, bytes(16, 3));
    expect(() => store!.takeOldest(6, 64)).toThrow(KeyStoreError);
    expect(store.count()).toBe(5);
    const first = store.takeOldest(4, 64);
    expect(first.map((k) => k.keyId)).toEqual([keyId(FRAME, 0), keyId(FRAME, 1), keyId(FRAME, 2), keyId(OTHER, 0)]);
    expect(store.count()).toBe(1);
    expect(store.takeOldest(1, 64)[0]!.keyId).toBe(keyId(OTHER, 1));
  });

  it('delivers keys by ID all or none: an unknown, delivered or repeated ID takes nothing', () => {
    store = new KeyStore({ path: join(dir, 'keys.sqlite'), blockBits: 64 });
    const key = bytes(24);
    store.storeFrame(FRAME, key);
    const [a, b, c] = [0, 1, 2].map((i) => keyId(FRAME, i)) as [string, string, string];
    const unknown = keyId(OTHER, 0);
    expect(() => store!.takeByIds([a, unknown])).toThrow(expect.objectContaining({ kind: 'unknown-key-ids', keyIds: [unknown] }));
    expect(() => store!.takeByIds([a, a])).toThrow(KeyStoreError);
    expect(store.count()).toBe(3);
    const got = store.takeByIds([c.toUpperCase(), a]);
    expect(got.map((k) => k.keyId)).toEqual([c, a]);
    expect(Buffer.from(got[0]!.key)).toEqual(Buffer.from(key.subarray(16, 24)));
    expect(() => store!.takeByIds([a])).toThrow(KeyStoreError);
    expect(store.takeByIds([b]).map((k) => k.keyId)).toEqual([b]);
    expect(store.count()).toBe(0);
  });

  it('keeps keys across a reopening', () => {
    const path = join(dir, 'keys.sqlite');
    store = new KeyStore({ path, blockBits: 64 });
    store.storeFrame(FRAME, bytes(16));
    store.close();
    store = new KeyStore({ path, blockBits: 64 });
    expect(store.hasFrame(FRAME)).toBe(true);
    expect(store.takeOldest(2, 64)).toHaveLength(2);
  });

  it('refuses a block size that is not a multiple of 8 or out of range', () => {
    for (const blockBits of [100, 0, 32, 65544]) expect(() => new KeyStore({ path: join(dir, 'k.sqlite'), blockBits })).toThrow(RangeError);
  });
});
