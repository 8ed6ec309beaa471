/**
 * The key rate against values computed here another way: Eve's entropies
 * from the covariance matrices of the entanglement-based picture, built
 * mode by mode (EPR source, lossy noisy channel, detector loss with an EPR
 * for the electronic noise, heterodyne conditioning), their symplectic
 * eigenvalues found from the matrices themselves, not from the closed-form
 * A, B, C, D of the module.
 */
import { describe, expect, it } from 'vitest';
import {
  holevoBound,
  mutualInformation,
  secretKeyRate,
  symplecticEigenvalues,
  thermalEntropy,
  type KeyRateParameters,
} from '../src/physics/key-rate.ts';
import { distanceFromTransmittance, transmittanceFromDistance } from '../src/physics/fibre-loss.ts';

type Matrix = number[][];

/** Entropy of a thermal mode of symplectic eigenvalue nu, written out again. */
function entropy(nu: number): number {
  if (nu - 1 < 1e-12) return 0;
  const a = (nu + 1) / 2;
  const b = (nu - 1) / 2;
  return a * Math.log2(a) - b * Math.log2(b);
}

const mul = (x: Matrix, y: Matrix): Matrix => x.map((row) => y[0]!.map((_, j) => row.reduce((s, v, k) => s + v * y[k]![j]!, 0)));
const transpose = (x: Matrix): Matrix => x[0]!.map((_, j) => x.map((row) => row[j]!));

/** Cholesky factor L (lower triangular, L L^T = m) of a positive-definite matrix. */
function cholesky(m: Matrix): Matrix {
  const n = m.length;
  const l: Matrix = m.map(() => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = m[i]![j]!;
      for (let k = 0; k < j; k++) sum -= l[i]![k]! * l[j]![k]!;
      l[i]![j] = i === j ? Math.sqrt(sum) : sum / l[j]![j]!;
    }
  }
  return l;
}

/** Eigenvalues of a symmetric matrix by cyclic Jacobi rotations (Golub and Van Loan, 8.5). */
function symmetricEigenvalues(input: Matrix): number[] {
  const a = input.map((row) => [...row]);
  const n = a.length;
  for (let sweep = 0; sweep < 50; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p]![q]! ** 2;
    if (off < 1e-40) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (a[p]![q] === 0) continue;
        const theta = (a[q]![q]! - a[p]![p]!) / (2 * a[p]![q]!);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k]![p]!;
          const akq = a[k]![q]!;
          a[k]![p] = c * akp - s * akq;
          a[k]![q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p]![k]!;
          const aqk = a[q]![k]!;
          a[p]![k] = c * apk - s * aqk;
          a[q]![k] = s * apk + c * aqk;
        }
      }
    }
  }
  return a.map((row, i) => row[i]!);
}

/**
 * Symplectic eigenvalues of a state whose x and p quadratures are
 * uncorrelated: the square roots of the eigenvalues of gx·gp, found as those
 * of the symmetric L^T gp L (gx = L L^T, a similar matrix).
 */
function symplecticOfBlocks(gx: Matrix, gp: Matrix): number[] {
  const l = cholesky(gx);
  return symmetricEigenvalues(mul(mul(transpose(l), gp), l))
    .map((e) => Math.sqrt(Math.max(0, e)))
    .sort((u, v) => v - u);
}

interface Independent {
  mutualInformation: number;
  holevo: number;
  eigenvalues: number[];
}

/** Everything from the covariance matrices, mode by mode. */
function independent({ Va, T, xi, eta, Vel }: Omit<KeyRateParameters, 'beta'>): Independent {
  const V = Va + 1;
  const c = Math.sqrt(V * V - 1);
  // Channel: B = sqrt(T) B0 + sqrt(1-T) E, E thermal with variance W so that (1-T) W = 1 - T + T xi.
  const b = T * V + (1 - T + T * xi);
  const cAB = Math.sqrt(T) * c;
  // Eve holds the purification of AB: S(E) = S(AB).
  const [l1, l2] = symplecticOfBlocks(
    [
      [V, cAB],
      [cAB, b],
    ],
    [
      [V, -cAB],
      [-cAB, b],
    ],
  ) as [number, number];

  // Detector: B' = sqrt(eta) B + sqrt(1-eta) F0, F = -sqrt(1-eta) B + sqrt(eta) F0, (F0, G) an EPR of variance v.
  const v = eta === 1 ? 1 : 1 + (2 * Vel) / (1 - eta);
  const cFG = Math.sqrt(v * v - 1);
  const se = Math.sqrt(eta);
  const sl = Math.sqrt(1 - eta);
  const varB1 = eta * b + (1 - eta) * v;
  // Covariances in x for the modes (A, F, G) and with B'; in p the signs of c and cFG flip.
  const blocks = (sign: 1 | -1) => {
    const gX: Matrix = [
      [V, -sl * cAB * sign, 0],
      [-sl * cAB * sign, (1 - eta) * b + eta * v, se * cFG * sign],
      [0, se * cFG * sign, v],
    ];
    const withB1 = [se * cAB * sign, -se * sl * b + se * sl * v, sl * cFG * sign];
    // Heterodyne on B': gamma_X - sigma sigma^T / (Var B' + 1).
    return gX.map((row, i) => row.map((g, j) => g - (withB1[i]! * withB1[j]!) / (varB1 + 1)));
  };
  const conditional = symplecticOfBlocks(blocks(1), blocks(-1));

  // Bob's heterodyne quadrature: (Var B' + 1)/2; given Alice's coherent state, V -> 1 in Var B.
  const varY = (varB1 + 1) / 2;
  const varYGivenX = (eta * (T + (1 - T + T * xi)) + (1 - eta) * v + 1) / 2;
  return {
    mutualInformation: Math.log2(varY / varYGivenX),
    holevo: entropy(l1) + entropy(l2) - conditional.reduce((s, nu) => s + entropy(nu), 0),
    eigenvalues: [l1, l2, ...conditional],
  };
}

const relative = (actual: number, expected: number) => Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-300);

describe('symplectic eigenvalues worked by hand', () => {
  it('pure loss, T = 1/2, Va = 4 (V = 5), ideal heterodyne (eta = 1, Vel = 0)', () => {
    // chi_line = 1/T - 1 + xi = 1; chi_het = (2 - 1 + 0)/1 = 1; chi_tot = 1 + 1/0.5 = 3.
    // A = V^2 (1 - 2T) + 2T + T^2 (V + chi_line)^2 = 25·0 + 1 + 0.25·36 = 10
    // B = T^2 (V chi_line + 1)^2 = 0.25·36 = 9
    // lambda1,2^2 = (10 ± sqrt(100 - 36)) / 2 = (10 ± 8)/2 = 9, 1   -> lambda1 = 3, lambda2 = 1
    // T (V + chi_tot) = 0.5·8 = 4
    // C = [A chi_het^2 + B + 1 + 2 chi_het (V sqrt(B) + T (V + chi_line)) + 2T (V^2 - 1)] / 16
    //   = [10 + 9 + 1 + 2 (15 + 3) + 24] / 16 = 80/16 = 5
    // D = ((V + sqrt(B) chi_het) / 4)^2 = (8/4)^2 = 4
    // lambda3,4^2 = (5 ± sqrt(25 - 16)) / 2 = (5 ± 3)/2 = 4, 1   -> lambda3 = 2, lambda4 = 1
    // Check by the covariance matrix: A alone after Bob's heterodyne has
    // V - T (V^2 - 1) / (T (V + chi_line) + 1) = 5 - 12/4 = 2.
    const link = { Va: 4, T: 0.5, xi: 0, eta: 1, Vel: 0 };
    const ev = symplecticEigenvalues(link);
    expect(ev.lambda1).toBeCloseTo(3, 12);
    expect(ev.lambda2).toBeCloseTo(1, 12);
    expect(ev.lambda3).toBeCloseTo(2, 12);
    expect(ev.lambda4).toBeCloseTo(1, 12);
    // chi = G(3) - G(2) = 2 - (1.5 log2 1.5 - 0.5 log2 0.5) = 2 - 1.5 log2 1.5 - 0.5
    const g2 = 1.5 * Math.log2(1.5) + 0.5;
    expect(thermalEntropy(3)).toBeCloseTo(2, 14);
    expect(holevoBound(link)).toBeCloseTo(2 - g2, 14);
    // I_AB = log2(1 + eta T Va / (2 + 2 Vel + eta T xi)) = log2(1 + 2/2) = 1
    expect(mutualInformation(link)).toBeCloseTo(1, 14);
    expect(secretKeyRate({ ...link, beta: 1 })).toBeCloseTo(1 - (2 - g2), 14);
  });

  it('no channel (T = 1, xi = 0), ideal heterodyne: Eve learns nothing', () => {
    // A = V^2 (1 - 2) + 2 + (V + 0)^2 = 2, B = (0 + 1)^2 = 1 -> lambda1 = lambda2 = 1
    // chi_tot = 0 + 1 = 1; C = [2 + 1 + 1 + 2 (V + V) + 2 (V^2 - 1)] / (V + 1)^2 = 2 (V + 1)^2 / (V + 1)^2 = 2
    // D = ((V + 1)/(V + 1))^2 = 1 -> lambda3 = lambda4 = 1; K = beta log2(1 + Va/2).
    const link = { Va: 4, T: 1, xi: 0, eta: 1, Vel: 0 };
    const ev = symplecticEigenvalues(link);
    for (const nu of Object.values(ev)) expect(nu).toBeCloseTo(1, 7);
    expect(holevoBound(link)).toBeCloseTo(0, 6);
    expect(secretKeyRate({ ...link, beta: 0.9 })).toBeCloseTo(0.9 * Math.log2(3), 6);
  });

  it('noisy trusted detector: T = 0.5, xi = 0.05, eta = 0.5, Vel = 0.1, Va = 3 (V = 4)', () => {
    // chi_line = 2 - 1 + 0.05 = 1.05; chi_het = (2 - 0.5 + 0.2)/0.5 = 3.4; chi_tot = 1.05 + 6.8 = 7.85
    // A = 16 (1 - 1) + 1 + 0.25 (5.05)^2 = 1 + 6.375625 = 7.375625
    // B = 0.25 (4·1.05 + 1)^2 = 0.25·27.04 = 6.76, sqrt(B) = 2.6
    // T (V + chi_tot) = 0.5·11.85 = 5.925, T (V + chi_line) = 2.525, 2T (V^2 - 1) = 15
    // C = [7.375625·11.56 + 6.76 + 1 + 6.8 (10.4 + 2.525) + 15] / 35.105625
    //   = [85.262225 + 7.76 + 87.89 + 15] / 35.105625 = 195.912225 / 35.105625
    // D = ((4 + 2.6·3.4) / 5.925)^2 = (12.84 / 5.925)^2
    const link = { Va: 3, T: 0.5, xi: 0.05, eta: 0.5, Vel: 0.1 };
    const A = 7.375625;
    const B = 6.76;
    const C = 195.912225 / 35.105625;
    const D = (12.84 / 5.925) ** 2;
    const root = (s: number, p: number, sign: 1 | -1) => Math.sqrt((s + sign * Math.sqrt(s * s - 4 * p)) / 2);
    const ev = symplecticEigenvalues(link);
    expect(relative(ev.lambda1, root(A, B, 1))).toBeLessThan(1e-12);
    expect(relative(ev.lambda2, root(A, B, -1))).toBeLessThan(1e-12);
    expect(relative(ev.lambda3, root(C, D, 1))).toBeLessThan(1e-12);
    expect(relative(ev.lambda4, root(C, D, -1))).toBeLessThan(1e-12);
    // And the same eigenvalues from the covariance matrices (one of the three conditional ones is 1).
    const ind = independent(link);
    const [c1, c2, c3] = ind.eigenvalues.slice(2) as [number, number, number];
    expect(relative(ev.lambda3, c1)).toBeLessThan(1e-9);
    expect(relative(ev.lambda4, c2)).toBeLessThan(1e-9);
    expect(c3).toBeCloseTo(1, 9);
  });
});

// Distances (km at 0.2 dB/km) and links spread over the region where the rate is positive and where it is not.
const TABLE: KeyRateParameters[] = [
  { Va: 4, T: transmittanceFromDistance(0), xi: 0.01, eta: 0.6, Vel: 0.05, beta: 0.95 },
  { Va: 4, T: transmittanceFromDistance(5), xi: 0.01, eta: 0.6, Vel: 0.05, beta: 0.95 },
  { Va: 4, T: transmittanceFromDistance(10), xi: 0.01, eta: 0.6, Vel: 0.05, beta: 0.95 },
  { Va: 4, T: transmittanceFromDistance(25), xi: 0.01, eta: 0.6, Vel: 0.05, beta: 0.95 },
  { Va: 4, T: transmittanceFromDistance(50), xi: 0.01, eta: 0.6, Vel: 0.05, beta: 0.95 },
  { Va: 4, T: transmittanceFromDistance(100), xi: 0.005, eta: 0.6, Vel: 0.05, beta: 0.98 },
  { Va: 2, T: 0.3, xi: 0.02, eta: 0.7, Vel: 0.1, beta: 0.95 },
  { Va: 8, T: 0.5, xi: 0.03, eta: 0.8, Vel: 0.01, beta: 0.9 },
  { Va: 20, T: 0.7, xi: 0.001, eta: 0.5, Vel: 0.2, beta: 0.97 },
  { Va: 1, T: 0.9, xi: 0.1, eta: 0.9, Vel: 0.02, beta: 0.95 },
  { Va: 4, T: 0.2, xi: 0.05, eta: 0.6, Vel: 0.05, beta: 0.95 },
  { Va: 4, T: 0.5, xi: 0, eta: 1, Vel: 0, beta: 1 },
  { Va: 10, T: 0.05, xi: 0.01, eta: 0.4, Vel: 0.3, beta: 0.99 },
  { Va: 3, T: 0.6, xi: 0.2, eta: 0.7, Vel: 0.05, beta: 0.95 },
];

describe('secretKeyRate against the covariance-matrix computation', () => {
  for (const p of TABLE) {
    it(`Va=${p.Va} T=${p.T.toPrecision(4)} xi=${p.xi} eta=${p.eta} Vel=${p.Vel} beta=${p.beta}`, () => {
      const ind = independent(p);
      expect(relative(mutualInformation(p), ind.mutualInformation)).toBeLessThan(1e-9);
      expect(relative(holevoBound(p), ind.holevo)).toBeLessThan(1e-9);
      const expected = Math.max(0, p.beta * ind.mutualInformation - ind.holevo);
      const actual = secretKeyRate(p);
      if (expected === 0) expect(actual).toBe(0);
      else expect(relative(actual, expected)).toBeLessThan(1e-9);
    });
  }

  it('the table covers positive and zero rates', () => {
    const rates = TABLE.map(secretKeyRate);
    expect(rates.filter((r) => r > 0).length).toBeGreaterThanOrEqual(10);
    expect(rates.filter((r) => r === 0).length).toBeGreaterThanOrEqual(1);
  });
});

describe('limits', () => {
  const link = { Va: 4, xi: 0.01, eta: 0.6, Vel: 0.05, beta: 0.95 };

  it('is 0 at T = 0 and tends to 0 as T -> 0', () => {
    expect(secretKeyRate({ ...link, T: 0 })).toBe(0);
    expect(mutualInformation({ ...link, T: 0 })).toBe(0);
    expect(holevoBound({ ...link, T: 0 })).toBeCloseTo(0, 9);
    const small = [1e-2, 1e-4, 1e-6, 1e-8].map((T) => secretKeyRate({ ...link, T }));
    for (let i = 1; i < small.length; i++) expect(small[i]!).toBeLessThan(small[i - 1]!);
    expect(small.at(-1)!).toBeLessThan(1e-8);
  });

  it('decreases with the distance', () => {
    let previous = Infinity;
    for (let km = 0; km <= 150; km += 2.5) {
      const rate = secretKeyRate({ ...link, T: transmittanceFromDistance(km) });
      expect(rate).toBeLessThanOrEqual(previous);
      previous = rate;
    }
    expect(previous).toBeGreaterThanOrEqual(0);
  });

  it('is 0 when the excess noise is large', () => {
    const T = transmittanceFromDistance(10);
    expect(secretKeyRate({ ...link, T, xi: 0.01 })).toBeGreaterThan(0.1);
    for (const xi of [0.3, 0.5, 1, 10]) expect(secretKeyRate({ ...link, T, xi })).toBe(0);
    let previous = Infinity;
    for (let xi = 0; xi <= 0.3; xi += 0.01) {
      const rate = secretKeyRate({ ...link, T, xi });
      expect(rate).toBeLessThanOrEqual(previous);
      previous = rate;
    }
  });

  it('refuses values outside the model', () => {
    expect(() => secretKeyRate({ ...link, T: 1.5 })).toThrow(/T must be in \[0, 1\]/);
    expect(() => secretKeyRate({ ...link, T: 0.5, xi: -0.1 })).toThrow(/xi/);
    expect(() => secretKeyRate({ ...link, T: 0.5, Vel: Number.NaN })).toThrow(/Vel/);
    expect(() => secretKeyRate({ ...link, T: 0.5, eta: 0 })).toThrow(/eta/);
    expect(() => secretKeyRate({ ...link, T: 0.5, beta: 2 })).toThrow(/beta/);
  });
});

describe('fibre loss', () => {
  it('10^(-alpha L / 10)', () => {
    expect(transmittanceFromDistance(0)).toBe(1);
    expect(transmittanceFromDistance(50)).toBeCloseTo(0.1, 15); // 10 dB
    expect(transmittanceFromDistance(15, 0.2)).toBeCloseTo(10 ** -0.3, 15);
    expect(transmittanceFromDistance(10, 0.3)).toBeCloseTo(10 ** -0.3, 15);
    expect(distanceFromTransmittance(0.1)).toBeCloseTo(50, 12);
    expect(distanceFromTransmittance(transmittanceFromDistance(37.5, 0.17), 0.17)).toBeCloseTo(37.5, 10);
    expect(() => transmittanceFromDistance(-1)).toThrow(/distance/);
    expect(() => distanceFromTransmittance(0)).toThrow(/transmittance/);
  });
});
