/**
 * `npm start`: a whole demonstration over loopback TCP. Starts the Alice
 * daemon with the simulated emitter and its simulated fibre on free ports
 * (logs at warn, on standard error), connects Bob's simulated receiver to
 * the fibre and runs three frames with Bob's driver (the `qosst-bob run`
 * loop, progress and measurements included), prints the summary; then each
 * side's key delivery API (test certificates in a temporary folder) gives
 * the master SAE a key at Alice and the slave SAE the same key ID at Bob,
 * and it prints whether they match (never the key). Stops the daemon. Exit
 * code 0 only if every frame completed and the keys match. The link is
 * 2 km long; the daemon's options change it: `npm start -- --sim-distance-km 1 --sim-excess-noise 0.02`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, HELP, loadAliceConfig } from './alice/config.ts';
import { startAlice, type AliceDaemon } from './alice/daemon.ts';
import { formatSummary, progressPrinter, runExitCode, runFrames } from './bob/run.ts';
import { BobSession } from './bob/session.ts';
import { createLogger } from './log.ts';
import { transmittanceFromDistance } from './physics/fibre-loss.ts';
import { secretKeyRate } from './physics/key-rate.ts';
import { BOB_DEFAULTS, createSimulatedBob, type SimulatedBob } from './sim/bob-sim.ts';
import { connectFibre } from './sim/fibre-tcp.ts';
import { keyConfigSchema } from './keys/config.ts';
import { checkKeyDelivery, prepareDemoKeys } from './keys/demo.ts';
import { startKeyService, type KeyService } from './keys/service.ts';

const FRAMES = 3;

/** npm start's link length (km), unless `--sim-distance-km` says otherwise. */
const START_DISTANCE_KM = 2;

let loaded;
try {
  // 2 km: at the daemon's default 10 km, 10^6-symbol frames keep a key too thin to rely on (README, Limits).
  loaded = loadAliceConfig(['--port', '0', '--log-level', 'warn', '--sim-distance-km', String(START_DISTANCE_KM), ...process.argv.slice(2)]);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`npm start: ${error.message}`);
  process.exit(2);
}
if (loaded.help) {
  console.log(`npm start -- [options]: the daemon's options (below) set the simulated link.\n\n${HELP}`);
  process.exit(0);
}
const dir = mkdtempSync(join(tmpdir(), 'qosst-start-'));
const demo = await prepareDemoKeys(dir);
const aliceConfig = { ...loaded.config, key_store: join(dir, 'alice-keys.sqlite'), kme: demo.kme.alice };
const aliceLog = createLogger({ level: aliceConfig.log_level, format: 'auto', fd: 2, name: 'alice' });
const bobLog = createLogger({ level: 'warn', format: 'auto', fd: 2, name: 'bob' });
const { sim } = aliceConfig;

let daemon: AliceDaemon | null = null;
let bobKeys: KeyService | null = null;
let session: BobSession | null = null;
let receiver: SimulatedBob | null = null;
let code = 1;
try {
  daemon = await startAlice({ config: aliceConfig, log: aliceLog });
  bobKeys = await startKeyService(keyConfigSchema.parse({ key_store: join(dir, 'bob-keys.sqlite'), kme: demo.kme.bob }), 'slave', bobLog);
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
  const summary = await runFrames(session, receiver, { frames: FRAMES, onProgress: progressPrinter(process.stdout), onFinalKey: bobKeys!.onFinalKey });
  await session.disconnect();
  console.log(formatSummary(summary));
  code = runExitCode(summary);
  const check = await checkKeyDelivery(demo, { alice: daemon.kmePort!, bob: bobKeys!.kmePort! });
  if (!check.delivered) {
    console.log(`\nKeys: none in Alice's store (no frame handed its final key to the key store), so none to deliver.`);
    // A completed frame always stores its key: none means the key path is broken.
    if (summary.counts.completed > 0) code = 1;
  } else {
    console.log(`\nKeys (ETSI GS QKD 014, mutual TLS): the master SAE got key ${check.keyId} (${check.bits} bits) from Alice's KME, the slave SAE the same key ID from Bob's: ${check.match ? 'the keys match' : 'THE KEYS DIFFER'}.`);
    if (!check.match) code = 1;
  }
} catch (error) {
  console.error(`npm start: ${(error as Error).message}`);
  await session?.disconnect().catch(() => undefined);
} finally {
  await receiver?.close();
  await daemon?.close();
  await bobKeys?.close();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(code);
