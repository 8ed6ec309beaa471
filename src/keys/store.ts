/**
 * The key store: one SQLite file per side (better-sqlite3), created with
 * mode 0600, WAL journal with synchronous FULL (a commit is on disk when it
 * returns). A frame's final key is cut into blocks of `blockBits` bits, each
 * under the key ID both sides derive (`key-id.ts`); all blocks of a frame are
 * written in one transaction, so a crash leaves the whole frame or nothing.
 * A key is written once (a frame UUID is never stored twice), delivered at
 * most once: it is deleted in the same transaction that reads it, before it
 * is handed out. `secure_delete` zeroes the freed pages and the WAL is
 * truncated after each delivery, so delivered keys do not linger in the file.
 */
import { closeSync, fchmodSync, fstatSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { keyId } from './key-id.ts';

export const DEFAULT_BLOCK_BITS = 256;
export const MIN_BLOCK_BITS = 64;
export const MAX_BLOCK_BITS = 65536;
export const DEFAULT_MAX_KEY_COUNT = 1_000_000;

export interface KeyStoreOptions {
  path: string;
  /** Size of each key block; a multiple of 8 in [MIN_BLOCK_BITS, MAX_BLOCK_BITS]. */
  blockBits?: number;
  /** Most keys kept; a frame that would go above it is not stored. */
  maxKeyCount?: number;
}

export interface StoredKey {
  keyId: string;
  key: Buffer;
}

export type StoreResult =
  | { stored: true; keys: number; discardedBits: number }
  | { stored: false; reason: 'duplicate' | 'full' | 'too-short' };

/** What a delivery could not do; nothing was delivered nor deleted. */
export class KeyStoreError extends Error {
  override name = 'KeyStoreError';
  constructor(
    readonly kind: 'not-enough-keys' | 'unknown-key-ids',
    message: string,
    /** The key IDs not found, for unknown-key-ids. */
    readonly keyIds: readonly string[] = [],
  ) {
    super(message);
  }
}

export function validateBlockBits(bits: number): void {
  if (!Number.isInteger(bits) || bits % 8 !== 0 || bits < MIN_BLOCK_BITS || bits > MAX_BLOCK_BITS) {
    throw new RangeError(`key block size must be a multiple of 8 between ${MIN_BLOCK_BITS} and ${MAX_BLOCK_BITS} bits, got ${bits}`);
  }
}

/** Creates the file with mode 0600 if absent; tightens an existing one. Returns whether the mode had to be tightened. */
function ensurePrivateFile(path: string): boolean {
  const fd = openSync(path, 'a', 0o600);
  try {
    const mode = fstatSync(fd).mode & 0o777;
    if (mode === 0o600) return false;
    fchmodSync(fd, 0o600);
    return true;
  } finally {
    closeSync(fd);
  }
}

export class KeyStore {
  readonly blockBits: number;
  readonly maxKeyCount: number;
  /** The file existed with a mode other than 0600 and was set to 0600. */
  readonly modeTightened: boolean;
  private readonly db: Database.Database;
  private readonly statements;

  constructor(options: KeyStoreOptions) {
    this.blockBits = options.blockBits ?? DEFAULT_BLOCK_BITS;
    validateBlockBits(this.blockBits);
    this.maxKeyCount = options.maxKeyCount ?? DEFAULT_MAX_KEY_COUNT;
    if (!Number.isInteger(this.maxKeyCount) || this.maxKeyCount < 1) throw new RangeError(`max key count must be a positive integer, got ${this.maxKeyCount}`);
    this.modeTightened = ensurePrivateFile(options.path);
    this.db = new Database(options.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('secure_delete = ON');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS frames (
        frame_uuid TEXT PRIMARY KEY,
        stored_at INTEGER NOT NULL,
        block_bits INTEGER NOT NULL,
        blocks INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE IF NOT EXISTS keys (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        key_id TEXT NOT NULL UNIQUE,
        frame_uuid TEXT NOT NULL REFERENCES frames(frame_uuid),
        block_index INTEGER NOT NULL,
        bits INTEGER NOT NULL,
        key BLOB NOT NULL
      ) STRICT;
      CREATE INDEX IF NOT EXISTS keys_by_size ON keys(bits, seq);
    `);
    this.statements = {
      frameExists: this.db.prepare<[string], { one: number }>('SELECT 1 AS one FROM frames WHERE frame_uuid = ?'),
      insertFrame: this.db.prepare<[string, number, number, number]>('INSERT INTO frames (frame_uuid, stored_at, block_bits, blocks) VALUES (?, ?, ?, ?)'),
      insertKey: this.db.prepare<[string, string, number, number, Buffer]>('INSERT INTO keys (key_id, frame_uuid, block_index, bits, key) VALUES (?, ?, ?, ?, ?)'),
      countAll: this.db.prepare<[], { n: number }>('SELECT count(*) AS n FROM keys'),
      countBits: this.db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM keys WHERE bits = ?'),
      oldest: this.db.prepare<[number, number], { seq: number; key_id: string; key: Buffer }>('SELECT seq, key_id, key FROM keys WHERE bits = ? ORDER BY seq LIMIT ?'),
      byId: this.db.prepare<[string], { seq: number; key_id: string; key: Buffer }>('SELECT seq, key_id, key FROM keys WHERE key_id = ?'),
      deleteSeq: this.db.prepare<[number]>('DELETE FROM keys WHERE seq = ?'),
    };
  }

  /**
   * Stores a frame's final key, cut into blocks (the bits after the last
   * whole block are dropped), in one transaction. A frame already stored,
   * or one that would take the store above its maximum, is not stored.
   */
  storeFrame(frameUuid: string, finalKey: Uint8Array): StoreResult {
    const blockBytes = this.blockBits / 8;
    const blocks = Math.floor(finalKey.length / blockBytes);
    if (blocks === 0) return { stored: false, reason: 'too-short' };
    const uuid = frameUuid.toLowerCase();
    const run = this.db.transaction((): StoreResult => {
      if (this.statements.frameExists.get(uuid)) return { stored: false, reason: 'duplicate' };
      if (this.statements.countAll.get()!.n + blocks > this.maxKeyCount) return { stored: false, reason: 'full' };
      this.statements.insertFrame.run(uuid, Date.now(), this.blockBits, blocks);
      for (let i = 0; i < blocks; i++) {
        this.statements.insertKey.run(keyId(uuid, i), uuid, i, this.blockBits, Buffer.from(finalKey.subarray(i * blockBytes, (i + 1) * blockBytes)));
      }
      return { stored: true, keys: blocks, discardedBits: (finalKey.length - blocks * blockBytes) * 8 };
    });
    return run.immediate();
  }

  /** Keys of `bits` bits in store (all sizes when omitted). */
  count(bits?: number): number {
    return bits === undefined ? this.statements.countAll.get()!.n : this.statements.countBits.get(bits)!.n;
  }

  /** Takes the `number` oldest keys of `bits` bits and deletes them; all or none. */
  takeOldest(number: number, bits: number): StoredKey[] {
    const taken = this.db.transaction(() => {
      const rows = this.statements.oldest.all(bits, number);
      if (rows.length < number) throw new KeyStoreError('not-enough-keys', `${number} keys of ${bits} bits asked, ${rows.length} stored`);
      for (const row of rows) this.statements.deleteSeq.run(row.seq);
      return rows.map((r) => ({ keyId: r.key_id, key: r.key }));
    }).immediate();
    this.truncateWal();
    return taken;
  }

  /** Takes the keys named and deletes them; if any is not in store, none is taken. */
  takeByIds(keyIds: readonly string[]): StoredKey[] {
    const taken = this.db.transaction(() => {
      const found: StoredKey[] = [];
      const missing: string[] = [];
      const seen = new Set<string>();
      for (const id of keyIds) {
        const lower = id.toLowerCase();
        const row = seen.has(lower) ? undefined : this.statements.byId.get(lower);
        seen.add(lower);
        if (!row) missing.push(id);
        else {
          found.push({ keyId: row.key_id, key: row.key });
          this.statements.deleteSeq.run(row.seq);
        }
      }
      // Throwing rolls the transaction back: the keys found stay in store.
      if (missing.length > 0) throw new KeyStoreError('unknown-key-ids', `key IDs not in store (unknown, already delivered or asked twice): ${missing.join(', ')}`, missing);
      return found;
    }).immediate();
    this.truncateWal();
    return taken;
  }

  /** Whether the frame's keys were stored (they may have been delivered since). */
  hasFrame(frameUuid: string): boolean {
    return this.statements.frameExists.get(frameUuid.toLowerCase()) !== undefined;
  }

  close(): void {
    this.db.close();
  }

  /** Delivered keys' pages are zeroed (secure_delete); truncating the WAL drops its older copies of them. */
  private truncateWal(): void {
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }
}
