/**
 * `qosst-control/physics`: the GG02 link model in shot-noise units, the
 * asymptotic key rate and the covariance-method estimators. Pure functions.
 */
export { DEFAULT_LOSS_DB_PER_KM, distanceFromTransmittance, transmittanceFromDistance } from './fibre-loss.ts';
export {
  holevoBound,
  mutualInformation,
  secretKeyRate,
  symplecticEigenvalues,
  thermalEntropy,
  type KeyRateParameters,
  type LinkParameters,
  type SymplecticEigenvalues,
} from './key-rate.ts';
export { estimateParameters, type Estimate, type EstimationInput as ParameterEstimationInput, type Interval, type Quadratures } from './estimation.ts';
