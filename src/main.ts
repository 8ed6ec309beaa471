/**
 * `npm start`: a whole demonstration over loopback TCP. Starts the Alice
 * daemon with the simulated emitter on a free port (logs at warn, on
 * standard error), runs three frames with Bob's driver and simulated
 * receiver (the `qosst-bob run` loop, progress included), prints the
 * summary; then each side's key delivery API (test certificates in a
 * temporary folder) gives the master SAE a key at Alice and the slave SAE
 * the same key ID at Bob, and it prints whether they match (never the key).
 * Stops the daemon. Exit code 0 only if every frame completed and the keys match.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aliceConfigSchema } from './alice/config.ts';
import { startAlice, type AliceDaemon } from './alice/daemon.ts';
import { formatSummary, progressPrinter, runExitCode, runFrames } from './bob/run.ts';
import { BobSession } from './bob/session.ts';
import { createLogger } from './log.ts';
import { createSimulatedBob } from './sim/bob-sim.ts';
import { keyConfigSchema } from './keys/config.ts';
import { checkKeyDelivery, prepareDemoKeys } from './keys/demo.ts';
import { startKeyService, type KeyService } from './keys/service.ts';

const FRAMES = 3;

const dir = mkdtempSync(join(tmpdir(), 'qosst-start-'));
const demo = await prepareDemoKeys(dir);
const aliceConfig = aliceConfigSchema.parse({ port: 0, log_level: 'warn', key_store: join(dir, 'alice-keys.sqlite'), kme: demo.kme.alice });
const aliceLog = createLogger({ level: aliceConfig.log_level, format: 'auto', fd: 2, name: 'alice' });
const bobLog = createLogger({ level: 'warn', format: 'auto', fd: 2, name: 'bob' });

let daemon: AliceDaemon | null = null;
let bobKeys: KeyService | null = null;
let session: BobSession | null = null;
let code = 1;
try {
  daemon = await startAlice({ config: aliceConfig, log: aliceLog });
  bobKeys = await startKeyService(keyConfigSchema.parse({ key_store: join(dir, 'bob-keys.sqlite'), kme: demo.kme.bob }), 'slave', bobLog);
  console.log(`Alice (simulated emitter) listening on ${aliceConfig.host}:${daemon.port}; Bob runs ${FRAMES} frames.\n`);
  session = await BobSession.connect({ host: aliceConfig.host, port: daemon.port });
  // A short simulated acquisition, so that the phases can be followed on screen.
  const backend = createSimulatedBob({ symbols: aliceConfig.sim.symbols, variance: aliceConfig.sim.variance, seed: aliceConfig.sim.seed, acquisitionMs: 250 });
  const summary = await runFrames(session, backend, { frames: FRAMES, onProgress: progressPrinter(process.stdout), onFinalKey: bobKeys!.onFinalKey });
  await session.disconnect();
  console.log(formatSummary(summary));
  code = runExitCode(summary);
  const check = await checkKeyDelivery(demo, { alice: daemon.kmePort!, bob: bobKeys!.kmePort! });
  if (!check.delivered) {
    console.log(`\nKeys: none in Alice's store (no frame handed its final key to the key store), so none to deliver.`);
  } else {
    console.log(`\nKeys (ETSI GS QKD 014, mutual TLS): the master SAE got key ${check.keyId} (${check.bits} bits) from Alice's KME, the slave SAE the same key ID from Bob's: ${check.match ? 'the keys match' : 'THE KEYS DIFFER'}.`);
    if (!check.match) code = 1;
  }
} catch (error) {
  console.error(`npm start: ${(error as Error).message}`);
  await session?.disconnect().catch(() => undefined);
} finally {
  await daemon?.close();
  await bobKeys?.close();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(code);
