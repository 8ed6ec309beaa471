import { describe, expect, it } from 'vitest';
import { convolveBits } from '../src/postprocessing/fft.ts';
import { DEFAULT_EPSILON_PA, finalKeyLength, securityMargin } from '../src/postprocessing/key-length.ts';
import { Xoshiro128 } from '../src/postprocessing/prng.ts';
import { toeplitzDiagonal, toeplitzHash } from '../src/postprocessing/toeplitz.ts';

function randomBits(rng: Xoshiro128, length: number): Uint8Array {
  return Uint8Array.from({ length }, () => rng.nextUint32() & 1);
}

/** The textbook product: row i of T is t[i+n-1], t[i+n-2], ..., t[i] (T[i][j] = t[i-j+n-1]). */
function naive(key: Uint8Array, t: Uint8Array, m: number): Uint8Array {
  const n = key.length;
  const out = new Uint8Array(m);
  for (let i = 0; i < m; i++) {
    let bit = 0;
    for (let j = 0; j < n; j++) bit ^= t[i - j + n - 1]! & key[j]!;
    out[i] = bit;
  }
  return out;
}

describe('Toeplitz hashing', () => {
  it('equals the naive matrix-vector product on small random inputs, whatever the subblock length', () => {
    const rng = new Xoshiro128('toeplitz-test');
    for (let trial = 0; trial < 60; trial++) {
      const n = 1 + rng.below(300);
      const m = 1 + rng.below(n);
      const key = randomBits(rng, n);
      const t = randomBits(rng, n + m - 1);
      const expected = naive(key, t, m);
      expect(toeplitzHash(key, t, m)).toEqual(expected);
      expect(toeplitzHash(key, t, m, 1 + rng.below(n))).toEqual(expected);
    }
  });

  it('is exact on large inputs (FFT rounding): a 2^18-bit key against a naive product on sampled rows', () => {
    const rng = new Xoshiro128('toeplitz-large');
    const n = 1 << 18;
    const m = 5000;
    const key = randomBits(rng, n);
    const t = randomBits(rng, n + m - 1);
    const out = toeplitzHash(key, t, m);
    for (const i of [0, 1, 777, 2500, m - 1]) {
      let bit = 0;
      for (let j = 0; j < n; j++) bit ^= t[i - j + n - 1]! & key[j]!;
      expect(out[i]).toBe(bit);
    }
  });

  it('convolves 0/1 sequences exactly', () => {
    expect(Array.from(convolveBits(Uint8Array.of(1, 1, 0, 1), Uint8Array.of(1, 0, 1)))).toEqual([1, 1, 1, 2, 0, 1]);
  });

  it('takes the full diagonal from a seed of n + m - 1 bits, and extends a short seed with the LFSR', () => {
    const full = Uint8Array.of(1, 0, 1, 1, 0);
    expect(toeplitzDiagonal(full, [], 5)).toEqual(full);
    // x^3 + x + 1: t_j = t_{j-2} XOR t_{j-3}, from 1,0,0 the m-sequence of period 7 (worked by hand).
    expect(Array.from(toeplitzDiagonal([1, 0, 0], [0, 1, 1], 11))).toEqual([1, 0, 0, 1, 0, 1, 1, 1, 0, 0, 1]);
    expect(() => toeplitzDiagonal([1, 0, 0], [1, 1], 11)).toThrow(/feedback polynomial/);
  });

  it('refuses a diagonal of the wrong length', () => {
    expect(() => toeplitzHash(new Uint8Array(10), new Uint8Array(10), 4)).toThrow(/13 bits/);
  });
});

describe('final key length', () => {
  it('follows l = floor(n_sym K - leak_verification - 2 log2(1/epsilon_PA))', () => {
    // 655360 reconciled bits, 2 per heterodyne symbol: 327680 symbols at K = 0.1 bit: 32768 bits,
    // minus 63 hash bits, minus 2 log2(1e10) = 66.4386 bits: 32638.56 -> 32638.
    expect(finalKeyLength({ reconciledBits: 655360, bitsPerSymbol: 2, keyRatePerSymbol: 0.1, verificationBits: 63, epsilonPA: 1e-10 })).toBe(32638);
    expect(securityMargin(DEFAULT_EPSILON_PA)).toBeCloseTo(66.43856, 4);
    // epsilon_PA = 2^-50: a margin of exactly 100 bits.
    expect(finalKeyLength({ reconciledBits: 1000, bitsPerSymbol: 1, keyRatePerSymbol: 0.5, verificationBits: 0, epsilonPA: 2 ** -50 })).toBe(400);
  });

  it('is 0 when the key rate is not positive or the costs exceed the key', () => {
    expect(finalKeyLength({ reconciledBits: 65536, bitsPerSymbol: 2, keyRatePerSymbol: -0.2, verificationBits: 63, epsilonPA: 1e-10 })).toBe(0);
    expect(finalKeyLength({ reconciledBits: 65536, bitsPerSymbol: 2, keyRatePerSymbol: Number.NaN, verificationBits: 63, epsilonPA: 1e-10 })).toBe(0);
    expect(finalKeyLength({ reconciledBits: 1000, bitsPerSymbol: 2, keyRatePerSymbol: 0.1, verificationBits: 63, epsilonPA: 1e-10 })).toBe(0);
  });
});
