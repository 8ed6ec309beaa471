/**
 * The simulated emitter's parameters under the deployed configuration's
 * paths (wire notes 20), and its one unit factor.
 *
 * The deployed `frame.quantum.variance` is the variance of the digital
 * symbols relative to the DAC's range (-1..1; 0.01 by default); ours,
 * `qi.frame.variance`, is the modulation variance Va at the emitter's output
 * in shot-noise units (SNU), with <n> = Va / 2 for a Gaussian modulation
 * (Laudenbach et al., "Continuous-Variable Quantum Key Distribution with
 * Gaussian Modulation: The Theory of Practical Implementations", Adv.
 * Quantum Technol. 1, 1800011 (2018), section 2). In the modulator's
 * small-signal regime the optical variance is proportional to the digital
 * one; the factor is the emitter chain's calibration (DAC gain, modulator,
 * attenuation). A real emitter measures it; the simulated chain is
 * calibrated so that the deployed default 0.01 is our default Va 4 SNU.
 */
import type { DeployedParameters } from '../alice/deployed-parameters.ts';

/** SNU of Va per unit of DAC-range-relative variance, for the simulated chain. */
export const SIM_SNU_PER_DAC_VARIANCE = 400;

export const SIM_DEPLOYED_PARAMETERS: DeployedParameters = {
  'frame.quantum.variance': {
    parameter: 'qi.frame.variance',
    factor: SIM_SNU_PER_DAC_VARIANCE,
    units: 'DAC-range-relative variance -> Va in SNU',
  },
  'frame.quantum.roll_off': { parameter: 'qi.frame.roll_off' },
  'frame.quantum.num_symbols': { parameter: 'qi.frame.num_symbols' },
  'frame.quantum.symbol_rate': { parameter: 'qi.frame.symbol_rate' },
  'frame.quantum.frequency_shift': { parameter: 'qi.frame.frequency_shift' },
  'frame.pilots.num_pilots': { parameter: 'qi.frame.pilots.num_pilots' },
  'frame.pilots.frequencies': { parameter: 'qi.frame.pilots.frequencies' },
  'frame.pilots.amplitudes': { parameter: 'qi.frame.pilots.amplitudes' },
  serial_number: { parameter: 'qi.emitter.serial_number' },
};
