/**
 * Stopping the daemon however it was started: SIGTERM to `npm run alice`,
 * SIGKILL to npm (the daemon notices its parent is gone), and SIGTERM or
 * SIGINT to the node process itself (what the `qosst-alice` bin runs). In
 * each case, during an emission: the session is closed (frame discarded,
 * emission stopped), the port refuses connections and no process is left.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { FRAME_UUID } from './support/alice.ts';
import { RawClient } from './support/raw-client.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DAEMON_ARGS = ['--port', '0', '--log-format', 'json', '--log-level', 'info', '--sim-symbols', '2000'];
/** "Within a couple of seconds", with room for a loaded CI machine. */
const STOP_WAIT_MS = 8000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = STOP_WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const refuses = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });

interface Started {
  child: ChildProcess;
  /** The node process running the daemon (the child itself, or npm's child). */
  daemonPid: number;
  port: number;
  logs: Record<string, unknown>[];
}

const started: Started[] = [];

async function start(command: string, args: string[]): Promise<Started> {
  const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const logs: Record<string, unknown>[] = [];
  let rest = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString('utf8')).split('\n');
    rest = lines.pop()!;
    for (const line of lines) if (line.startsWith('{')) logs.push(JSON.parse(line) as Record<string, unknown>);
  });
  await until(() => logs.some((l) => l.msg === 'Alice listening'), 'the daemon to listen', 30_000);
  const port = Number(logs.find((l) => l.msg === 'Alice listening')!.port);
  let daemonPid = child.pid!;
  if (command === 'npm') {
    // `npm run alice` execs the daemon in place of the shell: it is npm's only child.
    const children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(child.pid)], { encoding: 'utf8' }).trim().split(/\s+/);
    expect(children).toHaveLength(1);
    daemonPid = Number(children[0]);
    expect(execFileSync('ps', ['-o', 'args=', '-p', String(daemonPid)], { encoding: 'utf8' })).toContain('src/cli/alice.ts');
  }
  const s = { child, daemonPid, port, logs };
  started.push(s);
  return s;
}

/** A client in the middle of an emission. */
async function emitting(port: number): Promise<RawClient> {
  const client = await RawClient.connect(port);
  const answers: string[] = [];
  answers.push((await client.identify()).name);
  answers.push((await client.request('INITIALIZATION_REQUEST', { frame_uuid: FRAME_UUID })).name);
  answers.push((await client.request('QIE_REQUEST')).name);
  answers.push((await client.request('QIE_TRIGGER')).name);
  expect(answers).toEqual(['IDENTIFICATION_RESPONSE', 'INITIALIZATION_ACCEPTED', 'QIE_READY', 'QIE_EMISSION_STARTED']);
  return client;
}

async function expectStopped(s: Started, client: RawClient, why: string): Promise<void> {
  expect(await client.closed(STOP_WAIT_MS)).toBe(true);
  await until(() => !alive(s.daemonPid), 'the daemon process to exit');
  expect(await refuses(s.port)).toBe(true);
  const messages = s.logs.map((l) => String(l.msg));
  const stopping = s.logs.findIndex((l) => l.msg === 'stopping: emission off, sockets closed');
  expect(stopping).toBeGreaterThanOrEqual(0);
  expect(String(s.logs[stopping]!.why)).toContain(why);
  // The emitting session was closed (its frame discarded) after the decision, then the daemon stopped.
  expect(messages.indexOf('session closed', stopping)).toBeGreaterThan(stopping);
  expect(messages.indexOf('Alice stopped', stopping)).toBeGreaterThan(stopping);
}

afterEach(() => {
  for (const s of started.splice(0)) {
    for (const pid of [s.daemonPid, s.child.pid!]) if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
});

describe('stopping the daemon', () => {
  it('SIGTERM to `npm run alice` stops emission, closes the port, leaves no process', async () => {
    const s = await start('npm', ['run', '--silent', 'alice', '--', ...DAEMON_ARGS]);
    const client = await emitting(s.port);
    s.child.kill('SIGTERM');
    await expectStopped(s, client, 'SIGTERM');
    await until(() => s.child.exitCode !== null || s.child.signalCode !== null, 'npm to exit');
  }, 60_000);

  it('when npm is killed outright, the daemon notices its parent is gone and stops', async () => {
    const s = await start('npm', ['run', '--silent', 'alice', '--', ...DAEMON_ARGS]);
    const client = await emitting(s.port);
    s.child.kill('SIGKILL');
    await expectStopped(s, client, 'parent process');
  }, 60_000);

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} to the node process (as the qosst-alice bin runs it) stops it`, async () => {
      const s = await start(process.execPath, ['--import', 'tsx', 'src/cli/alice.ts', ...DAEMON_ARGS]);
      const client = await emitting(s.port);
      s.child.kill(signal);
      await expectStopped(s, client, signal);
      await until(() => s.child.exitCode !== null, 'the process to exit');
      expect(s.child.exitCode).toBe(0);
    }, 60_000);
  }
});
