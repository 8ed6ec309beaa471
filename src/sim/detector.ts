/**
 * Bob's simulated detector: a heterodyne receiver of efficiency eta and
 * electronic noise Vel (SNU per quadrature), reporting in its own units as
 * a real one does (volts, say): the shot noise of a measured quadrature has
 * variance `shotNoise` there. Per quadrature (Laudenbach et al. 2018,
 * section 4.2, heterodyne):
 *   measured = sqrt(shotNoise) · (sqrt(eta/2) · field + n),  n ~ N(0, 1 + Vel),
 * where 1 is the vacuum's share (loss, detector inefficiency and the
 * heterodyne's beam splitter together) and `field` the light received.
 * Its calibration: shot-noise samples (local oscillator on, no signal),
 * variance shotNoise·(1 + Vel), and electronic-noise samples (local
 * oscillator off), variance shotNoise·Vel.
 */
import type { Light } from './fibre-link.ts';
import type { RandomSource } from './gaussian-source.ts';

export interface DetectorConfig {
  /** eta, in (0, 1]. */
  efficiency: number;
  /** Vel, SNU per quadrature. */
  electronicNoise: number;
  /** The shot noise's variance in the detector's units. */
  shotNoise?: number;
}

/** The detector's output for one frame: all Bob's backend ever gets from the link. */
export interface Measurement {
  /** Measured quadratures, detector units. */
  real: Float64Array;
  imag: Float64Array;
}

export interface Calibration {
  /** Local oscillator on, signal blocked: shot noise and electronic noise. */
  shotNoise: Float64Array;
  /** Local oscillator off: electronic noise alone. */
  electronicNoise: Float64Array;
}

/** An arbitrary scale: the estimation must find it from the calibration. */
export const DEFAULT_SHOT_NOISE = 2.5e-3;

export interface Detector {
  readonly config: Readonly<Required<DetectorConfig>>;
  measure(light: Light): Measurement;
  calibrate(samples: number): Calibration;
}

export function createDetector(config: DetectorConfig, random: RandomSource): Detector {
  const { efficiency: eta, electronicNoise: vel, shotNoise = DEFAULT_SHOT_NOISE } = config;
  if (!(eta > 0 && eta <= 1)) throw new RangeError(`detector efficiency must be in (0, 1], got ${eta}`);
  if (!(vel >= 0) || !Number.isFinite(vel)) throw new RangeError(`electronic noise must be a non-negative number of SNU, got ${vel}`);
  if (!(shotNoise > 0) || !Number.isFinite(shotNoise)) throw new RangeError(`shot noise must be a positive number, got ${shotNoise}`);
  const scale = Math.sqrt(shotNoise);
  const gain = Math.sqrt(eta / 2);
  const quadrature = (field: Float64Array) => {
    const out = random.normals(field.length, 1 + vel);
    for (let i = 0; i < field.length; i++) out[i] = scale * (gain * field[i]! + out[i]!);
    return out;
  };
  return {
    config: { efficiency: eta, electronicNoise: vel, shotNoise },
    measure: (light) => ({ real: quadrature(light.real), imag: quadrature(light.imag) }),
    calibrate: (samples) => ({
      shotNoise: random.normals(samples, shotNoise * (1 + vel)),
      electronicNoise: random.normals(samples, shotNoise * vel),
    }),
  };
}
