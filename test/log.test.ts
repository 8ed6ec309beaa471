import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, LineDestination, lineLogger, MAX_PENDING } from '../src/log.ts';

const ROOT = join(import.meta.dirname, '..');
const endOfTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Run {
  code: number | null;
  out: string;
  err: string;
  /** Standard error as it was when the parent started reading standard output again. */
  errWhenResumed?: string;
}

/** Runs test/support/log-writer.ts; `stopReading` leaves its standard output unread until the given promise settles. */
function writer(args: string[], options: { stopReading?: Promise<void>; closeOutput?: boolean } = {}): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/log-writer.ts', ...args], { cwd: ROOT });
  const run: Run = { code: null, out: '', err: '' };
  child.stderr.on('data', (c: Buffer) => (run.err += c));
  if (options.closeOutput) child.stdout.destroy();
  else child.stdout.on('data', (c: Buffer) => (run.out += c));
  if (options.stopReading) {
    child.stdout.pause();
    void options.stopReading.then(() => {
      run.errWhenResumed = run.err;
      child.stdout.resume();
    });
  }
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ ...run, code }));
  });
}

describe('log lines: written once per event-loop turn', () => {
  const dirs: string[] = [];
  const fds: number[] = [];
  afterEach(() => {
    for (const fd of fds.splice(0)) closeSync(fd);
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const file = () => {
    const dir = mkdtempSync(join(tmpdir(), 'qosst-log-'));
    dirs.push(dir);
    const path = join(dir, 'log');
    const fd = openSync(path, 'w');
    fds.push(fd);
    return { fd, read: () => readFileSync(path, 'utf8') };
  };

  it('the lines of a turn are written together, in order, by the end of the turn', async () => {
    const { fd, read } = file();
    const out = new LineDestination(fd);
    out.write('a\n');
    out.write('b\n');
    expect(read()).toBe('');
    await endOfTurn();
    expect(read()).toBe('a\nb\n');
    out.write('c\n');
    await endOfTurn();
    expect(read()).toBe('a\nb\nc\n');
  });

  it('a turn that logs more than MAX_PENDING characters writes them as they come, in order, never holding more', async () => {
    const { fd, read } = file();
    const out = new LineDestination(fd);
    const line = (n: number) => `${String(n).padStart(6, '0')} ${'x'.repeat(1000)}\n`;
    const count = Math.ceil((3 * MAX_PENDING) / line(0).length);
    let most = 0;
    for (let n = 0; n < count; n++) {
      out.write(line(n));
      most = Math.max(most, out.pendingLength);
    }
    expect(most).toBeLessThan(MAX_PENDING);
    const early = read();
    expect(early.length).toBeGreaterThanOrEqual(2 * MAX_PENDING);
    await endOfTurn();
    expect(read()).toBe(Array.from({ length: count }, (_, n) => line(n)).join(''));
    expect(read().startsWith(early)).toBe(true);
  });

  it('a warning, an error or a fatal line is written at once, after what is pending before it', () => {
    const { fd, read } = file();
    const log = createLogger({ level: 'info', format: 'json', fd, name: 'test' }).child({ session: 's1' });
    log.info('← DISCONNECTION');
    expect(read()).toBe('');
    log.warn('closing the connection');
    const lines = read().trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toMatchObject([
      { level: 30, msg: '← DISCONNECTION' },
      { level: 40, name: 'test', session: 's1', msg: 'closing the connection' },
    ]);
    log.error('internal error');
    log.fatal('man-in-the-middle suspected');
    expect(read().trim().split('\n').map((l) => JSON.parse(l).level)).toEqual([30, 40, 50, 60]);
  });

  it('flush writes what is pending at once', () => {
    const { fd, read } = file();
    const out = new LineDestination(fd);
    out.write('{"level":30,"msg":"a"}\n');
    out.flush();
    expect(read()).toBe('{"level":30,"msg":"a"}\n');
  });

  it('what is pending is written when the process exits within the turn', async () => {
    const run = await writer(['exit']);
    expect(run.code).toBe(0);
    expect(run.out.trim().split('\n').map((l) => JSON.parse(l).msg)).toEqual(['first', 'second']);
  });

  it('a process dying of an uncaught exception writes what is pending first, before the stack trace', async () => {
    const run = await writer(['throw']);
    expect(run.code).toBe(1);
    const line = run.err.indexOf('"msg":"before the crash"');
    expect(line).toBeGreaterThanOrEqual(0);
    expect(run.err.indexOf('the crash', line + 30)).toBeGreaterThan(line);
  });

  it('a pipe reader that stops reading holds the writer back; nothing is lost and memory stays bounded', async () => {
    // 4 MiB: well over what the pipe and the parent's stream buffer can take while the parent reads nothing.
    const kib = 4096;
    let resume!: () => void;
    const stopped = new Promise<void>((resolve) => (resume = resolve));
    const done = writer(['flood', String(kib)], { stopReading: stopped });
    setTimeout(resume, 300);
    const run = await done;
    expect(run.code).toBe(0);
    expect(run.errWhenResumed).not.toContain('went on');
    const most = Number(/held at most (\d+)/.exec(run.err)?.[1]);
    expect(most).toBeLessThan(MAX_PENDING);
    const numbers = run.out.trim().split('\n').map((l) => Number(/line (\d+)/.exec(JSON.parse(l).msg)?.[1]));
    expect(numbers).toEqual(Array.from({ length: kib }, (_, n) => n));
  });

  it('a reader that closes its end loses the log, not the process', async () => {
    const run = await writer(['flood', '1024'], { closeOutput: true });
    expect(run.code).toBe(0);
    expect(run.err).toContain('went on');
  });
});

describe('lineLogger: a line serialised once, still written by pino', () => {
  const lines: string[] = [];
  const sink = { write: (line: string) => void lines.push(line) };
  const fields = { dir: 'in', code: 100, name: 'IDENTIFICATION_REQUEST', phase: 'identification' };
  const text = '← IDENTIFICATION_REQUEST';
  const withoutTime = (line: string) => line.replace(/"time":\d+/, '"time":0');
  afterEach(() => void lines.splice(0));

  it("writes pino's own line: the same fields in the same order, the level and time of the call", () => {
    const session = pino({ level: 'info', name: 'alice', base: undefined }, sink).child({ session: 's1' });
    session.child(fields).info(text);
    const line = lineLogger(session, fields, text);
    line.info(text);
    line.warn(text);
    expect(lines).toHaveLength(3);
    expect(withoutTime(lines[1]!)).toBe(withoutTime(lines[0]!));
    expect([...lines[1]!.matchAll(/"(\w+)":/g)].map((m) => m[1])).toEqual(['level', 'time', 'name', 'session', 'dir', 'code', 'name', 'phase', 'msg']);
    expect(JSON.parse(lines[2]!)).toMatchObject({ level: 40, session: 's1', code: 100, msg: text });
  });

  it("keeps pino's level check, and leaves any other call to pino", () => {
    const quiet = lineLogger(pino({ level: 'warn', base: undefined }, sink), fields, text);
    quiet.info(text);
    expect(lines).toEqual([]);
    const line = lineLogger(pino({ level: 'info', base: undefined }, sink), fields, text);
    line.info({ extra: 1 }, text);
    line.info('another text');
    expect(JSON.parse(lines[0]!)).toMatchObject({ code: 100, extra: 1, msg: text });
    expect(JSON.parse(lines[1]!)).toMatchObject({ code: 100, msg: 'another text' });
  });

  it('under options that change what pino writes, the line is left to pino', () => {
    const options = { level: 'info', base: undefined, messageKey: 'message', formatters: { log: (o: object) => ({ ...o, added: true }) } };
    lineLogger(pino(options, sink), fields, text).info(text);
    pino(options, sink).child(fields).info(text);
    expect(withoutTime(lines[0]!)).toBe(withoutTime(lines[1]!));
    expect(JSON.parse(lines[0]!)).toMatchObject({ added: true, message: text });
  });
});
