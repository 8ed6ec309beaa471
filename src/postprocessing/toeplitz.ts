/**
 * Privacy amplification by Toeplitz hashing: the m-bit final key is T·k over
 * GF(2), k the n reconciled bits and T the m×n Toeplitz matrix
 * T[i][j] = t[i - j + n - 1] given by its n + m - 1 diagonal bits t. Random
 * Toeplitz matrices form a 2-universal family (Mansour, Nisan, Tiwari, STOC
 * 1990), so the leftover hash lemma applies (see key-length.ts).
 *
 * PA_REQUEST fields:
 *  - `seed`: the diagonal t itself when it has n + m - 1 bits (what our Bob
 *    sends). A shorter seed s_1..s_k is the initial state of a linear
 *    feedback shift register that extends it: t_j = s_j for j < k, then
 *    t_j = XOR_{i=1..k} c_i·t_{j-i} with `feedback_polynomial` = [c_1..c_k]
 *    (Krawczyk, "LFSR-based hashing and authentication", CRYPTO 1994). That
 *    family is only almost universal: accepted for the specification's form,
 *    never produced by our Bob.
 *  - `subblock_length`: the key is cut into column blocks of at most this
 *    many bits; it trades memory for time and never changes the result.
 * The product is the middle of the convolution t * k, computed by FFT in
 * O((n + m) log(n + m)): the key is cut into blocks of w columns (at most
 * `subblock_length`), block j's product with its w + m - 1 diagonal bits is
 * unaliased in a cyclic convolution of S >= w + m - 1 points, and, the
 * transform being linear, the blocks' product spectra are summed before a
 * single inverse transform. S is the power of two that minimises the work
 * (blocks + 1) · S · log2 S: for n = 10^6, m = 2·10^5 four blocks in
 * 2^19 points, against two transforms of 2^21 points for the whole.
 */
import { accumulateProductSpectrum, inverseFromBitReversed } from './fft.ts';

/** The n + m - 1 Toeplitz diagonal bits from the PA_REQUEST seed and feedback polynomial. */
export function toeplitzDiagonal(seed: ArrayLike<number>, feedbackPolynomial: ArrayLike<number>, length: number): Uint8Array {
  const t = new Uint8Array(length);
  if (seed.length >= length) {
    for (let j = 0; j < length; j++) t[j] = seed[j]! & 1;
    return t;
  }
  const k = seed.length;
  if (feedbackPolynomial.length !== k) {
    throw new RangeError(`a ${k}-bit seed needs a ${k}-bit feedback polynomial to be extended to ${length} bits, got ${feedbackPolynomial.length}`);
  }
  for (let j = 0; j < k; j++) t[j] = seed[j]! & 1;
  for (let j = k; j < length; j++) {
    let bit = 0;
    for (let i = 1; i <= k; i++) bit ^= feedbackPolynomial[i - 1]! & t[j - i]!;
    t[j] = bit;
  }
  return t;
}

/** T·key over GF(2), T the outputLength × key.length Toeplitz matrix of the given diagonal. */
export function toeplitzHash(key: Uint8Array, diagonal: Uint8Array, outputLength: number, subblockLength = key.length): Uint8Array {
  const n = key.length;
  const m = outputLength;
  if (diagonal.length !== n + m - 1) throw new RangeError(`the diagonal must have ${n + m - 1} bits, got ${diagonal.length}`);
  if (!Number.isInteger(subblockLength) || subblockLength < 1) throw new RangeError('subblock_length must be a positive integer');
  const out = new Uint8Array(m);
  if (m === 0 || n === 0) return out;
  const { size, width } = transformPlan(n, m, subblockLength);
  const re = new Float64Array(size);
  const im = new Float64Array(size);
  const accRe = new Float64Array(size);
  const accIm = new Float64Array(size);
  for (let j0 = 0; j0 < n; j0 += width) {
    const w = Math.min(width, n - j0);
    // Columns j0..j0+w-1 use diagonal bits t[n-j0-w .. n-j0+m-2]; output i is entry i + w - 1 of their convolution.
    const from = n - j0 - w;
    // Reverse-pad so that every block's output i lands at the same index i + width - 1: shift the key block right by width - w.
    const keyBlock = new Uint8Array(width);
    keyBlock.set(key.subarray(j0, j0 + w), width - w);
    accumulateProductSpectrum(keyBlock, diagonal.subarray(from, from + w + m - 1), re, im, accRe, accIm);
  }
  inverseFromBitReversed(accRe, accIm);
  const scale = 1 / (2 * size);
  for (let i = 0; i < m; i++) out[i] = Math.round(accIm[i + width - 1]! * scale) & 1;
  return out;
}

/** The transform size and block width that minimise (blocks + 1) · size · log2(size), blocks of at most `subblock` columns. */
function transformPlan(n: number, m: number, subblock: number): { size: number; width: number } {
  let best = { size: 0, width: 0, cost: Infinity };
  let size = 1;
  while (size < m) size <<= 1;
  for (; ; size <<= 1) {
    const width = Math.min(subblock, n, size - m + 1);
    if (width >= 1) {
      const cost = (Math.ceil(n / width) + 1) * size * Math.log2(size * 2);
      if (cost < best.cost) best = { size, width, cost };
    }
    if (size >= n + m - 1) break;
  }
  return best;
}
