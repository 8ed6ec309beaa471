/**
 * `npm start`: a whole demonstration over loopback TCP. Starts the Alice
 * daemon with the simulated emitter and its simulated fibre on free ports
 * (logs at warn, on standard error), connects Bob's simulated receiver to
 * the fibre and runs three frames with Bob's driver (the `qosst-bob run`
 * loop, progress and measurements included), prints the summary, stops the
 * daemon. Exit code 0 only if every frame completed. The daemon's options
 * change the link: `npm start -- --sim-distance-km 25 --sim-excess-noise 0.02`.
 */
import { ConfigError, HELP, loadAliceConfig } from './alice/config.ts';
import { startAlice, type AliceDaemon } from './alice/daemon.ts';
import { formatSummary, progressPrinter, runExitCode, runFrames } from './bob/run.ts';
import { BobSession } from './bob/session.ts';
import { createLogger } from './log.ts';
import { transmittanceFromDistance } from './physics/fibre-loss.ts';
import { secretKeyRate } from './physics/key-rate.ts';
import { BOB_DEFAULTS, createSimulatedBob, type SimulatedBob } from './sim/bob-sim.ts';
import { connectFibre } from './sim/fibre-tcp.ts';

const FRAMES = 3;

let loaded;
try {
  loaded = loadAliceConfig(['--port', '0', '--log-level', 'warn', ...process.argv.slice(2)]);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`npm start: ${error.message}`);
  process.exit(2);
}
if (loaded.help) {
  console.log(`npm start -- [options]: the daemon's options (below) set the simulated link.\n\n${HELP}`);
  process.exit(0);
}
const aliceConfig = loaded.config;
const aliceLog = createLogger({ level: aliceConfig.log_level, format: 'auto', fd: 2, name: 'alice' });
const { sim } = aliceConfig;

let daemon: AliceDaemon | null = null;
let session: BobSession | null = null;
let receiver: SimulatedBob | null = null;
let code = 1;
try {
  daemon = await startAlice({ config: aliceConfig, log: aliceLog });
  const theory = secretKeyRate({
    Va: sim.variance,
    T: transmittanceFromDistance(sim.distance_km, sim.loss_db_per_km),
    xi: sim.excess_noise,
    eta: BOB_DEFAULTS.efficiency,
    Vel: BOB_DEFAULTS.electronicNoise,
    beta: BOB_DEFAULTS.beta,
  });
  console.log(`Alice (simulated emitter) listening on ${aliceConfig.host}:${daemon.port}, fibre on port ${daemon.fibrePort}.`);
  console.log(
    `Link: ${sim.distance_km} km at ${sim.loss_db_per_km} dB/km, xi = ${sim.excess_noise} SNU, Va = ${sim.variance} SNU, ` +
      `${sim.symbols} symbols per frame; Bob's detector eta = ${BOB_DEFAULTS.efficiency}, Vel = ${BOB_DEFAULTS.electronicNoise} SNU, ` +
      `beta = ${BOB_DEFAULTS.beta}: theoretical key rate ${theory.toFixed(4)} bits/symbol.`,
  );
  console.log(`Bob reveals ${BOB_DEFAULTS.estimationSymbols} symbols per frame and runs ${FRAMES} frames.\n`);
  session = await BobSession.connect({ host: aliceConfig.host, port: daemon.port });
  receiver = createSimulatedBob({ fibre: await connectFibre(aliceConfig.host, daemon.fibrePort!), symbols: sim.symbols, variance: sim.variance });
  const summary = await runFrames(session, receiver, { frames: FRAMES, onProgress: progressPrinter(process.stdout) });
  await session.disconnect();
  console.log(formatSummary(summary));
  code = runExitCode(summary);
} catch (error) {
  console.error(`npm start: ${(error as Error).message}`);
  await session?.disconnect().catch(() => undefined);
} finally {
  await receiver?.close();
  await daemon?.close();
}
process.exit(code);
