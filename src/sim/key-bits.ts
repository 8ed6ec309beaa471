/**
 * Key bits of the simulated backends until reconciliation replaces them:
 * Bob's reference key (reverse reconciliation) is the sign bit of each
 * measured real quadrature he kept, and the EC_VERIFICATION hash of a key.
 */
import { createHash } from 'node:crypto';

/** One byte (0 or 1) per kept symbol: 1 where the value is >= 0; `excluded` are the symbols revealed for estimation. */
export function keyBits(values: ArrayLike<number>, excluded: Iterable<number>): Uint8Array {
  const skip = new Uint8Array(values.length);
  let skipped = 0;
  for (const i of excluded) {
    if (Number.isInteger(i) && i >= 0 && i < values.length && skip[i] === 0) {
      skip[i] = 1;
      skipped++;
    }
  }
  const bits = new Uint8Array(values.length - skipped);
  let j = 0;
  for (let i = 0; i < values.length; i++) if (skip[i] === 0) bits[j++] = values[i]! >= 0 ? 1 : 0;
  return bits;
}

const LOW_63_BITS = (1n << 63n) - 1n;

/** The EC_VERIFICATION hash of a key: the first 8 bytes of its SHA-256, top bit cleared, so it is a non-negative signed 64-bit integer. */
export function keyHash(bits: Uint8Array): bigint {
  return createHash('sha256').update(bits).digest().readBigUInt64BE(0) & LOW_63_BITS;
}
