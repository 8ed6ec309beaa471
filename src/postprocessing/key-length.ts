/**
 * The length of the final key (the PA output), asymptotic key rate with
 * explicit finite costs:
 *
 *   l = floor( n_sym · K  -  leak_verification  -  2·log2(1/epsilon_PA) ),  0 if negative
 *
 *   n_sym  symbols behind the reconciled bits (reconciled bits / bits per
 *          symbol: 2 with heterodyne detection, one per quadrature);
 *   K      = beta·I_AB - chi_BE, bits per symbol, with the achieved beta
 *          (code rate over capacity) and Eve's Holevo bound from the
 *          worst-case parameter estimates (the syndrome's leak is inside
 *          beta: each real carries 1 key bit and reveals 1 - rate);
 *   leak_verification  the bits the EC_VERIFICATION hash revealed;
 *   2·log2(1/epsilon_PA)  the leftover hash lemma's price for a key within
 *          epsilon_PA of uniform and independent of Eve (Tomamichel, Lim,
 *          Gisin, Renner, Nat. Commun. 3, 634, 2012, eq. (2)).
 */

export interface KeyLengthInput {
  readonly reconciledBits: number;
  readonly bitsPerSymbol: number;
  /** beta·I_AB - chi_BE in bits per symbol. */
  readonly keyRatePerSymbol: number;
  readonly verificationBits: number;
  readonly epsilonPA: number;
}

export const DEFAULT_EPSILON_PA = 1e-10;

export function securityMargin(epsilonPA: number): number {
  if (!(epsilonPA > 0 && epsilonPA < 1)) throw new RangeError('epsilon_PA must lie in (0, 1)');
  return 2 * Math.log2(1 / epsilonPA);
}

export function finalKeyLength(input: KeyLengthInput): number {
  const { reconciledBits, bitsPerSymbol, keyRatePerSymbol, verificationBits, epsilonPA } = input;
  if (!(Number.isFinite(keyRatePerSymbol) && keyRatePerSymbol > 0)) return 0;
  const length = (reconciledBits / bitsPerSymbol) * keyRatePerSymbol - verificationBits - securityMargin(epsilonPA);
  return length > 0 ? Math.floor(length) : 0;
}
