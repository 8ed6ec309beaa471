/**
 * The finite-size key rate a link should give: the key rate at the worst
 * case of the confidence region that the estimator of
 * src/physics/estimation.ts would build, on average, for a link whose true
 * parameters are known (Leverrier, Grosshans and Grangier, PRA 81, 062343
 * (2010), section III: the same construction with the estimators replaced
 * by their expected values; Ruppert, Usenko and Filip, PRA 90, 062310
 * (2014), section III, do the same to predict the rate of a given link).
 *
 * Units and conventions are those of src/physics/key-rate.ts (SNU, Va per
 * quadrature, heterodyne detection, trusted detector). The detector's
 * scale N0 cancels out of every ratio, so it is taken as 1:
 *   t = sqrt(eta·T/2),  sigma^2 = 1 + Vel + eta·T·xi/2,  Σx^2 = m·Va,
 *   S = 1 + Vel,  E = Vel,
 * with m = 2 × revealed symbols pairs and n calibration samples of each
 * kind. The half-widths then follow from the same formulas as the
 * estimator's (confidenceRegion), so the result is the region the
 * estimator reaches up to its own sampling fluctuation, which is smaller
 * than the half-widths by the factor z = Φ^{-1}(1 - epsilon_PE/8).
 */
import { confidenceRegion, type Estimate } from './estimation.ts';
import type { LinkParameters } from './key-rate.ts';

export interface FiniteSizeSettings {
  /** Symbols revealed for parameter estimation (each gives two pairs, one per quadrature). */
  revealedSymbols: number;
  /** Shot-noise calibration samples, and as many electronic-noise samples. */
  calibrationSamples: number;
  epsilonPE: number;
  /** The beta the estimator computes its key rate with (it picks the worse Vel at this beta). */
  beta: number;
}

/** The confidence region, worst case and key rate (bits per symbol) the estimator should reach on this link. */
export function expectedEstimate(link: LinkParameters, settings: FiniteSizeSettings): Estimate {
  const { Va, T, xi, eta, Vel } = link;
  const { revealedSymbols: k, calibrationSamples: n } = settings;
  if (!(Number.isInteger(k) && k >= 2)) throw new RangeError(`revealed symbols must be an integer of at least 2, got ${k}`);
  if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`calibration samples must be a positive integer, got ${n}`);
  const m = 2 * k;
  return confidenceRegion(
    {
      pairs: m,
      sumXX: m * Va,
      t: Math.sqrt((eta * T) / 2),
      sigma2: 1 + Vel + (eta * T * xi) / 2,
      shotNoise: { meanSquare: 1 + Vel, samples: n },
      electronicNoise: { meanSquare: Vel, samples: n },
    },
    { modulationVariance: Va, eta, beta: settings.beta, epsilonPE: settings.epsilonPE },
  );
}
