/**
 * The EC_VERIFICATION hash of a corrected key: the first 63 bits of
 * SHA-256(bit count as 4 bytes big-endian ‖ the bits packed MSB first),
 * as a non-negative integer below 2^63 (it fits a signed 64-bit integer,
 * as the deployed Python peers' hash does). Two different keys pass with
 * probability 2^-63; the 63 revealed bits are charged to the key length.
 */
import { createHash } from 'node:crypto';

export const VERIFICATION_HASH_BITS = 63;

export function packBits(bits: Uint8Array): Buffer {
  const out = Buffer.alloc(Math.ceil(bits.length / 8));
  for (let i = 0; i < bits.length; i++) if (bits[i]) out[i >> 3]! |= 0x80 >> (i & 7);
  return out;
}

export function verificationHash(bits: Uint8Array): bigint {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bits.length);
  const digest = createHash('sha256').update(length).update(packBits(bits)).digest();
  return digest.readBigUInt64BE(0) >> 1n;
}
