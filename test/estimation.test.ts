/**
 * Parameter estimation on seeded simulated frames, in process (emitter
 * symbols, fibre, detector, estimator; no protocol): 3 distances × 2 excess
 * noises, 50 frames each. The true T and xi must lie inside the reported
 * confidence intervals at least as often as epsilon_PE promises, and the
 * point estimates must be unbiased, each within a statistical slack
 * computed here.
 */
import { describe, expect, it } from 'vitest';
import { estimateParameters } from '../src/physics/estimation.ts';
import { transmittanceFromDistance } from '../src/physics/fibre-loss.ts';
import { secretKeyRate } from '../src/physics/key-rate.ts';
import { createDetector } from '../src/sim/detector.ts';
import { describeFibre, propagate } from '../src/sim/fibre.ts';
import { createRandomSource } from '../src/sim/gaussian-source.ts';

const FRAMES = 50;
const SYMBOLS = 10_000;
const REVEALED = 5_000;
const CALIBRATION = 20_000;
const EPSILON_PE = 0.1;
const VA = 4;
const ETA = 0.6;
const VEL = 0.05;

/** P(X <= k) for X ~ Binomial(n, p). */
function binomialCdf(k: number, n: number, p: number): number {
  let term = (1 - p) ** n;
  let sum = term;
  for (let i = 1; i <= k; i++) {
    term *= ((n - i + 1) / i) * (p / (1 - p));
    sum += term;
  }
  return sum;
}

/**
 * The fewest covered frames out of n we accept when each is covered with
 * probability at least `promised`: below it only with probability <= alpha.
 */
function minimumCovered(n: number, promised: number, alpha: number): number {
  let k = 0;
  while (k < n && binomialCdf(k, n, promised) <= alpha) k++;
  return k;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: number[]) => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
};

function simulate(distanceKm: number, excessNoise: number, seed: string) {
  const random = createRandomSource('test', seed);
  const fibre = describeFibre({ distanceKm, excessNoise });
  const detector = createDetector({ efficiency: ETA, electronicNoise: VEL }, random);
  return Array.from({ length: FRAMES }, (_, f) => {
    const real = random.normals(SYMBOLS, VA);
    const imag = random.normals(SYMBOLS, VA);
    const measured = detector.measure(propagate(`frame-${f}`, { real, imag }, fibre, random));
    // The first REVEALED symbols stand for a random choice: the symbols are i.i.d.
    return estimateParameters({
      alice: { real: real.subarray(0, REVEALED), imag: imag.subarray(0, REVEALED) },
      bob: { real: measured.real.subarray(0, REVEALED), imag: measured.imag.subarray(0, REVEALED) },
      calibration: detector.calibrate(CALIBRATION),
      modulationVariance: VA,
      eta: ETA,
      beta: 0.95,
      epsilonPE: EPSILON_PE,
    });
  });
}

describe('estimation on seeded frames', () => {
  it('the binomial slack is computed right', () => {
    expect(binomialCdf(50, 50, 0.9)).toBeCloseTo(1, 12);
    expect(binomialCdf(0, 2, 0.5)).toBeCloseTo(0.25, 15);
    expect(binomialCdf(1, 2, 0.5)).toBeCloseTo(0.75, 15);
    // Mean 45: 37 frames or more, unless a 1-in-1000 event (P(X <= 36) < 1e-3 < P(X <= 37)).
    expect(minimumCovered(50, 0.9, 1e-3)).toBe(37);
    expect(binomialCdf(36, 50, 0.9)).toBeLessThan(1e-3);
    expect(binomialCdf(37, 50, 0.9)).toBeGreaterThan(1e-3);
  });

  for (const distanceKm of [2, 10, 25]) {
    for (const excessNoise of [0.01, 0.1]) {
      it(`${distanceKm} km, xi = ${excessNoise}: intervals cover, estimators unbiased`, () => {
        const T = transmittanceFromDistance(distanceKm);
        const estimates = simulate(distanceKm, excessNoise, `estimation-${distanceKm}-${excessNoise}`);

        // Coverage: the joint region holds with probability >= 1 - epsilon_PE, so each interval too.
        const least = minimumCovered(FRAMES, 1 - EPSILON_PE, 1e-3);
        const coveredT = estimates.filter((e) => e.transmittance.low <= T && T <= e.transmittance.high).length;
        const coveredXi = estimates.filter((e) => e.excessNoise.low <= excessNoise && excessNoise <= e.excessNoise.high).length;
        const coveredVel = estimates.filter((e) => e.electronicNoise.low <= VEL && VEL <= e.electronicNoise.high).length;
        expect(coveredT).toBeGreaterThanOrEqual(least);
        expect(coveredXi).toBeGreaterThanOrEqual(least);
        expect(coveredVel).toBeGreaterThanOrEqual(least);

        // Unbiased: the mean of 50 estimates within 4 standard errors of the truth.
        for (const [name, values, truth] of [
          ['T', estimates.map((e) => e.transmittance.estimate), T],
          ['xi', estimates.map((e) => e.excessNoise.estimate), excessNoise],
          ['Vel', estimates.map((e) => e.electronicNoise.estimate), VEL],
        ] as const) {
          const slack = (4 * std([...values])) / Math.sqrt(FRAMES);
          expect(Math.abs(mean([...values]) - truth), `${name}: mean ${mean([...values])}, truth ${truth}, slack ${slack}`).toBeLessThanOrEqual(slack);
        }

        // The key rate is the worst case's: never above the rate at the point estimates, nor the truth's by more than chance.
        for (const e of estimates) {
          expect(e.worstCase.transmittance).toBe(Math.min(1, Math.max(0, e.transmittance.low)));
          expect(e.worstCase.excessNoise).toBe(Math.max(0, e.excessNoise.high));
          expect(e.keyRate).toBeLessThanOrEqual(e.keyRateAtEstimate + 1e-12);
        }
        const truthRate = secretKeyRate({ Va: VA, T, xi: excessNoise, eta: ETA, Vel: VEL, beta: 0.95 });
        expect(estimates.filter((e) => e.keyRate <= truthRate).length).toBeGreaterThanOrEqual(least);
      });
    }
  }

  it('refuses data it cannot estimate from', () => {
    const base = {
      alice: { real: [1, -1, 2], imag: [0.5, 1, -2] },
      bob: { real: [0.1, -0.1, 0.2], imag: [0.05, 0.1, -0.2] },
      calibration: { shotNoise: [1, -1, 1, -1], electronicNoise: [0.1, -0.1] },
      modulationVariance: 4,
      eta: 0.6,
      beta: 0.95,
      epsilonPE: 0.1,
    };
    expect(() => estimateParameters({ ...base, epsilonPE: 0 })).toThrow(/epsilon_PE/);
    expect(() => estimateParameters({ ...base, bob: { real: [1], imag: [1] } })).toThrow(/differ in number/);
    expect(() => estimateParameters({ ...base, calibration: { shotNoise: [0.1], electronicNoise: [1] } })).toThrow(/not calibrated/);
    expect(() => estimateParameters({ ...base, calibration: { shotNoise: [], electronicNoise: [1] } })).toThrow(/calibration/);
  });
});
