/**
 * The Alice of one distance of `qosst-bob sweep`: the `qosst-alice` daemon
 * with its simulated emitter and fibre, in a process of its own on free
 * loopback ports, told the fibre's length on its command line. Bob's side
 * never loads Alice's code (test/import-graph.test.ts): the daemon is the
 * one `qosst-alice` runs, reached over TCP as `qosst-bob run` reaches it.
 * It announces its ports over the IPC channel and stops when the channel
 * closes (its `stop_with_parent`).
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface SweepAliceOptions {
  distanceKm: number;
  lossDbPerKm: number;
  /** xi, SNU referred to the fibre's input. */
  excessNoise: number;
  /** Va per quadrature, SNU. */
  variance: number;
  symbols: number;
  /** The beta of Alice's key-rate check of PE_FINISHED. */
  beta: number;
  seed?: string;
  logLevel: string;
  logFormat: string;
  /** How long the daemon may take to start (tsx compiles the sources first). */
  startTimeoutMs?: number;
}

export interface SweepAlice {
  port: number;
  fibrePort: number;
  /** Closes the IPC channel and waits for the daemon to exit (killed if it does not within a few seconds). */
  close(): Promise<void>;
}

export class SweepAliceError extends Error {
  override name = 'SweepAliceError';
}

const HERE = fileURLToPath(import.meta.url);
/** Run from the TypeScript sources (tsx) or from the built package (dist/, plain node). */
const FROM_SOURCE = extname(HERE) === '.ts';
const ALICE_CLI = fileURLToPath(new URL(`../cli/alice${extname(HERE)}`, import.meta.url));
/** The checkout's root, where `--import tsx` resolves (only used from the sources). */
const SOURCE_ROOT = fileURLToPath(new URL('../..', import.meta.url));

const DEFAULT_START_TIMEOUT_MS = 60_000;
/** Alice's own stop deadline is 2 s. */
const EXIT_TIMEOUT_MS = 5_000;

export function aliceArguments(o: SweepAliceOptions): string[] {
  return [
    '--host', '127.0.0.1',
    '--port', '0',
    '--sim-fibre-port', '0',
    '--sim-distance-km', String(o.distanceKm),
    '--sim-loss-db-per-km', String(o.lossDbPerKm),
    '--sim-excess-noise', String(o.excessNoise),
    '--sim-variance', String(o.variance),
    '--sim-symbols', String(o.symbols),
    '--sim-beta', String(o.beta),
    '--log-level', o.logLevel,
    '--log-format', o.logFormat,
    ...(o.seed === undefined ? [] : ['--sim-seed', o.seed]),
  ];
}

export async function startSweepAlice(options: SweepAliceOptions): Promise<SweepAlice> {
  const child = fork(ALICE_CLI, aliceArguments(options), {
    execArgv: FROM_SOURCE ? ['--import', 'tsx'] : [],
    ...(FROM_SOURCE ? { cwd: SOURCE_ROOT } : {}),
    // Its logs join ours on standard error (standard output may carry --json); its own process group, so that a
    // Ctrl-C meant for the sweep lets the current frame finish instead of killing the daemon under it.
    stdio: ['ignore', 2, 2, 'ipc'],
    detached: true,
  });
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (child.connected) child.disconnect();
    const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };
  const timeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  try {
    const ports = await Promise.race([
      new Promise<{ port: number; fibrePort: number }>((resolve, reject) => {
        child.on('message', (m: { type?: string; port?: unknown; fibrePort?: unknown }) => {
          if (m?.type !== 'listening') return;
          if (typeof m.port === 'number' && typeof m.fibrePort === 'number') resolve({ port: m.port, fibrePort: m.fibrePort });
          else reject(new SweepAliceError(`the daemon announced no simulated fibre (${JSON.stringify(m)})`));
        });
      }),
      exited.then(([code, signal]) => {
        throw new SweepAliceError(`the Alice daemon exited before listening (${signal ?? `code ${code}`}; its message is above)`);
      }),
      once(child, 'error').then(([error]) => {
        throw new SweepAliceError(`cannot start the Alice daemon: ${(error as Error).message}`);
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new SweepAliceError(`the Alice daemon did not listen within ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ]);
    return { ...ports, close: stop };
  } catch (error) {
    await stop();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
