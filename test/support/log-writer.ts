/**
 * Child process for the log tests: logs through createLogger's JSON
 * destination and ends as MODE says.
 * Usage: log-writer.ts exit | throw | flood KIB
 *   exit:  two lines on standard output, then process.exit within the same turn
 *   throw: a line on standard error, then an uncaught exception in the same turn
 *   flood: KIB lines of 1 KiB on standard output (`line N` in each) in one
 *          turn; then, on standard error, the most characters the
 *          destination held at once and `went on`
 */
import { writeSync } from 'node:fs';
import { pino } from 'pino';
import { createLogger, LineDestination } from '../../src/log.ts';

const [mode, kib] = process.argv.slice(2);
if (mode === 'exit') {
  const log = createLogger({ level: 'info', format: 'json', name: 'writer' });
  log.info('first');
  log.info('second');
  process.exit(0);
} else if (mode === 'throw') {
  const log = createLogger({ level: 'info', format: 'json', fd: 2, name: 'writer' });
  // From a callback, as a fault in the daemon would: the exception ends the process within the turn.
  setTimeout(() => {
    log.info('before the crash');
    throw new Error('the crash');
  });
} else if (mode === 'flood') {
  const log = createLogger({ level: 'info', format: 'json', name: 'writer' });
  const destination = (log as unknown as Record<symbol, LineDestination>)[pino.symbols.streamSym]!;
  const padding = 'x'.repeat(1024 - 70);
  let most = 0;
  for (let n = 0; n < Number(kib); n++) {
    log.info(`line ${n} ${padding}`);
    most = Math.max(most, destination.pendingLength);
  }
  writeSync(2, `held at most ${most}\nwent on\n`);
} else {
  throw new Error(`unknown mode ${mode}`);
}
