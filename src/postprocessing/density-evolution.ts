/**
 * Decoding thresholds of LDPC ensembles on the binary-input AWGN channel by
 * density evolution under the Gaussian approximation (Chung, Richardson,
 * Urbanke, "Analysis of sum-product decoding of low-density parity-check
 * codes using a Gaussian approximation", IEEE Trans. Inf. Theory 47(2), 2001).
 *
 * The Gaussian approximation is fast but optimistic at low SNR (it can put a
 * low-rate threshold beyond capacity), so thresholds are also computed by
 * Monte Carlo density evolution (population dynamics: the messages'
 * distributions are represented by large samples that the exact
 * sum-product rules update; Richardson and Urbanke, "Modern Coding Theory",
 * 2008, sec. 4.5). The code ladder states those thresholds.
 *
 * Conventions: BPSK symbols ±1, noise variance sigma², SNR = 1/sigma² (linear,
 * per real dimension). Messages are LLRs; a symmetric Gaussian LLR of mean m
 * has variance 2m, and the channel LLR 2y/sigma² has mean 2/sigma².
 */

/** A degree distribution from the node perspective: fraction of nodes of each degree. */
export type NodeDegrees = readonly (readonly [degree: number, fraction: number])[];

/**
 * phi(x) = 1 - E[tanh(u/2)], u ~ N(x, 2x) (Chung et al. eq. (6)), with their
 * closed-form approximations (eq. (9) below 10, the asymptotic form above).
 */
export function phi(x: number): number {
  if (x <= 0) return 1;
  if (x < 10) return Math.exp(-0.4527 * x ** 0.86 + 0.0218);
  return Math.sqrt(Math.PI / x) * Math.exp(-x / 4) * (1 - 10 / (7 * x));
}

/** The inverse of phi on (0, 1], by bisection (phi is decreasing). */
export function phiInverse(y: number): number {
  if (y >= 1) return 0;
  let lo = 0;
  let hi = 1;
  while (phi(hi) > y) hi *= 2;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (phi(mid) > y) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Edge-perspective fractions (lambda_i: share of edges attached to degree-i nodes). */
export function edgePerspective(nodes: NodeDegrees): [number, number][] {
  const edges = nodes.reduce((s, [d, f]) => s + d * f, 0);
  return nodes.map(([d, f]) => [d, (d * f) / edges]);
}

/** Design rate 1 - (mean variable degree)/(mean check degree) = 1 - m/n. */
export function designRate(variables: NodeDegrees, checks: NodeDegrees): number {
  const mean = (n: NodeDegrees) => n.reduce((s, [d, f]) => s + d * f, 0);
  return 1 - mean(variables) / mean(checks);
}

/** True when Gaussian-approximation density evolution converges at this noise variance. */
export function converges(variables: NodeDegrees, checks: NodeDegrees, sigma2: number, maxIterations = 2000): boolean {
  const lambda = edgePerspective(variables);
  const rho = edgePerspective(checks);
  const m0 = 2 / sigma2;
  let mu = 0;
  for (let it = 0; it < maxIterations; it++) {
    let s = 0;
    for (const [d, l] of lambda) s += l * phi(m0 + (d - 1) * mu);
    let next = 0;
    // A variable-to-check phi this small means an error probability far below 1e-12.
    if (s < 1e-14) return true;
    // 1 - (1 - s)^(d-1) without the cancellation that would stall the recursion.
    for (const [d, r] of rho) next += r * phiInverse(-Math.expm1((d - 1) * Math.log1p(-s)));
    if (next <= mu * (1 + 1e-9)) return false;
    mu = next;
  }
  return false;
}

/** The smallest SNR (linear, 1/sigma²) at which density evolution converges, to a relative precision of 1e-4. */
export function thresholdSnr(variables: NodeDegrees, checks: NodeDegrees): number {
  let lo = 1e-4;
  let hi = 1;
  while (!converges(variables, checks, 1 / hi)) hi *= 2;
  while (hi / lo > 1 + 1e-4) {
    const mid = Math.sqrt(lo * hi);
    if (converges(variables, checks, 1 / mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** Capacity of the binary-input AWGN channel in bits per use, by Gauss-Hermite-free numerical integration. */
export function biawgnCapacity(snr: number): number {
  const sigma = 1 / Math.sqrt(snr);
  // C = 1 - E[log2(1 + exp(-2y/sigma²))], y ~ N(1, sigma²): trapezoid rule over ±12 sigma.
  const steps = 4000;
  const a = 1 - 12 * sigma;
  const h = (24 * sigma) / steps;
  let acc = 0;
  for (let i = 0; i <= steps; i++) {
    const y = a + i * h;
    const w = i === 0 || i === steps ? 0.5 : 1;
    const pdf = Math.exp(-((y - 1) ** 2) / (2 * sigma * sigma)) / (sigma * Math.sqrt(2 * Math.PI));
    const z = (-2 * y) / (sigma * sigma);
    const log = z > 30 ? z / Math.LN2 : Math.log2(1 + Math.exp(z));
    acc += w * pdf * log;
  }
  return 1 - acc * h;
}

/** Shannon capacity of the real AWGN channel, 1/2 log2(1 + SNR) bits per real dimension. */
export function awgnCapacity(snr: number): number {
  return 0.5 * Math.log2(1 + snr);
}

/** Samples a degree from edge-perspective fractions given as a cumulative table. */
function cumulative(fractions: [number, number][]): { degrees: Int32Array; cdf: Float64Array } {
  const degrees = Int32Array.from(fractions.map(([d]) => d));
  const cdf = new Float64Array(fractions.length);
  let acc = 0;
  fractions.forEach(([, f], i) => (cdf[i] = acc += f));
  cdf[cdf.length - 1] = 1;
  return { degrees, cdf };
}

function pick(table: { degrees: Int32Array; cdf: Float64Array }, u: number): number {
  let i = 0;
  while (u > table.cdf[i]!) i++;
  return table.degrees[i]!;
}

/** A small seeded generator (mulberry32): the Monte Carlo thresholds are reproducible. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** -ln tanh(x/2), its own inverse on (0, inf); clipped so that it stays finite. */
function phiExact(x: number): number {
  if (x < 1e-12) return 28;
  if (x > 28) return 2 * Math.exp(-x);
  return -Math.log(Math.tanh(x / 2));
}

/**
 * Monte Carlo density evolution: true when the error probability of the
 * variable-to-check messages falls below 1e-5 with their mean above 40 (far
 * in the converging regime) within maxIterations.
 */
export function convergesMonteCarlo(variables: NodeDegrees, checks: NodeDegrees, sigma2: number, population = 20000, maxIterations = 1000, seed = 1): boolean {
  const random = mulberry32(seed);
  const lambda = cumulative(edgePerspective(variables));
  const rho = cumulative(edgePerspective(checks));
  const sigma = Math.sqrt(sigma2);
  const channel = () => {
    const u = 1 - random();
    const gauss = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
    return (2 / sigma2) * (1 + sigma * gauss);
  };
  const toCheck = new Float64Array(population);
  const toVariable = new Float64Array(population);
  let previousErrors = population + 1;
  let stalled = 0;
  for (let it = 0; it < maxIterations; it++) {
    let errors = 0;
    let mean = 0;
    for (let p = 0; p < population; p++) {
      const d = pick(lambda, random());
      let v = channel();
      for (let k = 1; k < d; k++) v += toVariable[(random() * population) | 0]!;
      toCheck[p] = v;
      if (v < 0) errors++;
      mean += v;
    }
    mean /= population;
    if (errors <= population * 1e-5 && mean > 40) return true;
    // No progress for 30 iterations: a fixed point with errors left.
    stalled = errors >= previousErrors ? stalled + 1 : 0;
    if (stalled > 30) return false;
    previousErrors = Math.min(previousErrors, errors);
    for (let p = 0; p < population; p++) {
      const d = pick(rho, random());
      let sum = 0;
      let sign = 1;
      for (let k = 1; k < d; k++) {
        const v = toCheck[(random() * population) | 0]!;
        if (v < 0) sign = -sign;
        sum += phiExact(Math.abs(v));
      }
      toVariable[p] = sign * Math.min(60, phiExact(sum));
    }
  }
  return false;
}

/** The Monte Carlo density-evolution threshold SNR, bisected to a relative precision `precision` from a starting bracket. */
export function thresholdSnrMonteCarlo(variables: NodeDegrees, checks: NodeDegrees, low: number, high: number, precision = 0.005): number {
  let lo = low;
  let hi = high;
  while (!convergesMonteCarlo(variables, checks, 1 / hi)) hi *= 1.2;
  while (convergesMonteCarlo(variables, checks, 1 / lo)) lo /= 1.2;
  while (hi / lo > 1 + precision) {
    const mid = Math.sqrt(lo * hi);
    if (convergesMonteCarlo(variables, checks, 1 / mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}
