/**
 * `npm start`: a whole demonstration over loopback TCP. Starts the Alice
 * daemon with the simulated emitter on a free port (logs at warn, on
 * standard error), runs three frames with Bob's driver and simulated
 * receiver (the `qosst-bob run` loop, progress included), prints the
 * summary, stops the daemon. Exit code 0 only if every frame completed.
 */
import { aliceConfigSchema } from './alice/config.ts';
import { startAlice, type AliceDaemon } from './alice/daemon.ts';
import { formatSummary, progressPrinter, runExitCode, runFrames } from './bob/run.ts';
import { BobSession } from './bob/session.ts';
import { createLogger } from './log.ts';
import { createSimulatedBob } from './sim/bob-sim.ts';

const FRAMES = 3;

const aliceConfig = aliceConfigSchema.parse({ port: 0, log_level: 'warn' });
const aliceLog = createLogger({ level: aliceConfig.log_level, format: 'auto', fd: 2, name: 'alice' });

let daemon: AliceDaemon | null = null;
let session: BobSession | null = null;
let code = 1;
try {
  daemon = await startAlice({ config: aliceConfig, log: aliceLog });
  console.log(`Alice (simulated emitter) listening on ${aliceConfig.host}:${daemon.port}; Bob runs ${FRAMES} frames.\n`);
  session = await BobSession.connect({ host: aliceConfig.host, port: daemon.port });
  // A short simulated acquisition, so that the phases can be followed on screen.
  const backend = createSimulatedBob({ symbols: aliceConfig.sim.symbols, variance: aliceConfig.sim.variance, seed: aliceConfig.sim.seed, acquisitionMs: 250 });
  const summary = await runFrames(session, backend, { frames: FRAMES, onProgress: progressPrinter(process.stdout) });
  await session.disconnect();
  console.log(formatSummary(summary));
  code = runExitCode(summary);
} catch (error) {
  console.error(`npm start: ${(error as Error).message}`);
  await session?.disconnect().catch(() => undefined);
} finally {
  await daemon?.close();
}
process.exit(code);
