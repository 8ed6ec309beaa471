/** pino logs: pretty on a terminal, JSON lines otherwise. */
import { writeSync } from 'node:fs';
import { pino, type DestinationStream, type Level, type Logger } from 'pino';
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

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * JSON lines written synchronously, each as it is logged, except while
 * held: a request and its answer are two lines, and Alice holds them until
 * just before the answer is sent, to write both with one system call. A
 * line is still out before what it reports is sent or closed, and nothing
 * is lost to a crash that lets the process exit (what is held is written on
 * exit). A slow reader of a pipe slows the daemon instead of filling its
 * memory; a log that cannot be written (the reader closed its end) is
 * dropped and the program goes on.
 */
export class LineDestination implements DestinationStream {
  private held = '';
  private holds = 0;
  private broken = false;

  constructor(private readonly fd: number) {
    process.on('exit', () => this.flush());
  }

  write(line: string): void {
    if (this.holds > 0) this.held += line;
    else this.out(line);
  }

  hold(): void {
    this.holds++;
  }

  /** Ends one hold; the held lines are written when none is left. */
  release(): void {
    if (this.holds > 0 && --this.holds === 0) this.flush();
  }

  /** Writes what is held, holds or not (pino's `logger.flush(done)` calls it too). */
  flush(done?: (error?: Error) => void): void {
    if (this.held !== '') {
      const text = this.held;
      this.held = '';
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

export interface LineHolder {
  hold(): void;
  release(): void;
  flush(): void;
}

const notHeld: LineHolder = { hold: () => undefined, release: () => undefined, flush: () => undefined };

/**
 * Who holds the lines of `log` (see LineDestination): `hold` until the
 * matching `release`, `flush` to write them at once. A logger that does not
 * write through a LineDestination (an embedder's) writes as it does.
 */
export function lineHolder(log: Logger): LineHolder {
  const stream = (log as unknown as Record<symbol, unknown>)[pino.symbols.streamSym];
  return stream instanceof LineDestination ? stream : notHeld;
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
