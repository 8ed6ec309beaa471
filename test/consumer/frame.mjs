// Plain JavaScript, run by plain node in a project that installed the packed tarball:
// Alice's daemon and Bob's driver, each with its simulated backend, run one frame over loopback.
import { startAlice } from 'qosst-control/alice';
import { connect, runFrame } from 'qosst-control/bob';
import { createSimulatedAlice, createSimulatedBob } from 'qosst-control/sim';

const sim = { symbols: 2000, seed: 'consumer' };
const events = [];
const alice = await startAlice({
  config: { host: '127.0.0.1', port: 0, log_level: 'silent' },
  backend: createSimulatedAlice(sim),
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
    frame = await runFrame(bob, createSimulatedBob(sim), { onPhase: (phase) => phases.push(phase) });
  } finally {
    await bob.disconnect();
  }
} finally {
  await alice.close();
}
process.stdout.write(`${JSON.stringify({ frame, phases, events, address: alice.address, port: alice.port })}\n`);
