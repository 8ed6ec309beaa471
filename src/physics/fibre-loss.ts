/**
 * A fibre's transmittance from its length: T = 10^(-alpha·L/10), with the
 * loss alpha in dB/km and the length L in km (0.2 dB/km is standard
 * single-mode fibre at 1550 nm; Laudenbach et al. 2018, section 2.4).
 */
export const DEFAULT_LOSS_DB_PER_KM = 0.2;

export function transmittanceFromDistance(distanceKm: number, lossDbPerKm = DEFAULT_LOSS_DB_PER_KM): number {
  if (!(distanceKm >= 0) || !Number.isFinite(distanceKm)) throw new RangeError(`distance must be a non-negative number of km, got ${distanceKm}`);
  if (!(lossDbPerKm >= 0) || !Number.isFinite(lossDbPerKm)) throw new RangeError(`loss must be a non-negative number of dB/km, got ${lossDbPerKm}`);
  return 10 ** ((-lossDbPerKm * distanceKm) / 10);
}

/** The length of fibre with that transmittance: L = -10·log10(T)/alpha (km). */
export function distanceFromTransmittance(transmittance: number, lossDbPerKm = DEFAULT_LOSS_DB_PER_KM): number {
  if (!(transmittance > 0 && transmittance <= 1)) throw new RangeError(`transmittance must be in (0, 1], got ${transmittance}`);
  if (!(lossDbPerKm > 0) || !Number.isFinite(lossDbPerKm)) throw new RangeError(`loss must be a positive number of dB/km, got ${lossDbPerKm}`);
  return (-10 * Math.log10(transmittance)) / lossDbPerKm;
}
