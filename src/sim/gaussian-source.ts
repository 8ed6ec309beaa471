/**
 * Random numbers for the simulated link: a ChaCha20 keystream (RFC 8439,
 * node:crypto) keyed from `crypto.randomBytes`, or from a seed when a test
 * asks for one (the same seed gives the same stream). A seeded key is
 * SHA-256 of the seed together with the stream's role ('alice', 'bob', ...),
 * so that one seed given to both parties still gives them independent
 * streams: Bob's detector noise must never be a function of Alice's symbols.
 * Gaussian samples by the Box-Muller transform on 53-bit uniforms.
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';

export interface RandomSource {
  /** `count` independent samples of N(0, variance). */
  normals(count: number, variance: number): Float64Array;
  /** A uniform integer in [0, bound), bound <= 2^32 (rejection sampling: no modulo bias). */
  below(bound: number): number;
}

const TWO_POW_53 = 2 ** 53;
const TWO_PI = 2 * Math.PI;

/** The key of a seeded stream; JSON keeps (role, seed) pairs apart ('a', 'b:c' vs 'a:b', 'c'). */
function seededKey(role: string, seed: string): Buffer {
  return createHash('sha256').update(`qosst-sim-rng:${JSON.stringify([role, seed])}`).digest();
}

/** `role` names whose stream this is (who draws from it); it separates seeded streams and is ignored without a seed. */
export function createRandomSource(role: string, seed?: string): RandomSource {
  if (role.length === 0) throw new RangeError('a random source needs a role');
  const key = seed === undefined ? randomBytes(32) : seededKey(role, seed);
  const cipher = createCipheriv('chacha20', key, Buffer.alloc(16));
  /** `count` random 32-bit words (the keystream, read in the platform's byte order: any order is uniform). */
  const words = (count: number): Uint32Array => {
    const raw = cipher.update(Buffer.alloc(count * 4));
    return new Uint32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + count * 4));
  };
  // Words for below(), drawn in batches: one cipher call per word would dominate.
  let pool: Uint32Array = new Uint32Array(0);
  let next = 0;
  const word = (): number => {
    if (next === pool.length) {
      pool = words(4096);
      next = 0;
    }
    return pool[next++]!;
  };

  /** Uniforms in (0, 1): 53 random bits, offset by half a step so that log(u) is finite. */
  function uniforms(count: number): Float64Array {
    const raw = words(2 * count);
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) out[i] = ((raw[2 * i]! >>> 11) * 2 ** 32 + raw[2 * i + 1]! + 0.5) / TWO_POW_53;
    return out;
  }

  return {
    normals(count, variance) {
      if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`sample count must be a non-negative integer, got ${count}`);
      if (!(variance >= 0) || !Number.isFinite(variance)) throw new RangeError(`variance must be a non-negative number, got ${variance}`);
      const pairs = Math.ceil(count / 2);
      const u = uniforms(2 * pairs);
      const sigma = Math.sqrt(variance);
      const out = new Float64Array(count);
      for (let i = 0; i < pairs; i++) {
        const radius = sigma * Math.sqrt(-2 * Math.log(u[2 * i]!));
        const angle = TWO_PI * u[2 * i + 1]!;
        out[2 * i] = radius * Math.cos(angle);
        if (2 * i + 1 < count) out[2 * i + 1] = radius * Math.sin(angle);
      }
      return out;
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
