/**
 * The linear Gaussian model y = g·x + z that Alice's LLRs assume, from the
 * parameters of PE_FINISHED, both sides in shot-noise units (SNU: Alice's
 * symbols x as emitted, Bob's measurements y divided by sqrt(N0)).
 * Heterodyne detection of efficiency eta and electronic noise Vel behind a
 * channel of transmittance T and excess noise xi (referred to its input),
 * per quadrature (Laudenbach et al., Adv. Quantum Technol. 1, 1800011,
 * 2018, section 4.2; src/sim/detector.ts and src/physics/estimation.ts use
 * the same conventions):
 *   g = sqrt(eta·T/2),   Var z = N = 1 + Vel + eta·T·xi/2,
 * so the SNR per real dimension is g²·Va / N.
 */
import type { LinearGaussianModel } from './multidimensional.ts';

export interface ChannelParameters {
  /** T, in (0, 1]. */
  readonly transmittance: number;
  /** xi, SNU referred to the channel input. */
  readonly excessNoise: number;
  /** Vel, SNU per quadrature. */
  readonly electronicNoise: number;
  /** eta, in (0, 1]. */
  readonly eta: number;
}

export function channelModel(p: ChannelParameters): LinearGaussianModel {
  const { transmittance: T, excessNoise: xi, electronicNoise: vel, eta } = p;
  if (!(T > 0 && T <= 1) || !(eta > 0 && eta <= 1) || !(xi >= 0) || !(vel >= 0) || !Number.isFinite(xi) || !Number.isFinite(vel)) {
    throw new RangeError(`no channel model for T ${T}, xi ${xi}, Vel ${vel}, eta ${eta}`);
  }
  return { gain: Math.sqrt((eta * T) / 2), noiseVariance: 1 + vel + (eta * T * xi) / 2 };
}

/** SNR per real dimension for Alice's modulation variance Va (SNU per quadrature). */
export function snrPerReal(model: LinearGaussianModel, modulationVariance: number): number {
  return (model.gain ** 2 * modulationVariance) / model.noiseVariance;
}
