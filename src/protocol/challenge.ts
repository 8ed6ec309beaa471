/** Challenges as the deployed peers make them: 15 characters of [A-Za-z0-9] from a CSPRNG (wire notes 8). */
import { randomBytes } from 'node:crypto';

export const CHALLENGE_LENGTH = 15;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
// 248 = 4 * 62: rejecting bytes at or above it keeps every character equally likely.
const LIMIT = 256 - (256 % ALPHABET.length);

export function newChallenge(): string {
  let out = '';
  while (out.length < CHALLENGE_LENGTH) {
    for (const byte of randomBytes(CHALLENGE_LENGTH * 2)) {
      if (byte < LIMIT) out += ALPHABET[byte % ALPHABET.length];
      if (out.length === CHALLENGE_LENGTH) break;
    }
  }
  return out;
}
