#!/usr/bin/env node
/** qosst-alice: the daemon's command line. */
import { ConfigError, HELP, loadAliceConfig } from '../alice/config.ts';
import { startAlice, type AliceDaemon } from '../alice/daemon.ts';
import { createInspection, type Inspection } from '../inspect.ts';
import { createLogger } from '../log.ts';

let loaded;
try {
  loaded = loadAliceConfig(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`qosst-alice: ${error.message}\n`);
  process.exit(2);
}
if (loaded.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}
const { config } = loaded;
const log = createLogger({ level: config.log_level, format: config.log_format, name: 'alice' });

let daemon: AliceDaemon;
let inspection: Inspection | undefined;
try {
  inspection = config.inspect ? createInspection(config.inspect, (e) => log.warn({ err: e.message }, 'inspector')) : undefined;
  daemon = await startAlice({ config, log, inspect: inspection?.inspect });
  if (daemon.fibrePort !== undefined) log.info({ host: config.host, port: daemon.fibrePort }, 'simulated fibre served (qosst-bob run --sim-fibre)');
} catch (error) {
  log.fatal({ err: (error as Error).message }, 'Alice could not start');
  process.exit(2);
}
// Started with an IPC channel (child_process.fork, as `qosst-bob sweep` does): tell the parent where we listen.
process.send?.({ type: 'listening', port: daemon.port, fibrePort: daemon.fibrePort ?? null });

/** A stop that cannot finish in time (a hung backend) still ends the process. */
const STOP_DEADLINE_MS = 2000;
/** How often the parent is checked for. */
const PARENT_POLL_MS = 500;

let stopping = false;
async function stop(why: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ why }, 'stopping: emission off, sockets closed');
  setTimeout(() => {
    log.error({ deadlineMs: STOP_DEADLINE_MS }, 'stopping took too long: exiting anyway');
    process.exit(1);
  }, STOP_DEADLINE_MS).unref();
  await daemon.close();
  await inspection?.stop();
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGHUP', () => void stop('SIGHUP'));
if (config.stop_with_parent) {
  // Whoever started us (npm, a shell, a test) is gone: we are reparented, or our IPC channel closes.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void stop(`parent process ${parent} exited`);
  }, PARENT_POLL_MS).unref();
  process.on('disconnect', () => void stop('parent process closed the IPC channel'));
}
// An operator (or the benchmark) asks how the daemon is doing: CPU time in µs since it started, memory, live sessions.
process.on('SIGUSR2', () =>
  log.info({ cpu: process.cpuUsage(), rss: process.memoryUsage.rss(), sessions: daemon.server.sessions.size }, 'status'),
);
process.on('uncaughtException', (error) => log.error({ err: error.message, stack: error.stack }, 'unexpected error; the daemon goes on'));
process.on('unhandledRejection', (error) => log.error({ err: String(error) }, 'unexpected rejection; the daemon goes on'));
