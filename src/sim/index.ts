/**
 * `qosst-control/sim`: the simulated link. Alice's emitter (an Alice
 * backend) sends its light into a simulated fibre; Bob's receiver (a Bob
 * backend) reads the fibre's output through his simulated detector. The
 * fibre is in memory in one process, or a local TCP stream across
 * processes. What is not listed here is internal.
 */
export { createSimulatedAlice, type EmitterState, type SimulatedAlice, type SimulatedAliceOptions } from './alice-sim.ts';
export { BOB_DEFAULTS, createSimulatedBob, type SimulatedBob, type SimulatedBobOptions } from './bob-sim.ts';
export { memoryFibre, type FibreDescription, type FibreInput, type FibreOutput, type Light } from './fibre-link.ts';
export { connectFibre, FibreServer, parseFibreAddress } from './fibre-tcp.ts';
export { describeFibre, type FibreConfig } from './fibre.ts';
export { keyBits, keyHash } from './key-bits.ts';
