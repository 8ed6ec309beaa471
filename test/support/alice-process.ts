/**
 * Alice's daemon in a process of its own, for the hardening tests: the
 * memory and event-loop delay it reports are its own, not the test's.
 * Started by `AliceProcess` (alice-process-client.ts) with an IPC channel;
 * the configuration comes as JSON in argv[2]. Logs go to standard output
 * as JSON lines. Answers `{type: 'stats'}` with its memory, event-loop
 * delay, buffered bytes and connections; stops when the channel closes.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { aliceConfigSchema } from '../../src/alice/config.ts';
import { startAlice } from '../../src/alice/daemon.ts';
import { createLogger } from '../../src/log.ts';

export interface DaemonStats {
  /** Bytes held by Buffers and ArrayBuffers (where received frames live), and the JS heap. */
  arrayBuffers: number;
  heapUsed: number;
  rss: number;
  /** Event-loop delay since the last reset, in ms. */
  delayMaxMs: number;
  delayP99Ms: number;
  /** The daemon's own count of buffered incoming bytes (the budget). */
  bufferedBytes: number;
  connections: number;
  /** Worker threads started so far (each on first use). */
  workerThreads: number;
}

export type Request = { type: 'stats'; gc?: boolean } | { type: 'reset' };

const config = aliceConfigSchema.parse({ port: 0, ...JSON.parse(process.argv[2] ?? '{}') });
const log = createLogger({ level: config.log_level, format: 'json', name: 'alice' });
const daemon = await startAlice({ config, log });
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();

const collect = (global as { gc?: () => void }).gc;
process.on('message', (request: Request) => {
  if (request.type === 'reset') {
    delay.reset();
    process.send!({ type: 'reset' });
    return;
  }
  if (request.gc) collect?.();
  const memory = process.memoryUsage();
  const stats: DaemonStats = {
    arrayBuffers: memory.arrayBuffers,
    heapUsed: memory.heapUsed,
    rss: memory.rss,
    delayMaxMs: delay.max / 1e6,
    delayP99Ms: delay.percentile(99) / 1e6,
    bufferedBytes: daemon.server.bufferedBytes,
    connections: daemon.server.sessions.size,
    workerThreads: daemon.pool.running,
  };
  process.send!({ type: 'stats', stats });
});
process.on('disconnect', () => {
  void daemon.close().finally(() => process.exit(0));
});
process.send!({ type: 'listening', port: daemon.port, fibrePort: daemon.fibrePort });
