/**
 * The command lines, spawned as processes over real TCP: `qosst-bob run` and
 * `probe` against our daemon, option errors (exit 2), `npm start`, and the
 * daemon's own command line (SIGTERM, bad options, bad TOML).
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAliceConfig } from '../src/alice/config.ts';
import { ConfigError, loadBobConfig } from '../src/bob/config.ts';
import type { EstimationInput } from '../src/bob/backend.ts';
import { runFrame, SYMBOLS_PER_REQUEST } from '../src/bob/run-frame.ts';
import { runExitCode, runFrames, type FrameProgress } from '../src/bob/run.ts';
import { BobSession } from '../src/bob/session.ts';
import { startTcpFibreAlice, testAliceArgs, testReceiverArgs } from './support/alice.ts';
import { finished, start } from './support/cli.ts';
import { scriptedBob } from './support/scripted-bob.ts';
import { startWrongAlice, type OverrideFn } from './support/wrong-alice.ts';

const run = (script: string, args: string[]) => finished(start(script, args));
const bob = (...args: string[]) => run('src/cli/bob.ts', args);
/** `qosst-bob run` against the test daemon, its receiver on the daemon's fibre. */
const bobRun = (...args: string[]) => bob('run', ...args, '--port', String(alice.port), ...testReceiverArgs(alice));

/** Resolves with the first line of the child's standard output that matches each pattern, once all have come. */
function linesMatching(child: ChildProcessWithoutNullStreams, patterns: RegExp[], timeoutMs = 20_000): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`no lines matching ${patterns.join(', ')}; got: ${buffer}`)), timeoutMs);
    const onData = (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split('\n');
      const found = patterns.map((pattern) => lines.find((l) => pattern.test(l)));
      if (found.every((l) => l !== undefined)) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        resolve(found as string[]);
      }
    };
    child.stdout.on('data', onData);
  });
}

const lineMatching = async (child: ChildProcessWithoutNullStreams, pattern: RegExp) => (await linesMatching(child, [pattern]))[0]!;

/** A port nobody listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

let alice: Awaited<ReturnType<typeof startTcpFibreAlice>>;
let dir: string;
beforeAll(async () => {
  alice = await startTcpFibreAlice();
  dir = mkdtempSync(join(tmpdir(), 'qosst-bob-cli-'));
});
afterAll(async () => {
  await alice.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('runFrames (the loop of run and npm start)', () => {
  async function runAgainst(override: OverrideFn, frames: number, signal?: AbortSignal) {
    const wrong = await startWrongAlice(override);
    const session = await BobSession.connect({ port: wrong.port, answerTimeoutMs: 2000 });
    const progress: FrameProgress[] = [];
    try {
      const summary = await runFrames(session, scriptedBob(), { frames, onProgress: (p) => progress.push(p), signal });
      await session.disconnect();
      return { summary, progress, received: wrong.received };
    } finally {
      await wrong.close();
    }
  }

  it('a failed frame counts as aborted, Alice is told (ABORT), and the next frame runs', async () => {
    const { summary, progress, received } = await runAgainst(
      (request, _content, count) => (request === 'EC_VERIFICATION' && count === 1 ? { answer: 'EC_VERIFICATION_FAIL', content: { error_message: 'Keys are not equal.' } } : undefined),
      3,
    );
    expect(summary.counts).toEqual({ attempted: 3, completed: 2, denied: 0, aborted: 1 });
    expect(summary.errors).toEqual([{ frame: 1, phase: 'error-correction', error: 'FrameFailedError', message: expect.stringContaining('Keys are not equal.') }]);
    expect(summary.keyBits).toBeGreaterThan(0);
    expect(runExitCode(summary)).toBe(1);
    expect(received.filter((n) => n === 'ABORT')).toHaveLength(1);
    expect(received.at(-1)).toBe('DISCONNECTION');
    expect(progress.filter((p) => p.phase === 'aborted').map((p) => p.frame)).toEqual([1]);
    expect(progress.filter((p) => p.phase === 'completed').map((p) => p.frame)).toEqual([2, 3]);
  });

  it('refusals and Alice\'s ABORT count as aborted frames; PE_DENIED as denied', async () => {
    const { summary } = await runAgainst((request, _content, count) => {
      if (request === 'QIE_TRIGGER' && count === 1) return { answer: 'UNEXPECTED_COMMAND', content: { code: 142 } };
      if (request === 'PA_REQUEST' && count === 1) return { answer: 'ABORT', content: { abort_message: 'Physical tempering.' } };
      if (request === 'PE_FINISHED' && count === 3) return { answer: 'PE_DENIED', content: { deny_message: 'Excess noise too high.' } };
      return undefined;
    }, 4);
    expect(summary.counts).toEqual({ attempted: 4, completed: 1, denied: 1, aborted: 2 });
    expect(summary.errors.map((e) => [e.frame, e.error])).toEqual([
      [1, 'RefusedError'],
      [2, 'FrameAbortedError'],
    ]);
    expect(runExitCode(summary)).toBe(1);
  });

  it('symbols are asked for in requests of at most SYMBOLS_PER_REQUEST indices', async () => {
    const wrong = await startWrongAlice(() => undefined);
    const session = await BobSession.connect({ port: wrong.port, answerTimeoutMs: 10_000 });
    let revealed = 0;
    const backend = {
      ...scriptedBob(),
      estimationIndices: () => Array.from({ length: 2 * SYMBOLS_PER_REQUEST + 1 }, (_, i) => i % 1000),
      estimate: (input: EstimationInput) => {
        revealed = input.symbolsReal.length;
        return scriptedBob().estimate(input);
      },
    };
    try {
      expect((await runFrame(session, backend)).status).toBe('completed');
      await session.disconnect();
    } finally {
      await wrong.close();
    }
    expect(wrong.received.filter((n) => n === 'PE_SYMBOLS_REQUEST')).toHaveLength(3);
    expect(revealed).toBe(2 * SYMBOLS_PER_REQUEST + 1);
  });

  it('once the signal is aborted, no new frame starts', async () => {
    const controller = new AbortController();
    const { summary } = await runAgainst((request) => {
      if (request === 'FRAME_ENDED') controller.abort();
      return undefined;
    }, 0, controller.signal);
    expect(summary.counts).toEqual({ attempted: 1, completed: 1, denied: 0, aborted: 0 });
    expect(summary.interrupted).toBe(true);
    expect(runExitCode(summary)).toBe(0);
  });
});

describe('qosst-bob run', () => {
  it('--frames 2 --json prints only the JSON summary and exits 0', async () => {
    const r = await bobRun('--frames', '2', '--json');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const summary = JSON.parse(lines[0]!);
    expect(summary.counts).toEqual({ attempted: 2, completed: 2, denied: 0, aborted: 0 });
    expect(summary.frames).toHaveLength(2);
    for (const frame of summary.frames) {
      expect(frame).toMatchObject({ status: 'completed', frame_uuid: expect.stringMatching(/^[0-9a-f-]{36}$/) });
      // The test link: 0 km, no excess noise.
      expect(frame.measured.transmittance).toBeGreaterThan(0.9);
      expect(frame.measured.transmittance_interval[0]).toBeLessThanOrEqual(frame.measured.transmittance);
      expect(Math.abs(frame.measured.excess_noise)).toBeLessThan(0.2);
      expect(frame.measured.electronic_noise).toBeCloseTo(0.05, 2);
      expect(frame.measured.key_rate).toBeGreaterThan(0);
      expect(frame.measured.key_rate).toBe(frame.measured.sent.key_rate);
      expect(frame.measured.theoretical_key_rate).toBeGreaterThan(frame.measured.key_rate);
      // Reconciliation: the code's beta is its rate over the AWGN capacity at the SNR; the final key follows the formula.
      const r = frame.reconciliation;
      expect(r.code_id).toMatch(/^qosst-ldpc2-R\d+-N16384$/);
      expect(r.beta).toBeCloseTo(r.code_rate / (0.5 * Math.log2(1 + r.snr)), 10);
      expect(r.blocks).toBe(2);
      expect(r.block_error_rate).toBe(r.block_errors / r.blocks);
      expect(r.reconciled_bits).toBe((r.blocks - r.block_errors) * 16384);
      expect(r.final_key_bits).toBe(frame.key_bits);
      const allowed = Math.floor((r.reconciled_bits / 2) * r.allowed_key_rate - 63 - 2 * Math.log2(1e10));
      expect(r.final_key_bits).toBe(allowed - (allowed % 8));
      expect(r.key_rate_per_symbol).toBe(r.final_key_bits / 40_000);
      expect(r.theoretical_key_rate).toBeGreaterThan(r.key_rate_per_symbol);
    }
    expect(summary.keyBits).toBeGreaterThan(0);
    expect(summary.errors).toEqual([]);
  });

  it('shows progress per phase (not a terminal) and a summary table', async () => {
    const r = await bobRun();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/frame 1\/1 +quantum-information-exchange +\d+\.\d\d s/);
    expect(r.stdout).toMatch(/frame 1\/1 +completed .* key bits/);
    expect(r.stdout).toMatch(/T [01]\.\d{4} \[[01]\.\d{4}, [01]\.\d{4}\]( \(\d+\.\d km\))? +xi -?\d\.\d{4} .* Vel 0\.0\d{3} +key rate 0\.\d{4} b\/sym \(worst case\), \d\.\d{4} at the estimates, theory \d\.\d{4}/);
    expect(r.stdout).toMatch(/Summary\n +frames attempted +1\n +completed +1\n +denied +0\n +aborted +0\n +key bits +\d+\n +errors +0/);
  });

  it('--frames 0 runs until SIGINT, finishes the frame, disconnects and exits 0', async () => {
    const child = start('src/cli/bob.ts', ['run', '--frames', '0', '--port', String(alice.port), ...testReceiverArgs(alice)]);
    const done = finished(child);
    await lineMatching(child, /completed/);
    child.kill('SIGINT');
    const r = await done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('finishing the current frame');
    expect(r.stdout).toMatch(/interrupted +yes/);
    expect(r.stdout).toMatch(/aborted +0/);
  });

  it('exits 1 when Alice cannot be reached', async () => {
    const r = await bob('run', '--json', '--port', String(await closedPort()));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot connect to Alice');
  });
});

describe('qosst-bob probe', () => {
  it('--json: ok true, every step allowed, exit 0', async () => {
    const r = await bob('probe', '--json', '--port', String(alice.port));
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.ok).toBe(true);
    expect(result.steps.length).toBeGreaterThan(15);
    for (const s of result.steps) expect(Object.keys(s).sort()).toEqual(['allowed', 'answer', 'note', 'request']);
    expect(result.steps.every((s: { allowed: boolean }) => s.allowed)).toBe(true);
    expect(result.steps.at(-1)).toMatchObject({ request: 'DISCONNECTION', answer: 'DISCONNECTION_ACK' });
  });

  it('prints a table', async () => {
    const r = await bob('probe', '--port', String(alice.port));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^request +answer +allowed +note/);
    expect(r.stdout).toMatch(/PE_FINISHED +PE_APPROVED +yes/);
    expect(r.stdout).toContain('ok: every one of the');
  });
});

describe('qosst-bob options', () => {
  it('--help, and --help for each command', async () => {
    const general = await bob('--help');
    expect(general.code).toBe(0);
    expect(general.stdout).toContain('Commands');
    expect(general.stdout).toMatch(/run +run frames/);
    const runHelp = await bob('run', '--help');
    expect(runHelp.stdout).toContain('--frames N');
    const probeHelp = await bob('probe', '-h');
    expect(probeHelp.stdout).toContain('conformance check');
  });

  it.each([
    [['run', '--bogus'], /--bogus/],
    [['run', '--port', 'abc'], /--port: "abc" is not a number/],
    [['fly'], /unknown command "fly"/],
  ])('%j exits 2 with a message', async (args, message) => {
    const r = await bob(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it.each([
    [['run', '--frames=-1'], /frames: Too small/],
    [['run', '--port', '70000'], /port: Too big/],
    [[], /a command is required/],
    [['run', 'now'], /unexpected argument "now"/],
    [['probe', '--frames', '2'], /--frames is only valid for "run"/],
    [['run', '--auth', 'ed25519'], /secret_key: required with auth = "ed25519"/],
    [['run', '--header-order', 'sideways'], /header_order/],
    [['run', '--sim-efficiency', '1.5'], /sim.efficiency/],
    [['run', '--sim-efficiency', '1', '--sim-electronic-noise', '0.1'], /sim.electronic_noise: a lossless detector/],
    [['run', '--sim-epsilon-pe', '0'], /sim.epsilon_pe/],
    [['run', '--sim-fibre', 'nowhere'], /sim.fibre: must be HOST:PORT/],
    [['probe', '--sim-fibre', '127.0.0.1:8182'], /--sim-fibre is only valid for "run"/],
  ])('%j is refused with a message naming the option or key', (args, message) => {
    expect(() => loadBobConfig(args)).toThrow(ConfigError);
    expect(() => loadBobConfig(args)).toThrow(message);
  });

  it('defaults, and the command line over the defaults', () => {
    const loaded = loadBobConfig(['run', '--frames', '3', '--versions', 'QOSST/0.1', '--sim-seed', 's']);
    expect(loaded).toMatchObject({
      help: false,
      command: 'run',
      json: false,
      config: {
        host: '127.0.0.1',
        port: 8181,
        auth: 'none',
        serial_number: 'QOSST/0002',
        frames: 3,
        versions: ['QOSST/0.1'],
        sim: { seed: 's', symbols: 1_000_000, variance: 4, efficiency: 0.6, electronic_noise: 0.05, estimation_symbols: 500_000, epsilon_pe: 1e-10, beta: 0.95 },
      },
    });
  });

  it('reads a TOML config; the command line wins; an unknown key exits 2 naming it', async () => {
    const good = join(dir, 'bob.toml');
    writeFileSync(good, `port = 1\nframes = 1\n[sim]\nestimation_symbols = 5000\n`);
    const r = await bob('run', '--json', '--config', good, '--port', String(alice.port), ...testReceiverArgs(alice));
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).counts.completed).toBe(1);

    const bad = join(dir, 'bad-bob.toml');
    writeFileSync(bad, `port = 8181\n[sim]\nsymbolz = 3\n`);
    const b = await bob('run', '--config', bad);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('symbolz');
  });
});

describe('npm start', () => {
  it('runs the daemon and three frames, prints the summary, exits 0', async () => {
    // Half the default million symbols, at 0 km, keeps it quicker on a loaded machine; with frames that short the
    // worst-case excess noise can reach the default policy's 0.2, which is not under test here. (At 200 000 symbols the
    // worst case at the achieved beta leaves some frames no key.)
    // Three real frames: about 13 s each while the rest of the suite loads both cores.
    const r = await finished(start('src/main.ts', ['--sim-symbols', '500000', '--sim-distance-km', '0', '--sim-max-excess-noise', '0.5']), 110_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/frame 3\/3 +completed/);
    expect(r.stdout).toMatch(/frames attempted +3\n +completed +3/);
    expect(r.stdout).toMatch(/Link: 0 km at 0\.2 dB\/km, xi = 0\.01 SNU, Va = 4 SNU, 500000 symbols per frame.*theoretical key rate 0\.\d{4}/);
    expect(r.stdout).toMatch(/frame 3 completed: T [01]\.\d{4} .* theory 0\.\d{4}/);
    expect(r.stdout).toMatch(/the slave SAE the same key ID from Bob's: the keys match\./);
  }, 120_000);
});

describe('qosst-alice', () => {
  it('serves Bob, then stops on SIGTERM with exit code 0', async () => {
    const child = start('src/cli/alice.ts', ['--port', '0', '--log-format', 'json', ...testAliceArgs()]);
    const done = finished(child);
    const [line, fibre] = await linesMatching(child, [/Alice listening/, /simulated fibre served/]);
    const { port } = JSON.parse(line!) as { port: number };
    expect(port).toBeGreaterThan(0);
    const { port: fibrePort } = JSON.parse(fibre!) as { port: number };
    const r = await bob('run', '--json', '--port', String(port), ...testReceiverArgs({ fibrePort }));
    expect(r.code, r.stderr).toBe(0);
    child.kill('SIGTERM');
    expect((await done).code).toBe(0);
  });

  it('--port abc exits 2 naming --port', async () => {
    const r = await run('src/cli/alice.ts', ['--port', 'abc']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--port');
  });

  it('a TOML config with an unknown key exits 2 naming the key', async () => {
    const bad = join(dir, 'bad-alice.toml');
    writeFileSync(bad, `port = 0\nlisten_backlog = 5\n`);
    const r = await run('src/cli/alice.ts', ['--config', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('listen_backlog');
  });
});

describe('the simulated link options', () => {
  it('qosst-alice: the fibre and the policy, from the command line over the TOML file', () => {
    const file = join(dir, 'link.toml');
    writeFileSync(file, `[sim]\ndistance_km = 25\nexcess_noise = 0.02\nfibre_port = 9000\n`);
    const loaded = loadAliceConfig(['--config', file, '--sim-distance-km', '40', '--sim-loss-db-per-km', '0.16', '--sim-beta', '0.9']);
    expect(loaded).toMatchObject({
      help: false,
      config: { sim: { distance_km: 40, loss_db_per_km: 0.16, excess_noise: 0.02, fibre_port: 9000, beta: 0.9, variance: 4, symbols: 1_000_000 } },
    });
    expect(() => loadAliceConfig(['--sim-excess-noise=-0.1'])).toThrow(/sim.excess_noise/);
    expect(() => loadAliceConfig(['--sim-distance-km', 'far'])).toThrow(/--sim-distance-km: "far" is not a number/);
  });

  it('qosst-bob run: an unreachable fibre is a clear error, exit 1', async () => {
    const r = await bob('run', '--port', String(alice.port), '--sim-fibre', `127.0.0.1:${await closedPort()}`);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot connect to the fibre at 127\.0\.0\.1:\d+/);
  });
});
