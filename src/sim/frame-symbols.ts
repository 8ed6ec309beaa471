/**
 * Deterministic simulated QKD frame data. Alice's and Bob's simulators both
 * derive a frame's symbols from its UUID and a shared seed, so they agree on
 * the key without ever exchanging it.
 */
import { createHash } from 'node:crypto';

export const DEFAULT_SIM_SEED = 'qosst-sim';

export interface FrameSymbols {
  real: Float64Array;
  imag: Float64Array;
}

/** sfc32: small, fast, and good enough statistically for simulated symbols. */
function sfc32(a: number, b: number, c: number, d: number): () => number {
  return () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
}

const TWO_POW_32 = 2 ** 32;
const TWO_PI = 2 * Math.PI;

/**
 * Gaussian symbols for a frame: each quadrature has variance `variance / 2`,
 * so that the mean photon number is `variance / 2` (2<n> = Va).
 * The UUID is lower-cased: both peers must derive the same stream whatever
 * case it was written in. `round` counts the QIEs of the frame (wire notes
 * 19: a QIE repeated in the same frame emits fresh symbols).
 */
export function frameSymbols(frameUuid: string, count: number, variance: number, seed: string, round = 0): FrameSymbols {
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`symbol count must be a non-negative integer, got ${count}`);
  if (!(variance > 0) || !Number.isFinite(variance)) throw new RangeError(`variance must be a positive number, got ${variance}`);
  const digest = createHash('sha256').update(seed + frameUuid.toLowerCase() + (round === 0 ? '' : `#${round}`)).digest();
  const next = sfc32(digest.readUInt32BE(0), digest.readUInt32BE(4), digest.readUInt32BE(8), digest.readUInt32BE(12));
  // The first outputs of sfc32 are still correlated with the seed words.
  for (let i = 0; i < 12; i++) next();
  const sigma = Math.sqrt(variance / 2);
  const real = new Float64Array(count);
  const imag = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    // Box-Muller; the half offset keeps u1 strictly positive for the log.
    const u1 = (next() + 0.5) / TWO_POW_32;
    const u2 = next() / TWO_POW_32;
    const radius = sigma * Math.sqrt(-2 * Math.log(u1));
    real[i] = radius * Math.cos(TWO_PI * u2);
    imag[i] = radius * Math.sin(TWO_PI * u2);
  }
  return { real, imag };
}

/** One byte (0 or 1) per kept symbol: 1 where the real part is >= 0; `excluded` are the symbols revealed for estimation. */
export function keyBits(real: Float64Array, excluded: ReadonlySet<number>): Uint8Array {
  const bits = new Uint8Array(real.length - countInRange(excluded, real.length));
  let j = 0;
  for (let i = 0; i < real.length; i++) {
    if (excluded.has(i)) continue;
    bits[j++] = (real[i] as number) >= 0 ? 1 : 0;
  }
  return bits;
}

function countInRange(indices: ReadonlySet<number>, size: number): number {
  let n = 0;
  for (const i of indices) if (Number.isInteger(i) && i >= 0 && i < size) n++;
  return n;
}

const LOW_63_BITS = (1n << 63n) - 1n;

/** The EC_VERIFICATION hash of a key: the first 8 bytes of its SHA-256, top bit cleared, so it is a non-negative signed 64-bit integer. */
export function keyHash(bits: Uint8Array): bigint {
  return createHash('sha256').update(bits).digest().readBigUInt64BE(0) & LOW_63_BITS;
}
