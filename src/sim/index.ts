/**
 * `qosst-control/sim`: the simulated link. Alice's simulated emitter (an
 * Alice backend) sends light through a simulated fibre (in memory, or served
 * over TCP by the daemon); Bob's simulated receiver (a Bob backend) measures
 * it with a simulated detector. What is not listed here is internal.
 */
export {
  createSimulatedAlice,
  type AliceFrame,
  type BlockToCorrect,
  type EmitterState,
  type KeyToHash,
  type PostProcessing,
  type SimulatedAlice,
  type SimulatedAliceOptions,
  type SimulatedAliceSession,
} from './alice-sim.ts';
export { BOB_DEFAULTS, createSimulatedBob, type BobFrame, type SimulatedBob, type SimulatedBobOptions } from './bob-sim.ts';
export { createDetector, type Calibration, type Detector, type DetectorConfig, type Measurement } from './detector.ts';
export { describeFibre, propagate, type FibreConfig } from './fibre.ts';
export { memoryFibre, type FibreDescription, type FibreInput, type FibreOutput, type Light } from './fibre-link.ts';
export { connectFibre, FibreServer, parseFibreAddress } from './fibre-tcp.ts';
export { createRandomSource, type RandomSource } from './gaussian-source.ts';
export { verificationHash } from '../postprocessing/verification-hash.ts';
export { SIM_DEPLOYED_PARAMETERS, SIM_SNU_PER_DAC_VARIANCE } from './deployed-names.ts';
