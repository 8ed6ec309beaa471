import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, lineHolder, LineDestination } from '../src/log.ts';

describe('log lines: written at once, or held together until released', () => {
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

  it('a line not held is out when write returns', () => {
    const { fd, read } = file();
    const out = new LineDestination(fd);
    out.write('a\n');
    expect(read()).toBe('a\n');
  });

  it('held lines go out together, in order, when the last hold is released', () => {
    const { fd, read } = file();
    const out = new LineDestination(fd);
    out.hold();
    out.write('in\n');
    out.hold();
    out.write('out\n');
    out.release();
    expect(read()).toBe('');
    out.release();
    expect(read()).toBe('in\nout\n');
    out.write('after\n');
    expect(read()).toBe('in\nout\nafter\n');
  });

  it('flush writes what is held without ending the hold', () => {
    const { fd, read } = file();
    const out = new LineDestination(fd);
    out.hold();
    out.write('first\n');
    out.flush();
    expect(read()).toBe('first\n');
    out.write('second\n');
    expect(read()).toBe('first\n');
    out.release();
    expect(read()).toBe('first\nsecond\n');
  });

  it("a JSON logger's lines are held through lineHolder; a pretty logger is left as it is", () => {
    const { fd, read } = file();
    const log = createLogger({ level: 'info', format: 'json', fd, name: 'test' });
    const lines = lineHolder(log.child({ session: 's1' }));
    lines.hold();
    log.child({ session: 's1' }).info('held');
    expect(read()).toBe('');
    lines.release();
    expect(JSON.parse(read())).toMatchObject({ name: 'test', session: 's1', msg: 'held' });
    const pretty = lineHolder(createLogger({ level: 'info', format: 'pretty', fd, name: 'test' }));
    expect(pretty).not.toBeInstanceOf(LineDestination);
  });
});
