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
 * The lines logged by one run of synchronous code (a request answered at
 * once and its answer are two lines), written with one system call as soon
 * as it ends, before any other I/O is handled; and whatever is left when
 * the process exits. A write is synchronous: nothing is lost to a crash
 * that lets the process exit, and a slow reader of a pipe slows the daemon
 * instead of filling its memory.
 */
export class BatchedDestination implements DestinationStream {
  private lines: string[] = [];
  private scheduled = false;
  /** Writing failed (the reader closed its end): later lines are dropped, the program goes on. */
  private broken = false;

  constructor(private readonly fd: number) {
    process.on('exit', () => this.flush());
  }

  write(line: string): void {
    if (this.broken) return;
    this.lines.push(line);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    if (this.lines.length === 0) return;
    let bytes = Buffer.from(this.lines.length === 1 ? this.lines[0]! : this.lines.join(''));
    this.lines = [];
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

export function createLogger(options: LogOptions): Logger {
  const fd = options.fd ?? 1;
  const usePretty = options.format === 'pretty' || (options.format !== 'json' && fd === 1 && process.stdout.isTTY);
  const base = { level: options.level as Level | 'silent', name: options.name, base: undefined };
  if (usePretty) {
    return pino(base, pretty({ destination: fd, colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'name,dir', singleLine: true, sync: true }));
  }
  return pino(base, new BatchedDestination(fd));
}
