/**
 * The asymptotic secret key rate of GG02 (Gaussian-modulated coherent
 * states) with heterodyne detection, reverse reconciliation and a trusted
 * detector, as in Fossier et al., "Improvement of continuous-variable
 * quantum key distribution systems by using optical preamplifiers",
 * J. Phys. B 42, 114014 (2009), eqs. (3)-(14), and Lodewyck et al.,
 * PRA 76, 042305 (2007), appendix.
 *
 * Conventions (Laudenbach et al., "Continuous-variable quantum key
 * distribution with Gaussian modulation: the theory of practical
 * implementations", Adv. Quantum Technol. 1, 1800011 (2018), sections 2-4):
 * every variance is in shot-noise units (SNU), the vacuum's quadrature
 * variance is 1.
 * - `Va`: Alice's modulation variance per quadrature (SNU); the mean photon
 *   number of her states is Va/2, and V = Va + 1 is the variance of the
 *   equivalent EPR state.
 * - `T`: the channel's transmittance, in [0, 1].
 * - `xi`: the channel's excess noise, referred to the channel input (SNU):
 *   the channel adds T·xi at its output on top of the loss's vacuum.
 * - `eta`: the efficiency of Bob's detector, in (0, 1].
 * - `Vel`: the electronic noise of Bob's detector, per measured quadrature
 *   (SNU), the same unit as the shot noise of that quadrature.
 * - `beta`: the reconciliation efficiency, in [0, 1].
 * Rates are in bits per symbol (per coherent state sent).
 */

export interface LinkParameters {
  Va: number;
  T: number;
  xi: number;
  eta: number;
  Vel: number;
}

export interface KeyRateParameters extends LinkParameters {
  beta: number;
}

function check(name: string, value: number, ok: boolean, expected: string): void {
  if (!Number.isFinite(value) || !ok) throw new RangeError(`${name} must be ${expected}, got ${value}`);
}

function checkLink({ Va, T, xi, eta, Vel }: LinkParameters): void {
  check('Va', Va, Va > 0, 'a positive number of SNU');
  check('T', T, T >= 0 && T <= 1, 'in [0, 1]');
  check('xi', xi, xi >= 0, 'a non-negative number of SNU');
  check('eta', eta, eta > 0 && eta <= 1, 'in (0, 1]');
  check('Vel', Vel, Vel >= 0, 'a non-negative number of SNU');
  if (eta === 1 && Vel > 0) throw new RangeError('Vel must be 0 when eta is 1 (the trusted-detector model hides Vel behind the detector loss)');
}

/**
 * Alice-Bob mutual information of a heterodyne detection, bits per symbol
 * (Laudenbach et al. 2018, eq. (47); Fossier et al. 2009, eq. (4)):
 * I_AB = log2(1 + SNR), SNR = eta·T·Va / (2 + 2·Vel + eta·T·xi).
 */
export function mutualInformation(link: LinkParameters): number {
  checkLink(link);
  const { Va, T, xi, eta, Vel } = link;
  return Math.log2(1 + (eta * T * Va) / (2 + 2 * Vel + eta * T * xi));
}

/** The five symplectic eigenvalues of Fossier et al. 2009, eqs. (8)-(13); lambda5 = 1. */
export interface SymplecticEigenvalues {
  lambda1: number;
  lambda2: number;
  lambda3: number;
  lambda4: number;
  lambda5: number;
}

/** The larger and smaller roots nu of nu^4 - s·nu^2 + p = 0: nu^2 = (s ± sqrt(s^2 - 4p)) / 2. */
function pair(s: number, p: number): [number, number] {
  // Rounding can make the discriminant slightly negative where both roots are equal.
  const root = Math.sqrt(Math.max(0, s * s - 4 * p));
  return [Math.sqrt((s + root) / 2), Math.sqrt(Math.max(0, (s - root) / 2))];
}

/**
 * The symplectic eigenvalues of Eve's information in the entanglement-based
 * picture (Fossier et al. 2009, eqs. (8)-(13), heterodyne). With
 * chi_line = 1/T - 1 + xi, chi_het = (2 - eta + 2·Vel)/eta and
 * chi_tot = chi_line + chi_het/T:
 *   A = V^2 (1 - 2T) + 2T + T^2 (V + chi_line)^2,   B = T^2 (V·chi_line + 1)^2,
 *   lambda1,2^2 = (A ± sqrt(A^2 - 4B)) / 2,
 *   C = [A·chi_het^2 + B + 1 + 2·chi_het (V·sqrt(B) + T (V + chi_line)) + 2T (V^2 - 1)] / (T (V + chi_tot))^2,
 *   D = ((V + sqrt(B)·chi_het) / (T (V + chi_tot)))^2,
 *   lambda3,4^2 = (C ± sqrt(C^2 - 4D)) / 2,   lambda5 = 1.
 * T·chi_line = 1 - T + T·xi is used so that T = 0 needs no division.
 */
export function symplecticEigenvalues(link: LinkParameters): SymplecticEigenvalues {
  checkLink(link);
  const { Va, T, xi, eta, Vel } = link;
  const V = Va + 1;
  const tChiLine = 1 - T + T * xi;
  const chiHet = (2 - eta + 2 * Vel) / eta;
  const tVPlusChiLine = T * V + tChiLine;
  const tVPlusChiTot = tVPlusChiLine + chiHet;
  const A = V * V * (1 - 2 * T) + 2 * T + tVPlusChiLine ** 2;
  const B = (V * tChiLine + T) ** 2;
  const sqrtB = Math.sqrt(B);
  const C =
    (A * chiHet ** 2 + B + 1 + 2 * chiHet * (V * sqrtB + tVPlusChiLine) + 2 * T * (V * V - 1)) / tVPlusChiTot ** 2;
  const D = ((V + sqrtB * chiHet) / tVPlusChiTot) ** 2;
  const [lambda1, lambda2] = pair(A, B);
  const [lambda3, lambda4] = pair(C, D);
  return { lambda1, lambda2, lambda3, lambda4, lambda5: 1 };
}

/**
 * Von Neumann entropy, in bits, of a thermal mode of symplectic eigenvalue
 * nu >= 1 (Fossier et al. 2009, eq. (7)):
 * G(nu) = ((nu+1)/2) log2((nu+1)/2) - ((nu-1)/2) log2((nu-1)/2).
 */
export function thermalEntropy(nu: number): number {
  // Below 1 only by rounding: a pure mode.
  const x = Math.max(0, (nu - 1) / 2);
  return x === 0 ? 0 : (x + 1) * Math.log2(x + 1) - x * Math.log2(x);
}

/**
 * Holevo bound on Eve's information about Bob's data, bits per symbol
 * (reverse reconciliation, Fossier et al. 2009, eq. (6)):
 * chi_BE = G(lambda1) + G(lambda2) - G(lambda3) - G(lambda4) - G(lambda5).
 */
export function holevoBound(link: LinkParameters): number {
  const { lambda1, lambda2, lambda3, lambda4, lambda5 } = symplecticEigenvalues(link);
  const chi =
    thermalEntropy(lambda1) + thermalEntropy(lambda2) - thermalEntropy(lambda3) - thermalEntropy(lambda4) - thermalEntropy(lambda5);
  // Non-negative in exact arithmetic; rounding can leave -1e-16.
  return Math.max(0, chi);
}

/**
 * Asymptotic secret key rate, bits per symbol: K = beta·I_AB - chi_BE
 * (Fossier et al. 2009, eq. (2)), 0 when not positive.
 */
export function secretKeyRate(parameters: KeyRateParameters): number {
  const { beta } = parameters;
  check('beta', beta, beta >= 0 && beta <= 1, 'in [0, 1]');
  if (parameters.T === 0) return 0;
  return Math.max(0, beta * mutualInformation(parameters) - holevoBound(parameters));
}
