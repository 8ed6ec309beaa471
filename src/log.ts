/** pino logs: pretty on a terminal, JSON lines otherwise. */
import { pino, type Level, type Logger } from 'pino';
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

export function createLogger(options: LogOptions): Logger {
  const fd = options.fd ?? 1;
  const usePretty = options.format === 'pretty' || (options.format !== 'json' && fd === 1 && process.stdout.isTTY);
  const base = { level: options.level as Level | 'silent', name: options.name, base: undefined };
  if (usePretty) {
    return pino(base, pretty({ destination: fd, colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'name,dir', singleLine: true, sync: true }));
  }
  return pino(base, pino.destination({ dest: fd, sync: true }));
}
