// Plain JavaScript, run by plain node in a project that installed the packed tarball:
// Alice's daemon and Bob's driver, each with its simulated backend, run one frame over loopback.
import { startAlice } from 'qosst-control/alice';
import { connect, runFrame } from 'qosst-control/bob';
import { createSimulatedAlice, createSimulatedBob, memoryFibre } from 'qosst-control/sim';

// A short, clean link: 20 000 symbols estimate a positive worst-case key rate at epsilon_PE = 0.1.
const { input, output } = memoryFibre();
const link = { symbols: 20_000, distanceKm: 0, excessNoise: 0, maxExcessNoise: 1, seed: 'consumer-alice' };
const receiver = { fibre: output, symbols: 20_000, estimationSymbols: 10_000, calibrationSamples: 100_000, epsilonPE: 0.1, seed: 'consumer-bob' };
const events = [];
const alice = await startAlice({
  config: { host: '127.0.0.1', port: 0, log_level: 'silent' },
  backend: createSimulatedAlice(link, input),
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
    frame = await runFrame(bob, createSimulatedBob(receiver), { onPhase: (phase) => phases.push(phase) });
  } finally {
    await bob.disconnect();
  }
} finally {
  await alice.close();
}
process.stdout.write(`${JSON.stringify({ frame, phases, events, address: alice.address, port: alice.port })}\n`);
