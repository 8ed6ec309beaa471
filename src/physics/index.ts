/**
 * `qosst-control/physics`: the CV-QKD model (GG02, heterodyne, trusted
 * detector, reverse reconciliation; shot-noise units): key rate, fibre
 * loss, parameter estimation and the finite-size rate it leads to. What is not listed here is internal.
 */
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
export { DEFAULT_LOSS_DB_PER_KM, distanceFromTransmittance, transmittanceFromDistance } from './fibre-loss.ts';
export { estimateParameters, type Estimate, type EstimationInput as ParameterEstimationInput, type Interval, type Quadratures } from './estimation.ts';
export { expectedEstimate, type FiniteSizeSettings } from './finite-size.ts';
