// Plain JavaScript, run by plain node in a project that installed the packed tarball:
// Alice's daemon and Bob's driver, each with its simulated backend, run one frame over loopback.
import { startAlice } from 'qosst-control/alice';
import { connect, runFrame } from 'qosst-control/bob';
import { createSimulatedAlice, createSimulatedBob, memoryFibre } from 'qosst-control/sim';

// A short clean link, frames long enough for a key at the achieved beta (2 blocks of 2^14 bits); the fibre in memory.
const { input, output } = memoryFibre();
const sim = { symbols: 40000, distanceKm: 0, excessNoise: 0, maxExcessNoise: 1, seed: 'consumer' };
const events = [];
const alice = await startAlice({
  config: { host: '127.0.0.1', port: 0, log_level: 'silent' },
  backend: createSimulatedAlice(sim, input),
  observer: {
    opened: (session) => events.push(`opened ${session}`),
    closed: (session) => events.push(`closed ${session}`),
  },
});
const phases = [];
let frame;
try {
  const bob = await connect({ host: alice.address, port: alice.port });
  try {
    await bob.identify();
    const receiver = createSimulatedBob({ fibre: output, symbols: 40000, estimationSymbols: 20000, calibrationSamples: 100000, epsilonPE: 0.1, blockLength: 16384, seed: 'consumer-bob' });
    frame = await runFrame(bob, receiver, { onPhase: (phase) => phases.push(phase) });
  } finally {
    await bob.disconnect();
  }
} finally {
  await alice.close();
}
process.stdout.write(`${JSON.stringify({ frame, phases, events, address: alice.address, port: alice.port })}\n`);
