/** Challenges as the deployed peers make them: 15 characters of [A-Za-z0-9] from a CSPRNG (wire notes 8). */
import { randomFillSync } from 'node:crypto';

export const CHALLENGE_LENGTH = 15;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
// 248 = 4 * 62: rejecting bytes at or above it keeps every character equally likely.
const LIMIT = 256 - (256 % ALPHABET.length);

// One getrandom call per 4 KiB instead of one per challenge: it was a third of the time of a round trip.
const pool = Buffer.allocUnsafe(4096);
let next = pool.length;

function randomByte(): number {
  if (next === pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  return pool[next++]!;
}

const ALPHABET_CODES = Buffer.from(ALPHABET, 'latin1');
const drawn = Buffer.allocUnsafe(CHALLENGE_LENGTH);

/** Drawn into one buffer and read as one flat string: no string built a character at a time. */
export function newChallenge(): string {
  let n = 0;
  while (n < CHALLENGE_LENGTH) {
    const byte = randomByte();
    if (byte < LIMIT) drawn[n++] = ALPHABET_CODES[byte % ALPHABET.length]!;
  }
  return drawn.toString('latin1');
}
