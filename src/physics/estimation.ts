/**
 * Parameter estimation by the covariance method, with confidence intervals
 * (Leverrier, Grosshans and Grangier, "Finite-size analysis of a
 * continuous-variable quantum key distribution", PRA 81, 062343 (2010),
 * section III), for heterodyne detection (conventions of src/physics/key-rate.ts).
 *
 * Model, per quadrature, in the detector's units (N0 = its shot noise):
 *   y = t·x + z,  t^2 = N0·eta·T/2,  Var z = sigma^2 = N0·(1 + Vel + eta·T·xi/2),
 * with x Alice's revealed quadratures (SNU) and y Bob's measurements; both
 * quadratures of a symbol are two pairs (m = 2 × revealed symbols).
 * Calibration: shot-noise samples of variance S = N0·(1 + Vel), electronic-
 * noise samples of variance E = N0·Vel. Hence
 *   T = 2 t^2 / (eta·(S - E)),   xi = (sigma^2 - S) / t^2,   Vel = E / (S - E).
 * Estimators: t = Σxy / Σx^2, sigma^2 = Σ(y - t·x)^2 / (m - 1), S = Σs^2/n, E = Σe^2/n.
 * Intervals, each two-sided with failure probability epsilon_PE/4 (so that
 * all four hold together with probability at least 1 - epsilon_PE, by the
 * union bound; z = Φ^{-1}(1 - epsilon_PE/8)):
 *   t ± z·sqrt(sigma^2 / Σx^2)                   (Leverrier et al. 2010, eq. (20), with Σx^2 for m·Va)
 *   sigma^2·(1 ± z·sqrt(2/m))                    (ibid., eq. (21))
 *   S·(1 ± z·sqrt(2/n_S)),  E·(1 ± z·sqrt(2/n_E))  (the same Gaussian-variance bound)
 * and T, xi, Vel take their extremes over the box. The key rate is computed
 * at the worst case: the lowest T, the highest xi and the Vel that gives the
 * lower rate.
 */
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import { secretKeyRate } from './key-rate.ts';

export interface Quadratures {
  real: ArrayLike<number>;
  imag: ArrayLike<number>;
}

export interface EstimationInput {
  /** Alice's revealed symbols (SNU), index by index with Bob's. */
  alice: Quadratures;
  /** Bob's measurements at the same indices, detector units. */
  bob: Quadratures;
  calibration: { shotNoise: ArrayLike<number>; electronicNoise: ArrayLike<number> };
  /** Va = 2·n_photon, SNU. */
  modulationVariance: number;
  /** Bob's detector efficiency (trusted, calibrated). */
  eta: number;
  beta: number;
  epsilonPE: number;
}

export interface Interval {
  estimate: number;
  low: number;
  high: number;
}

export interface Estimate {
  /** Pairs (x, y) used: two per revealed symbol. */
  pairs: number;
  transmittance: Interval;
  excessNoise: Interval;
  electronicNoise: Interval;
  /** The shot noise's variance in the detector's units, N0 = S - E. */
  shotNoise: number;
  /** The values the key rate is computed from. */
  worstCase: { transmittance: number; excessNoise: number; electronicNoise: number };
  /** At the worst case, bits per symbol. */
  keyRate: number;
  /** At the point estimates, bits per symbol. */
  keyRateAtEstimate: number;
}

function sumOfSquares(xs: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < xs.length; i++) sum += xs[i]! * xs[i]!;
  return sum;
}

/** The key rate, 0 where the values leave the model (T = 0, infinite noise). */
function rateAt(Va: number, T: number, xi: number, eta: number, Vel: number, beta: number): number {
  if (!(T > 0) || !Number.isFinite(xi) || !Number.isFinite(Vel)) return 0;
  return secretKeyRate({ Va, T: Math.min(T, 1), xi: Math.max(0, xi), eta, Vel: eta === 1 ? 0 : Math.max(0, Vel), beta });
}

/**
 * What the estimator keeps of the data: the sums and sample variances the
 * intervals are built from (detector units, see the header).
 */
export interface EstimationStatistics {
  /** m, the pairs (x, y): two per revealed symbol. */
  pairs: number;
  /** Σx^2 over the pairs, SNU. */
  sumXX: number;
  /** t = Σxy / Σx^2. */
  t: number;
  /** sigma^2 = Σ(y - t·x)^2 / (m - 1). */
  sigma2: number;
  /** S and E (mean squares) and the number of calibration samples behind each. */
  shotNoise: { meanSquare: number; samples: number };
  electronicNoise: { meanSquare: number; samples: number };
}

export interface RegionSettings {
  /** Va, SNU. */
  modulationVariance: number;
  eta: number;
  beta: number;
  epsilonPE: number;
}

/** An interval for the variance of zero-mean Gaussian samples from their mean square. */
function varianceInterval(meanSquare: number, samples: number, z: number): Interval {
  if (!(samples > 0)) throw new Error('no calibration samples');
  const half = z * Math.sqrt(2 / samples);
  return { estimate: meanSquare, low: Math.max(0, meanSquare * (1 - half)), high: meanSquare * (1 + half) };
}

/** The confidence region of the header and the key rate at its worst case, from the estimator's statistics. */
export function confidenceRegion(stats: EstimationStatistics, settings: RegionSettings): Estimate {
  const { modulationVariance: Va, eta, beta, epsilonPE } = settings;
  if (!(epsilonPE > 0 && epsilonPE < 1)) throw new RangeError(`epsilon_PE must be in (0, 1), got ${epsilonPE}`);
  const z = -normalQuantile(epsilonPE / 8, 0, 1);
  const { pairs: m, sumXX: sxx, t, sigma2 } = stats;
  const dt = z * Math.sqrt(sigma2 / sxx);
  const tLow = Math.max(0, t - dt);
  const tHigh = t + dt;
  const sigma2Half = z * Math.sqrt(2 / m);
  const sigma2Low = Math.max(0, sigma2 * (1 - sigma2Half));
  const sigma2High = sigma2 * (1 + sigma2Half);
  const S = varianceInterval(stats.shotNoise.meanSquare, stats.shotNoise.samples, z);
  const E = varianceInterval(stats.electronicNoise.meanSquare, stats.electronicNoise.samples, z);
  const n0 = S.estimate - E.estimate;
  if (!(n0 > 0)) throw new Error('the shot-noise calibration is not above the electronic noise: the detector is not calibrated');
  const T = (tt: number, n: number) => (n > 0 ? (2 * tt * tt) / (eta * n) : Infinity);
  const transmittance: Interval = {
    estimate: T(t, n0),
    low: T(tLow, S.high - E.low),
    high: T(tHigh, S.low - E.high),
  };
  const xi = (s2: number, s: number, tt: number) => (tt > 0 ? (s2 - s) / (tt * tt) : s2 > s ? Infinity : -Infinity);
  const xiHighs = [xi(sigma2High, S.low, tLow), xi(sigma2High, S.low, tHigh)];
  const xiLows = [xi(sigma2Low, S.high, tLow), xi(sigma2Low, S.high, tHigh)];
  const excessNoise: Interval = { estimate: xi(sigma2, S.estimate, t), low: Math.min(...xiLows), high: Math.max(...xiHighs) };
  const vel = (e: number, s: number) => (s - e > 0 ? e / (s - e) : Infinity);
  const electronicNoise: Interval = {
    estimate: vel(E.estimate, S.estimate),
    low: vel(E.low, S.high),
    high: vel(E.high, S.low),
  };

  const worstT = Math.min(1, Math.max(0, transmittance.low));
  const worstXi = Math.max(0, excessNoise.high);
  const [worstVel, keyRate] = [electronicNoise.low, electronicNoise.high]
    .map((v) => [v, rateAt(Va, worstT, worstXi, eta, v, beta)] as const)
    .reduce((a, b) => (b[1] < a[1] ? b : a));
  return {
    pairs: m,
    transmittance,
    excessNoise,
    electronicNoise,
    shotNoise: n0,
    worstCase: { transmittance: worstT, excessNoise: worstXi, electronicNoise: worstVel },
    keyRate,
    keyRateAtEstimate: rateAt(Va, transmittance.estimate, excessNoise.estimate, eta, electronicNoise.estimate, beta),
  };
}

export function estimateParameters(input: EstimationInput): Estimate {
  const { alice, bob } = input;
  const k = alice.real.length;
  if (alice.imag.length !== k || bob.real.length !== k || bob.imag.length !== k) {
    throw new Error(`Alice's and Bob's revealed symbols differ in number (${k}, ${alice.imag.length}, ${bob.real.length}, ${bob.imag.length})`);
  }
  if (k < 2) throw new Error(`parameter estimation needs at least 2 revealed symbols, got ${k}`);
  const m = 2 * k;
  let sxx = 0;
  let sxy = 0;
  for (const [x, y] of [[alice.real, bob.real], [alice.imag, bob.imag]] as const) {
    for (let i = 0; i < k; i++) {
      sxx += x[i]! * x[i]!;
      sxy += x[i]! * y[i]!;
    }
  }
  if (!(sxx > 0)) throw new Error("Alice's revealed symbols are all zero");
  const t = sxy / sxx;
  let residual = 0;
  for (const [x, y] of [[alice.real, bob.real], [alice.imag, bob.imag]] as const) {
    for (let i = 0; i < k; i++) residual += (y[i]! - t * x[i]!) ** 2;
  }
  const { shotNoise, electronicNoise } = input.calibration;
  return confidenceRegion(
    {
      pairs: m,
      sumXX: sxx,
      t,
      sigma2: residual / (m - 1),
      shotNoise: { meanSquare: sumOfSquares(shotNoise) / shotNoise.length, samples: shotNoise.length },
      electronicNoise: { meanSquare: sumOfSquares(electronicNoise) / electronicNoise.length, samples: electronicNoise.length },
    },
    input,
  );
}
