/**
 * Multidimensional reconciliation (Leverrier, Alléaume, Boutros, Zémor,
 * Grangier, "Multidimensional reconciliation for a continuous-variable
 * quantum key distribution", PRA 77, 042325, 2008), reverse direction.
 *
 * Both parties cut their real-valued data into vectors of d = 1, 2, 4 or 8
 * components (d consecutive reals; with heterodyne detection each symbol
 * gives two: q then p). Per vector:
 *  - Bob draws d uniform bits b and forms u_i = (-1)^(b_i) / sqrt(d), a unit
 *    vector; with y' = y/|y| he computes alpha = u · conj(y') in the
 *    normed division algebra of dimension d (reals, complex numbers,
 *    quaternions, octonions, built by the Cayley-Dickson doubling
 *    (a, b)(c, d) = (ac - conj(d) b, da + b conj(c))), so that
 *    alpha · y' = u (the paper's M(y, u) is left multiplication by alpha;
 *    for octonions this holds by alternativity). He sends alpha: it is
 *    uniform on the sphere whatever u is, so it says nothing about b.
 *  - Alice computes r = alpha · x. Left multiplication by a unit element is
 *    orthogonal, so with x = c·y + w (w Gaussian, independent of y),
 *    r = c·|y|·u + (Gaussian noise of the same variance): a binary-input
 *    AWGN channel per component.
 * Alice's LLRs are exact for this model (y = g·x + z, Var(z) = N per real
 * dimension, x known, |y| unknown): given alpha, each of the 2^d candidate
 * words u names a candidate direction y' = conj(alpha)·u, and
 *   p(y' | x) is proportional to F(<u, r>),
 *   F(t) = integral over rho > 0 of rho^(d-1) exp(-rho²/(2N) + rho·g·t/N),
 * (the density of y = rho·y' integrated over its unknown length rho). The
 * LLR of b_i sums F over the 2^(d-1) words with b_i = 0 against those with
 * b_i = 1. ln F is tabulated once per block by numerical integration.
 */

export type Dimension = 1 | 2 | 4 | 8;
export const DIMENSIONS: readonly Dimension[] = [1, 2, 4, 8];

/** out = a · b in the Cayley-Dickson algebra of dimension d, by the doubling formula (the definition; slow). */
export function cayleyDickson(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const d = a.length;
  if (d === 1) return Float64Array.of(a[0]! * b[0]!);
  const h = d / 2;
  const part = (x: ArrayLike<number>, from: number) => Float64Array.from({ length: h }, (_, i) => x[from + i]!);
  const [p, q, r, s] = [part(a, 0), part(a, h), part(b, 0), part(b, h)];
  // (p, q)(r, s) = (p r - conj(s) q, s p + q conj(r))
  const first = cayleyDickson(p, r).map((v, i) => v - cayleyDickson(conjugate(s), q)[i]!);
  const second = cayleyDickson(s, p).map((v, i) => v + cayleyDickson(q, conjugate(r))[i]!);
  return Float64Array.of(...first, ...second);
}

export function conjugate(a: ArrayLike<number>): Float64Array {
  return Float64Array.from({ length: a.length }, (_, i) => (i === 0 ? a[0]! : -a[i]!));
}

/** Structure constants e_i e_j = sign[i*d+j] · e_{index[i*d+j]}, computed once from the doubling formula. */
const TABLES = new Map<number, { sign: Float64Array; index: Int32Array }>(
  [1, 2, 4, 8].map((d) => {
    const sign = new Float64Array(d * d);
    const index = new Int32Array(d * d);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        const ei = new Float64Array(d).fill(0);
        const ej = new Float64Array(d).fill(0);
        ei[i] = 1;
        ej[j] = 1;
        const product = cayleyDickson(ei, ej);
        const k = product.findIndex((v) => v !== 0);
        sign[i * d + j] = product[k]!;
        index[i * d + j] = k;
      }
    }
    return [d, { sign, index }];
  }),
);

/** out[oi..oi+d) = a[ai..ai+d) · b[bi..bi+d), by the structure constants. */
export function multiply(d: number, a: ArrayLike<number>, ai: number, b: ArrayLike<number>, bi: number, out: Float64Array, oi: number): void {
  const { sign, index } = TABLES.get(d)!;
  for (let k = 0; k < d; k++) out[oi + k] = 0;
  for (let i = 0; i < d; i++) {
    const x = a[ai + i]!;
    for (let j = 0; j < d; j++) out[oi + index[i * d + j]!]! += sign[i * d + j]! * x * b[bi + j]!;
  }
}

function checkDimension(d: number, length: number): void {
  if (!DIMENSIONS.includes(d as Dimension)) throw new RangeError(`dimension must be 1, 2, 4 or 8, got ${d}`);
  if (length % d !== 0) throw new RangeError(`length ${length} is not a multiple of the dimension ${d}`);
}

/**
 * Bob's side: from his measured reals y and his key bits (one per real),
 * the side information alpha (d reals per vector) that he sends to Alice.
 */
export function bobSideInformation(d: Dimension, y: ArrayLike<number>, bits: Uint8Array): Float64Array {
  checkDimension(d, y.length);
  if (bits.length !== y.length) throw new RangeError(`expected ${y.length} bits, got ${bits.length}`);
  const alpha = new Float64Array(y.length);
  const u = new Float64Array(d);
  const yConj = new Float64Array(d);
  const unit = 1 / Math.sqrt(d);
  for (let v = 0; v < y.length; v += d) {
    let norm = 0;
    for (let i = 0; i < d; i++) norm += y[v + i]! ** 2;
    norm = Math.sqrt(norm);
    // A zero vector has no direction: any unit vector serves (probability zero with real data).
    for (let i = 0; i < d; i++) {
      const yi = norm > 0 ? y[v + i]! / norm : i === 0 ? 1 : 0;
      yConj[i] = i === 0 ? yi : -yi;
      u[i] = bits[v + i] ? -unit : unit;
    }
    multiply(d, u, 0, yConj, 0, alpha, v);
  }
  return alpha;
}

export interface LinearGaussianModel {
  /** Gain g of y = g·x + z (Bob's reals from Alice's). */
  readonly gain: number;
  /** Variance N of z per real dimension, in the units of x and y squared. */
  readonly noiseVariance: number;
}

const LLR_CLIP = 30;

/**
 * ln F(t) on a grid of t in [-range, range] (see the header), by Simpson's
 * rule in the log domain over ±12 standard deviations around the
 * integrand's peak (a smooth, Gaussian-like bump: 48 panels are exact to
 * far below the LLRs' own precision).
 */
function lnFTable(d: number, g: number, noise: number, range: number, points: number): Float64Array {
  const table = new Float64Array(points);
  const steps = 48;
  for (let k = 0; k < points; k++) {
    const t = -range + (2 * range * k) / (points - 1);
    const a = (g * t) / noise;
    // The integrand's maximum: (d-1)/rho - rho/N + a = 0.
    const peak = (a * noise + Math.sqrt(a * a * noise * noise + 4 * (d - 1) * noise)) / 2;
    const width = 12 * Math.sqrt(noise);
    const from = Math.max(0, peak - width);
    const h = (peak + width - from) / steps;
    const logAt = (rho: number) => (rho > 0 ? (d - 1) * Math.log(rho) : d === 1 ? 0 : -Infinity) - (rho * rho) / (2 * noise) + a * rho;
    const top = logAt(Math.max(peak, 1e-300));
    let sum = 0;
    for (let i = 0; i <= steps; i++) sum += (i === 0 || i === steps ? 1 : i % 2 ? 4 : 2) * Math.exp(logAt(from + i * h) - top);
    table[k] = top + Math.log((sum * h) / 3);
  }
  return table;
}

/** Alice's side: the exact LLR of each of Bob's bits from her reals x and Bob's side information. */
export function aliceLlrs(d: Dimension, x: ArrayLike<number>, alpha: ArrayLike<number>, model: LinearGaussianModel): Float64Array {
  checkDimension(d, x.length);
  if (alpha.length !== x.length) throw new RangeError(`expected ${x.length} side-information values, got ${alpha.length}`);
  const { gain: g, noiseVariance: noise } = model;
  if (!(g > 0 && noise > 0)) throw new RangeError('the channel model needs a positive gain and noise variance');
  const llr = new Float64Array(x.length);
  // |<u, r>| <= |r| = |x| per vector: the table spans the block's largest norm.
  let range = 0;
  for (let v = 0; v < x.length; v += d) {
    let x2 = 0;
    for (let i = 0; i < d; i++) x2 += x[v + i]! ** 2;
    range = Math.max(range, Math.sqrt(x2));
  }
  range = range * 1.0001 + 1e-12;
  const points = 2048;
  const table = lnFTable(d, g, noise, range, points);
  // F itself, scaled by its largest value: a word's weight is then one interpolation, no exp.
  let tableTop = -Infinity;
  for (const value of table) tableTop = Math.max(tableTop, value);
  const scaled = table.map((value) => Math.exp(value - tableTop));
  const toIndex = (points - 1) / (2 * range);
  const words = 1 << d;
  const unit = 1 / Math.sqrt(d);
  const r = new Float64Array(d);
  const ts = new Float64Array(words);
  const weights = new Float64Array(words);
  const one = new Float64Array(d);
  const step = new Float64Array(d);
  for (let v = 0; v < x.length; v += d) {
    multiply(d, alpha, v, x, v, r, 0);
    // Words in Gray-code order: each differs from the previous one in one bit, so <u, r> moves by one term.
    let t = 0;
    for (let i = 0; i < d; i++) {
      t += r[i]! * unit;
      step[i] = 2 * r[i]! * unit;
    }
    let word = 0;
    let total = 0;
    for (let gray = 0; gray < words; gray++) {
      if (gray > 0) {
        const i = 31 - Math.clz32(gray & -gray);
        word ^= 1 << i;
        t += word & (1 << i) ? -step[i]! : step[i]!;
      }
      const p = (t + range) * toIndex;
      const k = Math.min(points - 2, Math.max(0, p | 0));
      ts[word] = p;
      const e = scaled[k]! + (p - k) * (scaled[k + 1]! - scaled[k]!);
      weights[word] = e;
      total += e;
    }
    // Far below the table's top the scaled weights lose precision (or underflow): redo this vector in the log domain.
    if (!(total > 1e-200)) {
      let top = -Infinity;
      for (let w = 0; w < words; w++) {
        const p = ts[w]!;
        const k = Math.min(points - 2, Math.max(0, p | 0));
        const value = table[k]! + (p - k) * (table[k + 1]! - table[k]!);
        weights[w] = value;
        if (value > top) top = value;
      }
      total = 0;
      for (let w = 0; w < words; w++) total += weights[w] = Math.exp(weights[w]! - top);
    }
    // Per-bit sums by folding: the upper half of the words (top bit 1) summed is that bit's
    // share, then the halves are added and the next bit is the top one (2^d adds instead of d·2^d).
    for (let i = d - 1; i >= 0; i--) {
      const half = 1 << i;
      let upper = 0;
      for (let w = 0; w < half; w++) {
        const e = weights[w + half]!;
        upper += e;
        weights[w]! += e;
      }
      one[i] = upper;
    }
    for (let i = 0; i < d; i++) {
      const value = Math.log(total - one[i]!) - Math.log(one[i]!);
      llr[v + i] = value > LLR_CLIP ? LLR_CLIP : value < -LLR_CLIP ? -LLR_CLIP : value;
    }
  }
  return llr;
}
