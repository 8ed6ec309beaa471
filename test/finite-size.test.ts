/**
 * The expected finite-size worst case (src/physics/finite-size.ts) against
 * numbers made without it: a hand-computed point (the interval formulas of
 * Leverrier et al. 2010 evaluated in Python, z = Φ^{-1}(1 - 1.25e-11) from
 * statistics.NormalDist), and a Monte Carlo of the estimator itself over
 * seeded frames drawn here straight from the link's model.
 */
import { describe, expect, it } from 'vitest';
import { estimateParameters } from '../src/physics/estimation.ts';
import { expectedEstimate } from '../src/physics/finite-size.ts';
import { secretKeyRate } from '../src/physics/key-rate.ts';
import { createRandomSource } from '../src/sim/gaussian-source.ts';

const LINK = { Va: 4, T: 0.5, xi: 0.05, eta: 0.6, Vel: 0.05 };

describe('the expected finite-size worst case', () => {
  it('matches a hand-computed point (500 000 revealed symbols, 10^6 calibration samples, epsilon_PE = 1e-10)', () => {
    const e = expectedEstimate(LINK, { revealedSymbols: 500_000, calibrationSamples: 1_000_000, epsilonPE: 1e-10, beta: 0.95 });
    // z = 6.6733670775; t = sqrt(0.15), sigma^2 = 1.0575, S = 1.05, E = 0.05 (N0 = 1);
    // T_low = 2 (t - z·sqrt(sigma^2/(m·Va)))^2 / (eta·(S_high - E_low)), xi_high = (sigma^2_high - S_low) / t_low^2.
    expect(e.worstCase.transmittance).toBeCloseTo(0.4861330340195317, 12);
    expect(e.worstCase.excessNoise).toBeCloseTo(0.1858767691079928, 12);
    // Vel's interval [E_low/(S_high - E_low), E_high/(S_low - E_high)].
    expect(e.electronicNoise.low).toBeCloseTo(0.04901923716175453, 12);
    expect(e.electronicNoise.high).toBeCloseTo(0.05100133968445638, 12);
    // The point estimates are the truth.
    expect(e.transmittance.estimate).toBeCloseTo(0.5, 12);
    expect(e.excessNoise.estimate).toBeCloseTo(0.05, 12);
    // The rate at the worst case, with the worse of the two Vel bounds.
    const at = (Vel: number) => secretKeyRate({ ...LINK, T: 0.4861330340195317, xi: 0.1858767691079928, Vel, beta: 0.95 });
    expect(e.keyRate).toBeCloseTo(Math.min(at(0.04901923716175453), at(0.05100133968445638)), 10);
    expect(e.keyRate).toBeLessThan(secretKeyRate({ ...LINK, beta: 0.95 }));
  });

  it('is the mean worst case of the estimator over 200 seeded frames', () => {
    const k = 20_000;
    const n = 20_000;
    const epsilonPE = 1e-10;
    const { Va, T, xi, eta, Vel } = LINK;
    const random = createRandomSource('test', 'finite-size');
    const worstT: number[] = [];
    const worstXi: number[] = [];
    for (let frame = 0; frame < 200; frame++) {
      // The model of src/physics/estimation.ts with N0 = 1: y = sqrt(eta·T/2)·x + noise of variance 1 + Vel + eta·T·xi/2.
      const [xr, xi_] = [random.normals(k, Va), random.normals(k, Va)];
      const [nr, ni] = [random.normals(k, 1 + Vel + (eta * T * xi) / 2), random.normals(k, 1 + Vel + (eta * T * xi) / 2)];
      const gain = Math.sqrt((eta * T) / 2);
      const e = estimateParameters({
        alice: { real: xr, imag: xi_ },
        bob: { real: xr.map((x, i) => gain * x + nr[i]!), imag: xi_.map((x, i) => gain * x + ni[i]!) },
        calibration: { shotNoise: random.normals(n, 1 + Vel), electronicNoise: random.normals(n, Vel) },
        modulationVariance: Va,
        eta,
        beta: 0.95,
        epsilonPE,
      });
      worstT.push(e.worstCase.transmittance);
      worstXi.push(e.worstCase.excessNoise);
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const expected = expectedEstimate(LINK, { revealedSymbols: k, calibrationSamples: n, epsilonPE, beta: 0.95 });
    // Each frame's worst case scatters by about its half-width / z (z = 6.7); the mean of 200 by 1/14 of that:
    // 5 % of the half-width is about 4.7 standard errors.
    const halfT = T - expected.worstCase.transmittance;
    const halfXi = expected.worstCase.excessNoise - xi;
    expect(halfT).toBeGreaterThan(0.05);
    expect(halfXi).toBeGreaterThan(0.5);
    expect(Math.abs(mean(worstT) - expected.worstCase.transmittance)).toBeLessThan(0.05 * halfT);
    expect(Math.abs(mean(worstXi) - expected.worstCase.excessNoise)).toBeLessThan(0.05 * halfXi);
  });

  it('refuses settings that leave nothing to estimate from', () => {
    expect(() => expectedEstimate(LINK, { revealedSymbols: 1, calibrationSamples: 10, epsilonPE: 0.1, beta: 1 })).toThrow(RangeError);
    expect(() => expectedEstimate(LINK, { revealedSymbols: 10, calibrationSamples: 0, epsilonPE: 0.1, beta: 1 })).toThrow(RangeError);
    expect(() => expectedEstimate(LINK, { revealedSymbols: 10, calibrationSamples: 10, epsilonPE: 0, beta: 1 })).toThrow(RangeError);
  });
});
