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
 * LLR of b_i for Alice, with the forward model y = g·x + z, Var(z) = N per
 * real dimension, and |y| replaced by its estimate sqrt(g²|x|² + d·N):
 *   LLR_i = 2·g·|y|·r_i / (sqrt(d)·N)   (positive favours b_i = 0),
 * which for d = 1 is exactly the LLR of the sign of y given x and |y|.
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

/** Alice's side: the LLR of each of Bob's bits from her reals x and Bob's side information. */
export function aliceLlrs(d: Dimension, x: ArrayLike<number>, alpha: ArrayLike<number>, model: LinearGaussianModel): Float64Array {
  checkDimension(d, x.length);
  if (alpha.length !== x.length) throw new RangeError(`expected ${x.length} side-information values, got ${alpha.length}`);
  const { gain: g, noiseVariance: noise } = model;
  const llr = new Float64Array(x.length);
  const r = new Float64Array(d);
  for (let v = 0; v < x.length; v += d) {
    let x2 = 0;
    for (let i = 0; i < d; i++) x2 += x[v + i]! ** 2;
    const yNorm = Math.sqrt(g * g * x2 + d * noise);
    multiply(d, alpha, v, x, v, r, 0);
    const scale = (2 * g * yNorm) / (Math.sqrt(d) * noise);
    for (let i = 0; i < d; i++) llr[v + i] = scale * r[i]!;
  }
  return llr;
}
