#!/usr/bin/env node
/**
 * qosst-bob: Bob's command line, `run` (frames with the simulated receiver), `probe` (conformance check)
 * and `sweep` (the key rate against the distance, over simulated links of its own).
 */
import { writeFileSync } from 'node:fs';
import { ConfigError, helpFor, loadBobConfig, sessionOptions, simulatedReceiver, sweepOptions } from '../bob/config.ts';
import { formatProbe, probe, simulatedKeyHash } from '../bob/probe.ts';
import { formatSummary, progressPrinter, runExitCode, runFrames } from '../bob/run.ts';
import { BobSession, type ConnectOptions } from '../bob/session.ts';
import { runSweep, type SweepResult } from '../bob/sweep.ts';
import { formatSweep, sweepProgressPrinter } from '../bob/sweep-format.ts';
import { sweepSvg } from '../bob/sweep-svg.ts';
import { createInspection, type Inspection } from '../inspect.ts';
import { createLogger } from '../log.ts';
import { startKeyService, type KeyService } from '../keys/service.ts';

const PROGRAM = 'qosst-bob';

/** Writes, then exits once the output is flushed. */
function finish(text: string, code: number, stream: NodeJS.WriteStream = process.stdout): never {
  stream.write(text.endsWith('\n') ? text : `${text}\n`, () => process.exit(code));
  // Never returns: the callback exits; keep the event loop from going on.
  return undefined as never;
}

let loaded;
try {
  loaded = loadBobConfig(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${PROGRAM}: ${error.message}\n`);
  process.exit(2);
}
if (loaded.help) {
  process.stdout.write(`${helpFor(loaded.command)}\n`);
  process.exit(0);
}
const { command, config, json } = loaded;
const log = createLogger({ level: config.log_level, format: config.log_format, fd: 2, name: 'bob' });

/** Ctrl-C once: the current frame finishes, then the command stops; twice: at once. */
function interruptible(what: string): AbortSignal {
  const controller = new AbortController();
  process.on('SIGINT', () => {
    if (controller.signal.aborted) {
      process.stderr.write(`\n${PROGRAM}: interrupted again: quitting now\n`);
      process.exit(130);
    }
    controller.abort();
    process.stderr.write(`\n${PROGRAM}: interrupted: finishing the current frame, then ${what} (Ctrl-C again to quit now)\n`);
  });
  return controller.signal;
}

if (command === 'sweep') {
  process.on('unhandledRejection', (error) => log.error({ err: String(error) }, 'unexpected rejection'));
  let result: SweepResult;
  try {
    result = await runSweep({ ...sweepOptions(config), signal: interruptible('stopping the sweep'), ...(json ? {} : { onProgress: sweepProgressPrinter(process.stdout) }) });
  } catch (error) {
    finish(`${PROGRAM}: sweep failed: ${(error as Error).message}`, 1, process.stderr);
  }
  try {
    writeFileSync(config.out, sweepSvg(result));
  } catch (error) {
    process.stderr.write(`${PROGRAM}: cannot write the plot to ${config.out}: ${(error as Error).message}\n`);
    finish(json ? JSON.stringify(result) : formatSweep(result), 1);
  }
  finish(json ? JSON.stringify(result) : `${formatSweep(result)}\n\nPlot: ${config.out}`, result.interrupted ? 1 : 0);
}

let options: ConnectOptions;
let inspection: Inspection | undefined;
try {
  options = sessionOptions(config);
  inspection = config.inspect ? createInspection(config.inspect, (e) => log.warn({ err: e.message }, 'inspector')) : undefined;
  if (inspection) options.inspect = inspection.inspect;
} catch (error) {
  process.stderr.write(`${PROGRAM}: ${(error as Error).message}\n`);
  process.exit(2);
}

// The key store and the key delivery API serve while `run` runs frames.
let keys: KeyService | null = null;
if (command === 'run') {
  try {
    keys = await startKeyService(config, 'slave', log);
  } catch (error) {
    process.stderr.write(`${PROGRAM}: ${(error as Error).message}\n`);
    process.exit(2);
  }
  if (keys?.kmePort !== undefined) process.stderr.write(`${PROGRAM}: key delivery API (ETSI GS QKD 014) on https://${config.kme!.host}:${keys.kmePort}\n`);
}

let session: BobSession;
try {
  session = await BobSession.connect(options);
} catch (error) {
  process.stderr.write(`${PROGRAM}: cannot connect to Alice at ${config.host}:${config.port}: ${(error as Error).message}\n`);
  await keys?.close();
  process.exit(1);
}
session.on('message', (m) => log.debug({ direction: m.direction, code: m.code, phase: m.phase }, `${m.direction === 'out' ? '->' : '<-'} ${m.name}`));
session.on('connection', (c) => (c.state === 'closed' ? log.debug(c, 'connection closed') : log.warn(c, `connection ${c.state}`)));
process.on('unhandledRejection', (error) => log.error({ err: String(error) }, 'unexpected rejection'));

if (command === 'probe') {
  const result = await probe(session, { keyHash: simulatedKeyHash });
  finish(json ? JSON.stringify(result) : formatProbe(result), result.ok ? 0 : 1);
} else {
  const signal = interruptible('disconnecting');
  let receiver;
  try {
    receiver = await simulatedReceiver(config);
  } catch (error) {
    await session.disconnect().catch(() => undefined);
    process.stderr.write(`${PROGRAM}: ${(error as Error).message} (is --sim-fibre Alice's --sim-fibre-port?)\n`);
    process.exit(1);
  }
  const summary = await runFrames(session, receiver, {
    frames: config.frames,
    signal,
    onFinalKey: keys?.onFinalKey,
    ...(json ? {} : { onProgress: progressPrinter(process.stdout) }),
  });
  try {
    await session.disconnect();
  } catch (error) {
    log.warn({ err: (error as Error).message }, 'disconnection failed');
  }
  await receiver.close();
  await inspection?.stop();
  await keys?.close();
  finish(json ? JSON.stringify(summary) : formatSummary(summary), runExitCode(summary));
}
