/**
 * Random numbers for the simulated link: a ChaCha20 keystream (RFC 8439,
 * node:crypto) keyed from `crypto.randomBytes`, or from a seed when a test
 * asks for one (the same seed gives the same stream). A seeded key is
 * SHA-256 of the seed together with the stream's role ('alice', 'bob', ...),
 * so that one seed given to both parties still gives them independent
 * streams: Bob's detector noise must never be a function of Alice's symbols.
 * Gaussian samples by the Box-Muller transform on 53-bit uniforms. A run of
 * samples can be drawn elsewhere (a worker thread) from where it starts in
 * the stream (`skipNormals`, `normalsFrom`): the same numbers as drawn here.
 */
import { createCipheriv, createHash, randomBytes, type Cipher } from 'node:crypto';

/** Where a run of samples starts: the stream's key and a byte offset into its keystream. */
export interface StreamPosition {
  key: Uint8Array;
  offset: number;
}

export interface RandomSource {
  /** `count` independent samples of N(0, variance). */
  normals(count: number, variance: number): Float64Array;
  /** Leaves the next `count` samples of normals() to normalsFrom() (this source goes past them): where they start. */
  skipNormals(count: number): StreamPosition;
  /** A uniform integer in [0, bound), bound <= 2^32 (rejection sampling: no modulo bias). */
  below(bound: number): number;
}

const TWO_POW_53 = 2 ** 53;
const TWO_PI = 2 * Math.PI;
/** ChaCha20 produces the keystream in blocks of 64 bytes (RFC 8439, section 2.3). */
const BLOCK_BYTES = 64;

/**
 * The keystream from byte `offset` on. node:crypto's 16-byte ChaCha20 IV is
 * OpenSSL's: the block counter, little-endian, then the nonce (zero here);
 * the counter carries into the next word, so it is written as 64 bits.
 */
function keystreamAt(key: Uint8Array, offset: number): Cipher {
  const iv = Buffer.alloc(16);
  iv.writeBigUInt64LE(BigInt(Math.floor(offset / BLOCK_BYTES)), 0);
  const cipher = createCipheriv('chacha20', key, iv);
  cipher.update(Buffer.alloc(offset % BLOCK_BYTES));
  return cipher;
}

/** `count` random 32-bit words of the keystream (in the platform's byte order: any order is uniform). */
function words(cipher: Cipher, count: number): Uint32Array {
  const raw = cipher.update(Buffer.alloc(count * 4));
  return new Uint32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + count * 4));
}

/** Keystream bytes `count` samples take: two 32-bit words per uniform, two uniforms per pair of samples. */
function normalsBytes(count: number): number {
  return Math.ceil(count / 2) * 16;
}

function checkNormals(count: number, variance: number): void {
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`sample count must be a non-negative integer, got ${count}`);
  if (!(variance >= 0) || !Number.isFinite(variance)) throw new RangeError(`variance must be a non-negative number, got ${variance}`);
}

function drawNormals(cipher: Cipher, count: number, variance: number): Float64Array {
  checkNormals(count, variance);
  const pairs = Math.ceil(count / 2);
  const raw = words(cipher, 4 * pairs);
  // Uniforms in (0, 1): 53 random bits, offset by half a step so that log(u) is finite.
  const uniform = (k: number) => ((raw[2 * k]! >>> 11) * 2 ** 32 + raw[2 * k + 1]! + 0.5) / TWO_POW_53;
  const sigma = Math.sqrt(variance);
  const out = new Float64Array(count);
  for (let i = 0; i < pairs; i++) {
    const radius = sigma * Math.sqrt(-2 * Math.log(uniform(2 * i)));
    const angle = TWO_PI * uniform(2 * i + 1);
    out[2 * i] = radius * Math.cos(angle);
    if (2 * i + 1 < count) out[2 * i + 1] = radius * Math.sin(angle);
  }
  return out;
}

/** The samples successive normals() calls would have drawn from `position` on (for another thread). */
export function normalsFrom(position: StreamPosition): Pick<RandomSource, 'normals'> {
  const cipher = keystreamAt(position.key, position.offset);
  return { normals: (count, variance) => drawNormals(cipher, count, variance) };
}

/** The key of a seeded stream; JSON keeps (role, seed) pairs apart ('a', 'b:c' vs 'a:b', 'c'). */
function seededKey(role: string, seed: string): Buffer {
  return createHash('sha256').update(`qosst-sim-rng:${JSON.stringify([role, seed])}`).digest();
}

/** `role` names whose stream this is (who draws from it); it separates seeded streams and is ignored without a seed. */
export function createRandomSource(role: string, seed?: string): RandomSource {
  if (role.length === 0) throw new RangeError('a random source needs a role');
  const key = seed === undefined ? randomBytes(32) : seededKey(role, seed);
  let cipher = keystreamAt(key, 0);
  /** Keystream bytes drawn so far. */
  let offset = 0;
  const draw = (count: number): Uint32Array => {
    offset += count * 4;
    return words(cipher, count);
  };
  // Words for below(), drawn in batches: one cipher call per word would dominate.
  let pool: Uint32Array = new Uint32Array(0);
  let next = 0;
  const word = (): number => {
    if (next === pool.length) {
      pool = draw(4096);
      next = 0;
    }
    return pool[next++]!;
  };

  return {
    normals(count, variance) {
      checkNormals(count, variance);
      offset += normalsBytes(count);
      return drawNormals(cipher, count, variance);
    },
    skipNormals(count) {
      checkNormals(count, 0);
      const start = { key: Uint8Array.from(key), offset };
      offset += normalsBytes(count);
      cipher = keystreamAt(key, offset);
      return start;
    },
    below(bound) {
      if (!Number.isInteger(bound) || bound < 1 || bound > 2 ** 32) throw new RangeError(`bound must be an integer in [1, 2^32], got ${bound}`);
      const limit = 2 ** 32 - (2 ** 32 % bound);
      for (;;) {
        const x = word();
        if (x < limit) return x % bound;
      }
    },
  };
}
