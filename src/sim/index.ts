/**
 * `qosst-control/sim`: the simulated emitter (an Alice backend) and the
 * simulated receiver (a Bob backend), paired through one seeded frame
 * generator. What is not listed here is internal.
 */
export { createSimulatedAlice, type EmitterState, type SimulatedAlice, type SimulatedAliceOptions } from './alice-sim.ts';
export { createSimulatedBob, type SimulatedBob, type SimulatedBobOptions } from './bob-sim.ts';
export { DEFAULT_SIM_SEED, frameSymbols, keyBits, keyHash, type FrameSymbols } from './frame-symbols.ts';
