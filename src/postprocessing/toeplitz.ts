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
 *  - `subblock_length`: the product is computed on column blocks of this
 *    many key bits (one FFT convolution each); it trades memory for time
 *    and never changes the result.
 * O((n + m) log(n + m)) per block through an FFT convolution: T·k is the
 * middle of the convolution t * k, which a cyclic convolution of n + m - 1
 * points gives unaliased.
 */
import { cyclicConvolveBits } from './fft.ts';

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
  for (let j0 = 0; j0 < n; j0 += subblockLength) {
    const width = Math.min(subblockLength, n - j0);
    // Columns j0..j0+width-1 use diagonal bits t[n-1-j0-(width-1) .. n-1-j0+m-1].
    const from = n - j0 - width;
    // Only entries width-1 .. width+m-2 of the linear convolution are needed: a cyclic one over
    // width + m - 1 points (or more) leaves them unaliased, half the size of the full product.
    let size = 1;
    while (size < width + m - 1) size <<= 1;
    const conv = cyclicConvolveBits(key.subarray(j0, j0 + width), diagonal.subarray(from, from + width + m - 1), size);
    for (let i = 0; i < m; i++) out[i]! ^= conv[i + width - 1]! & 1;
  }
  return out;
}
