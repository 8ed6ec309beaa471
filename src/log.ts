/** pino logs: pretty on a terminal, JSON lines otherwise. */
import { writeSync } from 'node:fs';
import { pino, type Bindings, type DestinationStream, type Level, type Logger } from 'pino';
import pretty from 'pino-pretty';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = 'auto' | 'pretty' | 'json';

export interface LogOptions {
  level: LogLevel;
  format?: LogFormat;
  /** Where to write; standard output by default. */
  fd?: number;
  name?: string;
}

/** Most characters a destination keeps unwritten (a turn's lines beyond it are written at once). */
export const MAX_PENDING = 64 * 1024;

/** A line at this level or above (warn, error, fatal) is written at once, with what is pending before it. */
const URGENT = pino.levels.values.warn!;
const LEVEL_PREFIX = '{"level":';

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Every destination, written out when the process exits: Node emits 'exit'
 * on an uncaught exception too, before it prints the exception.
 */
const destinations = new Set<LineDestination>();
process.on('exit', () => {
  for (const destination of destinations) destination.flush();
});

/**
 * JSON lines collected during one turn of the event loop and written with
 * one synchronous system call at its end (setImmediate), or at once when
 * MAX_PENDING characters are waiting. Under load the daemon answers dozens
 * of requests in one turn: one write for all their lines instead of one
 * per request. What changes: a message's line is written within the same
 * turn as what it reports (the answer sent), no longer before it; whatever
 * runs after the turn (a timer, the next request) finds it written. That
 * is acceptable because the log is a record, not part of the protocol:
 * nothing waits on it, and it is lost only to a death that does not let
 * the process exit (SIGKILL, an abort in native code), and then at most
 * one turn's lines. Nothing is lost on exit or on an uncaught exception
 * (both write what is pending), and a warning, an error or a fatal line
 * is written at once, with what is pending before it: those report a
 * connection closed, refused or failing, which the peer sees at once too,
 * and are rare. Lines stay in order. A slow reader of a
 * pipe slows the process (the write waits for it) instead of filling its
 * memory; a log that cannot be written (the reader closed its end) is
 * dropped and the program goes on.
 */
export class LineDestination implements DestinationStream {
  private pending = '';
  private scheduled = false;
  private broken = false;
  private readonly endOfTurn = () => {
    this.scheduled = false;
    this.flush();
  };

  constructor(private readonly fd: number) {
    destinations.add(this);
  }

  write(line: string): void {
    if (this.broken) return;
    this.pending += line;
    if (this.pending.length >= MAX_PENDING || levelOf(line) >= URGENT) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.endOfTurn);
    }
  }

  /** Characters waiting for the end of the turn. */
  get pendingLength(): number {
    return this.pending.length;
  }

  /** Writes what is pending now (pino's `logger.flush(done)` calls it too). */
  flush(done?: (error?: Error) => void): void {
    if (this.pending !== '') {
      const text = this.pending;
      this.pending = '';
      this.out(text);
    }
    done?.();
  }

  private out(text: string): void {
    if (this.broken) return;
    let bytes = Buffer.from(text);
    while (bytes.length > 0) {
      try {
        bytes = bytes.subarray(writeSync(this.fd, bytes));
      } catch (error) {
        // A non-blocking pipe whose reader is behind: wait a little, as pino's own destination does.
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') {
          this.broken = true;
          return;
        }
        Atomics.wait(pause, 0, 0, 10);
      }
    }
  }
}

/** pino's number for a line's level, read from the line's start (`{"level":40,`); 0 for a line of another shape. */
function levelOf(line: string): number {
  if (!line.startsWith(LEVEL_PREFIX)) return 0;
  const tens = line.charCodeAt(LEVEL_PREFIX.length) - 48;
  const units = line.charCodeAt(LEVEL_PREFIX.length + 1) - 48;
  return tens >= 0 && tens <= 9 && units >= 0 && units <= 9 ? tens * 10 + units : 0;
}

type Serialise = (this: Logger, obj: object, msg: string | undefined, level: number, time: string) => string;

/**
 * A child of `log` with `bindings` for one line logged again and again (a
 * message's `← NAME`): its `info(msg)` goes through pino as any call does
 * (the level check, the time function, the destination) but finds its
 * line serialised but for the level and time, instead of serialising the
 * bindings and escaping the message each time. A call with other arguments
 * is serialised by pino. Where the logger's options would make pino write
 * something else (formatters, redaction, another message key), the line
 * is left to pino altogether: checked once, here.
 */
export function lineLogger(log: Logger, bindings: Bindings, msg: string): Logger {
  const child = log.child(bindings);
  const own = child as unknown as Record<symbol, unknown>;
  const serialise = own[pino.symbols.asJsonSym] as Serialise;
  const levels = own[pino.symbols.lsCacheSym] as Record<number, string>;
  const tail = `${own[pino.symbols.chindingsSym] as string},"msg":${JSON.stringify(msg)}${own[pino.symbols.endSym] as string}`;
  const probe = ',"time":0';
  const info = log.levels.values.info!;
  if (serialise.call(child, {}, msg, info, probe) !== levels[info] + probe + tail) return child;
  own[pino.symbols.asJsonSym] = function (this: Logger, obj: object, text: string | undefined, level: number, time: string): string {
    return text === msg && isEmpty(obj) ? levels[level] + time + tail : serialise.call(this, obj, text, level, time);
  };
  return child;
}

function isEmpty(obj: object): boolean {
  for (const _ in obj) return false;
  return true;
}

export function createLogger(options: LogOptions): Logger {
  const fd = options.fd ?? 1;
  const usePretty = options.format === 'pretty' || (options.format !== 'json' && fd === 1 && process.stdout.isTTY);
  const base = { level: options.level as Level | 'silent', name: options.name, base: undefined };
  if (usePretty) {
    return pino(base, pretty({ destination: fd, colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'name,dir', singleLine: true, sync: true }));
  }
  return pino(base, new LineDestination(fd));
}
