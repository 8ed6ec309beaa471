/**
 * Alice's policy on Bob's PE_FINISHED: she trusts none of his numbers. She
 * checks that each is a finite number inside the model, then recomputes the
 * key rate from his values and her own modulation variance
 * (src/physics/key-rate.ts) and denies the frame unless it is positive.
 * A value Bob leaves out is read conservatively: no `eta` is a detector
 * without loss (all loss is the channel's), no `electronic_noise` is none
 * (all noise is the channel's, Eve's).
 */
import type { ContentOf } from '../protocol/schemas.ts';
import { secretKeyRate } from '../physics/key-rate.ts';
import type { Verdict } from './backend.ts';

export interface EstimationPolicy {
  /** Alice's Va (SNU). */
  modulationVariance: number;
  /** The reconciliation efficiency the key rate assumes. */
  beta: number;
  /** Excess noise (SNU) above which a frame is denied whatever the rate. */
  maxExcessNoise: number;
}

const FIELDS = ['transmittance', 'excess_noise', 'key_rate', 'n_photon', 'electronic_noise', 'eta'] as const;

const show = (x: number) => (Number.isNaN(x) ? 'NaN' : String(x));

export function reviewEstimation(estimation: ContentOf<'PE_FINISHED'>, policy: EstimationPolicy): Verdict {
  for (const field of FIELDS) {
    const value = estimation[field];
    if (value !== undefined && !Number.isFinite(value)) return { ok: false, message: `${field} is ${show(value)}, not a finite number.` };
  }
  const { transmittance: T, excess_noise: xi, electronic_noise: Vel = 0, eta = 1, n_photon } = estimation;
  if (!(T > 0 && T <= 1)) return { ok: false, message: `Transmittance ${T} is outside (0, 1].` };
  if (xi < 0) return { ok: false, message: `Excess noise ${xi} is negative.` };
  if (Vel < 0) return { ok: false, message: `Electronic noise ${Vel} is negative.` };
  if (!(eta > 0 && eta <= 1)) return { ok: false, message: `Detector efficiency ${eta} is outside (0, 1].` };
  if (eta === 1 && Vel > 0) return { ok: false, message: `Electronic noise ${Vel} with a lossless detector is outside the trusted-detector model.` };
  if (n_photon !== undefined && n_photon < 0) return { ok: false, message: `Photon number ${n_photon} is negative.` };
  if (xi > policy.maxExcessNoise) return { ok: false, message: `Excess noise ${xi} is above the maximum ${policy.maxExcessNoise}.` };
  const rate = secretKeyRate({ Va: policy.modulationVariance, T, xi, eta, Vel, beta: policy.beta });
  if (!(rate > 0)) {
    return {
      ok: false,
      message: `The key rate from Bob's values (T = ${T}, xi = ${xi}, eta = ${eta}, Vel = ${Vel}) and Va = ${policy.modulationVariance}, beta = ${policy.beta} is not positive.`,
    };
  }
  return { ok: true };
}
