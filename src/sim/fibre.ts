/**
 * The simulated fibre, on Alice's side: a lossy, noisy Gaussian channel
 * (transmittance T, excess noise xi referred to its input, shot-noise units;
 * Laudenbach et al. 2018, section 2.4). What leaves it is the field Bob's
 * detector receives: each quadrature sqrt(T)·x + n, n ~ N(0, T·xi). The
 * vacuum noise of the loss is not in it: Bob's detector adds the shot noise
 * when it measures (src/sim/detector.ts).
 */
import { DEFAULT_LOSS_DB_PER_KM, transmittanceFromDistance } from '../physics/fibre-loss.ts';
import type { FibreDescription, Light } from './fibre-link.ts';
import type { RandomSource } from './gaussian-source.ts';

export interface FibreConfig {
  distanceKm: number;
  lossDbPerKm?: number;
  /** xi, SNU, referred to the channel input. */
  excessNoise: number;
}

export function describeFibre({ distanceKm, lossDbPerKm = DEFAULT_LOSS_DB_PER_KM, excessNoise }: FibreConfig): FibreDescription {
  if (!(excessNoise >= 0) || !Number.isFinite(excessNoise)) throw new RangeError(`excess noise must be a non-negative number of SNU, got ${excessNoise}`);
  return { distanceKm, lossDbPerKm, transmittance: transmittanceFromDistance(distanceKm, lossDbPerKm), excessNoise };
}

/** The light at the fibre's output for Alice's symbols (SNU). */
export function propagate(
  frameUuid: string,
  symbols: { real: Float64Array; imag: Float64Array },
  fibre: FibreDescription,
  random: Pick<RandomSource, 'normals'>,
): Light {
  const gain = Math.sqrt(fibre.transmittance);
  const noiseVariance = fibre.transmittance * fibre.excessNoise;
  const pass = (x: Float64Array) => {
    const out = random.normals(x.length, noiseVariance);
    for (let i = 0; i < x.length; i++) out[i] = out[i]! + gain * x[i]!;
    return out;
  };
  return { frameUuid, real: pass(symbols.real), imag: pass(symbols.imag) };
}
