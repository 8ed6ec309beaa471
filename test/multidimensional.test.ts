import { describe, expect, it } from 'vitest';
import { aliceLlrs, bobSideInformation, conjugate, DIMENSIONS, multiply } from '../src/postprocessing/multidimensional.ts';
import { Xoshiro128 } from '../src/postprocessing/prng.ts';
import { packBits, verificationHash } from '../src/postprocessing/verification-hash.ts';

const rng = new Xoshiro128('multidimensional-test');
const gaussians = (n: number) => Float64Array.from({ length: n }, () => rng.nextGaussian());
const product = (d: number, a: ArrayLike<number>, b: ArrayLike<number>) => {
  const out = new Float64Array(d);
  multiply(d, a, 0, b, 0, out, 0);
  return out;
};
function erfc(z: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(z));
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const value = poly * Math.exp(-z * z);
  return z >= 0 ? value : 2 - value;
}
const norm = (a: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, v) => s + v * v, 0));

describe('normed division algebras of dimension 1, 2, 4, 8', () => {
  it('complex numbers and quaternions follow the textbook rules', () => {
    expect(Array.from(product(2, [1, 2], [3, 4]))).toEqual([-5, 10]); // (1+2i)(3+4i) = -5+10i
    const e = (k: number) => Float64Array.from({ length: 4 }, (_, i) => (i === k ? 1 : 0));
    // Hamilton: i j = k, j k = i, k i = j, i² = -1.
    expect(Array.from(product(4, e(1), e(2)))).toEqual(Array.from(e(3)));
    expect(Array.from(product(4, e(2), e(3)))).toEqual(Array.from(e(1)));
    expect(Array.from(product(4, e(3), e(1)))).toEqual(Array.from(e(2)));
    expect(Array.from(product(4, e(1), e(1)))).toEqual([-1, 0, 0, 0]);
  });

  it('octonion units square to -1 and anticommute; the norm is multiplicative; (a conj(b)) b = a |b|² (alternativity)', () => {
    for (let i = 1; i < 8; i++) {
      const ei = Float64Array.from({ length: 8 }, (_, k) => (k === i ? 1 : 0));
      expect(Array.from(product(8, ei, ei))).toEqual([-1, 0, 0, 0, 0, 0, 0, 0]);
      for (let j = 1; j < 8; j++) {
        if (j === i) continue;
        const ej = Float64Array.from({ length: 8 }, (_, k) => (k === j ? 1 : 0));
        expect(Array.from(product(8, ei, ej)).map((v) => -v + 0)).toEqual(Array.from(product(8, ej, ei)).map((v) => v + 0));
      }
    }
    for (const d of DIMENSIONS) {
      for (let trial = 0; trial < 20; trial++) {
        const a = gaussians(d);
        const b = gaussians(d);
        expect(norm(product(d, a, b))).toBeCloseTo(norm(a) * norm(b), 10);
        const back = product(d, product(d, a, conjugate(b)), b);
        const b2 = norm(b) ** 2;
        back.forEach((v, k) => expect(v).toBeCloseTo(a[k]! * b2, 10));
      }
    }
  });
});

describe('multidimensional reconciliation', () => {
  it("Bob's side information maps his normalised vector onto his bits: alpha · y/|y| = u", () => {
    for (const d of DIMENSIONS) {
      const y = gaussians(8 * d);
      const bits = Uint8Array.from({ length: 8 * d }, () => rng.nextUint32() & 1);
      const alpha = bobSideInformation(d, y, bits);
      for (let v = 0; v < y.length; v += d) {
        const yv = y.subarray(v, v + d);
        const unit = yv.map((c) => c / norm(yv));
        expect(norm(alpha.subarray(v, v + d))).toBeCloseTo(1, 12);
        const u = product(d, alpha.subarray(v, v + d), unit);
        u.forEach((c, i) => expect(c).toBeCloseTo((bits[v + i] ? -1 : 1) / Math.sqrt(d), 12));
      }
    }
  });

  it("gives Alice LLRs whose signs are Bob's bits on a quiet channel, and the exact LLR of sign(y) in dimension 1", () => {
    const n = 4096;
    const x = gaussians(n);
    const g = 0.8;
    const noise = 1e-4;
    const y = x.map((v) => g * v + Math.sqrt(noise) * rng.nextGaussian());
    const bits = Uint8Array.from({ length: n }, () => rng.nextUint32() & 1);
    for (const d of DIMENSIONS) {
      const llr = aliceLlrs(d, x, bobSideInformation(d, y, bits), { gain: g, noiseVariance: noise });
      const wrong = llr.filter((l, i) => (l < 0 ? 1 : 0) !== bits[i]).length;
      // In dimension 1 a bit is lost when |g x| < |z| (about 1 % of samples here); above, u keeps every component away from 0.
      expect(wrong).toBeLessThanOrEqual(d === 1 ? n * 0.02 : 0);
    }
    // d = 1: alpha = ±1, r = alpha·x, and the exact LLR is ln[erfc(-a sqrt(N/2)) / erfc(a sqrt(N/2))], a = g·r/N
    // (the integrals of exp(-rho²/2N ± a rho) over rho > 0), here with erfc by Abramowitz-Stegun 7.1.26.
    for (const [xv, yv, g, n] of [[0.5, -0.7, 2, 0.25], [1.3, 0.4, 0.8, 1.1], [-0.2, 0.9, 0.5, 2]] as const) {
      const llr1 = aliceLlrs(1, [xv], bobSideInformation(1, [yv], Uint8Array.of(0)), { gain: g, noiseVariance: n });
      const r = Math.sign(yv) * xv;
      const a = (g * r) / n;
      expect(llr1[0]).toBeCloseTo(Math.log(erfc(-a * Math.sqrt(n / 2)) / erfc(a * Math.sqrt(n / 2))), 3);
    }
  });

  it('refuses mismatched lengths and dimensions', () => {
    expect(() => bobSideInformation(8, new Float64Array(12), new Uint8Array(12))).toThrow(/multiple/);
    expect(() => bobSideInformation(3 as 1, new Float64Array(12), new Uint8Array(12))).toThrow(/dimension/);
    expect(() => aliceLlrs(2, new Float64Array(4), new Float64Array(2), { gain: 1, noiseVariance: 1 })).toThrow(/side-information/);
  });
});

describe('EC_VERIFICATION hash', () => {
  it('is the first 63 bits of SHA-256(length ‖ packed bits), below 2^63', () => {
    expect(Array.from(packBits(Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 1, 1)))).toEqual([0x81, 0x80]);
    // sha256sum of the bytes 00 00 00 09 81 80 starts 195c157793adabb8: that 64-bit number shifted right once.
    const h = verificationHash(Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 1, 1));
    expect(h).toBe(913679576064251356n);
    expect(h).not.toBe(verificationHash(Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 1, 0)));
  });
});
