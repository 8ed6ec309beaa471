/**
 * The daemon as a remote client sees it: the compiled daemon in its own
 * process with its default logging (info, JSON lines to a file), the minimal client of
 * `bench/client.ts` in another process, and as the baseline a raw TCP echo
 * server (`bench/echo-server.ts`) in its own process, driven by the same
 * client with the same frames. Each server reports its own
 * `process.cpuUsage()` in a status line on SIGUSR2, read before and after
 * each measurement.
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChildMessage, ClientResult, RunCommand } from './client.ts';

const ROOT = join(import.meta.dirname, '..');
const TSX = ['--import', 'tsx'];

/** The newest modification time of the TypeScript files under `dir`. */
function newestSource(dir: string): number {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .reduce((newest, f) => Math.max(newest, statSync(join(dir, f)).mtimeMs), 0);
}

/** The compiled daemon, as installed (`qosst-alice`): built first when dist/ is missing or older than the sources. */
export function daemonCommand(): { args: string[]; label: string } {
  const compiled = join(ROOT, 'dist', 'src', 'cli', 'alice.js');
  const built = existsSync(compiled) ? statSync(compiled).mtimeMs : 0;
  if (built < Math.max(newestSource(join(ROOT, 'src')), newestSource(join(ROOT, 'machines')))) {
    console.log('Building dist/ (npm run build): the sources changed since the last build.\n');
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'inherit' });
  }
  return { args: [compiled], label: 'compiled, dist/src/cli/alice.js' };
}

/** New JSON lines of a growing file. */
class LineReader {
  private offset = 0;
  private rest = '';
  constructor(private readonly file: string) {}

  read(): Record<string, unknown>[] {
    const fd = openSync(this.file, 'r');
    const chunk = Buffer.alloc(1 << 20);
    let text = '';
    for (let n; (n = readSync(fd, chunk, 0, chunk.length, this.offset)) > 0; this.offset += n) text += chunk.toString('utf8', 0, n);
    closeSync(fd);
    const lines = (this.rest + text).split('\n');
    this.rest = lines.pop()!;
    return lines.flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  }

  async next(match: (line: Record<string, unknown>) => boolean, what: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.read().find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no ${what} in ${this.file} after ${timeoutMs} ms`);
      await sleep(10);
    }
  }
}

interface ServerProcess {
  port: number;
  /** User + system CPU time of the server process since it started, in µs. */
  cpu(): Promise<number>;
  stop(): Promise<void>;
}

async function startServer(args: string[], dir: string, name: string): Promise<ServerProcess> {
  const file = join(dir, `${name}.log`);
  const out = openSync(file, 'w');
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', out, 'inherit'] });
  closeSync(out);
  const lines = new LineReader(file);
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`${name} exited with code ${code}`);
  });
  exited.catch(() => undefined);
  const listening = await Promise.race([lines.next((l) => String(l.msg).includes('listening'), 'listening line'), exited]);
  return {
    port: Number(listening.port),
    async cpu() {
      child.kill('SIGUSR2');
      const { cpu } = (await lines.next((l) => l.msg === 'status', 'status line')) as { cpu: { user: number; system: number } };
      return cpu.user + cpu.system;
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    },
  };
}

export interface Measured extends ClientResult {
  rate: number;
  /** Server CPU per round trip, µs. */
  cpuPerRequest: number;
}

class Client {
  private readonly child: ChildProcess;
  /** Rejects when the client exits: a reply it will never send fails the run instead of hanging it. */
  private readonly exited: Promise<never>;
  constructor() {
    this.child = fork(join(import.meta.dirname, 'client.ts'), [], { execArgv: TSX, cwd: ROOT });
    this.exited = once(this.child, 'exit').then(([code]) => {
      throw new Error(`bench client exited with code ${code}`);
    });
    this.exited.catch(() => undefined);
  }

  private async reply<K extends ChildMessage['kind']>(kind: K): Promise<Extract<ChildMessage, { kind: K }>> {
    const [message] = (await Promise.race([once(this.child, 'message'), this.exited])) as [ChildMessage];
    if (message.kind === 'error') throw new Error(`bench client: ${message.message}`);
    if (message.kind !== kind) throw new Error(`bench client answered ${message.kind}, expected ${kind}`);
    return message as Extract<ChildMessage, { kind: K }>;
  }

  async measure(server: ServerProcess, run: Omit<RunCommand, 'cmd' | 'port'>): Promise<Measured> {
    this.child.send({ cmd: 'run', port: server.port, ...run } satisfies RunCommand);
    await this.reply('ready');
    const before = await server.cpu();
    this.child.send({ cmd: 'go' });
    const { result } = await this.reply('result');
    const after = await server.cpu();
    if (result.unexpected > 0) throw new Error(`${result.unexpected} answers were not the expected ones`);
    return { ...result, rate: result.roundTrips / result.seconds, cpuPerRequest: (after - before) / result.roundTrips };
  }

  async close(): Promise<void> {
    this.child.send({ cmd: 'exit' });
    if (this.child.exitCode === null) await once(this.child, 'exit');
  }
}

export interface DeployedResults {
  daemon: string;
  single: { daemon: Measured; echo: Measured };
  concurrent: { daemon: Measured; echo: Measured };
  connections: number;
  rounds: number;
  /** Round trips per round: one client, and each of the concurrent clients. */
  perRound: { single: number; concurrent: number };
}

/** Each figure at its best over the rounds: on a shared machine the others' load only ever makes it worse. */
function best(rounds: Measured[]): Measured {
  return rounds.reduce((a, b) => ({
    ...a,
    rate: Math.max(a.rate, b.rate),
    cpuPerRequest: Math.min(a.cpuPerRequest, b.cpuPerRequest),
    p50: Math.min(a.p50, b.p50),
    p99: Math.min(a.p99, b.p99),
  }));
}

export async function benchDeployed(roundTrips: number, connections = 50, rounds = 3): Promise<DeployedResults> {
  const dir = mkdtempSync(join(tmpdir(), 'qosst-bench-'));
  const command = daemonCommand();
  const client = new Client();
  const servers: ServerProcess[] = [];
  try {
    // The default allows 8 connections from one address; the bench's clients all come from 127.0.0.1.
    const daemon = await startServer([...command.args, '--port', '0', '--max-connections-per-address', String(connections)], dir, 'alice');
    servers.push(daemon);
    const echo = await startServer([...TSX, join(import.meta.dirname, 'echo-server.ts')], dir, 'echo');
    servers.push(echo);
    const perRound = { single: Math.max(200, Math.round(roundTrips / rounds)), concurrent: Math.max(20, Math.round(roundTrips / rounds / connections)) };
    const single = { warmUp: 1000, count: perRound.single, connections: 1 };
    const many = { warmUp: 20, count: perRound.concurrent, connections };
    const results = { single: { daemon: [] as Measured[], echo: [] as Measured[] }, concurrent: { daemon: [] as Measured[], echo: [] as Measured[] } };
    // Rounds alternate between the two servers, so that a burst of load elsewhere falls on both.
    for (let round = 0; round < rounds; round++) {
      results.single.daemon.push(await client.measure(daemon, { ...single, expect: 'answer' }));
      results.single.echo.push(await client.measure(echo, { ...single, expect: 'echo' }));
      results.concurrent.daemon.push(await client.measure(daemon, { ...many, expect: 'answer' }));
      results.concurrent.echo.push(await client.measure(echo, { ...many, expect: 'echo' }));
    }
    return {
      daemon: command.label,
      connections,
      rounds,
      perRound,
      single: { daemon: best(results.single.daemon), echo: best(results.single.echo) },
      concurrent: { daemon: best(results.concurrent.daemon), echo: best(results.concurrent.echo) },
    };
  } finally {
    await client.close();
    for (const s of servers) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
