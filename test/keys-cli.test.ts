/** The key options on both command lines, and the test-certificate tool. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { parse } from 'smol-toml';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, HELP, loadAliceConfig } from '../src/alice/config.ts';
import { loadBobConfig, RUN_HELP } from '../src/bob/config.ts';
import { stringify } from 'smol-toml';
import { DEMO_MASTER_SAE, DEMO_SLAVE_SAE, prepareDemoKeys } from '../src/keys/demo.ts';
import { startTcpFibreAlice, testReceiverArgs } from './support/alice.ts';
import { kmeRequest } from './support/kme.ts';

const ROOT = join(import.meta.dirname, '..');
let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('key options', () => {
  it('are read from the command line on both sides', () => {
    const alice = loadAliceConfig(['--key-store', 'a.sqlite', '--key-block-bits', '128']);
    expect(alice.help === false && alice.config).toMatchObject({ key_store: 'a.sqlite', key_block_bits: 128 });
    const bob = loadBobConfig(['run', '--key-store', 'b.sqlite']);
    expect(bob.help === false && bob.config).toMatchObject({ key_store: 'b.sqlite', key_block_bits: 256 });
  });

  it('refuse a block size that is not a multiple of 8, and --kme-port without the [kme] table, naming the key', () => {
    expect(() => loadAliceConfig(['--key-block-bits', '100'])).toThrow(/key_block_bits: a multiple of 8/);
    expect(() => loadAliceConfig(['--key-block-bits', '32'])).toThrow(/key_block_bits/);
    expect(() => loadAliceConfig(['--kme-port', '8443'])).toThrow(/kme\.cert/);
    expect(() => loadBobConfig(['probe', '--kme-port', '8443'])).toThrow(ConfigError);
  });

  it('read the [kme] table, an SAE named by fingerprint or subject', () => {
    dir = mkdtempSync(join(tmpdir(), 'qosst-kme-config-'));
    const file = join(dir, 'alice.toml');
    writeFileSync(
      file,
      `[kme]\ncert = "k.pem"\nkey = "k-key.pem"\nca = "ca.pem"\nmaster_sae_id = "SAE-A"\nslave_sae_id = "SAE-B"\n` +
        `[[kme.sae]]\nid = "SAE-A"\nsubject = "CN=SAE-A"\n[[kme.sae]]\nid = "SAE-A"\nfingerprint = "${'AB:'.repeat(31)}AB"\n`,
    );
    const loaded = loadAliceConfig(['--config', file, '--kme-port', '0']);
    expect(loaded.help === false && loaded.config.kme).toMatchObject({ port: 0, host: '127.0.0.1', max_keys_per_request: 128, sae: [{ id: 'SAE-A' }, { id: 'SAE-A' }] });
    writeFileSync(file, `[kme]\ncert = "k.pem"\nkey = "k.pem"\nca = "ca.pem"\nmaster_sae_id = "A"\nslave_sae_id = "B"\n[[kme.sae]]\nid = "A"\n`);
    expect(() => loadAliceConfig(['--config', file])).toThrow(/kme\.sae\.0: give the certificate's fingerprint or subject/);
  });

  it('are in both helps', () => {
    for (const help of [HELP, RUN_HELP]) for (const option of ['--key-store', '--key-block-bits', '--kme-port']) expect(help).toContain(option);
  });
});

describe('npm run kme-certs', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/kme-certs.ts', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });

  it('writes a CA, KME and SAE certificates (keys 0600) and a config file per side that the daemons accept', () => {
    dir = mkdtempSync(join(tmpdir(), 'qosst-kme-certs-'));
    const result = run('--out', dir, '--days', '2');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/test material/i);
    const ca = new X509Certificate(readFileSync(join(dir, 'ca.pem')));
    for (const name of ['kme-alice', 'kme-bob', 'sae-SAE-A', 'sae-SAE-B']) {
      const cert = new X509Certificate(readFileSync(join(dir, `${name}.pem`)));
      expect(cert.verify(ca.publicKey)).toBe(true);
      expect(statSync(join(dir, `${name}-key.pem`)).mode & 0o777).toBe(0o600);
    }
    expect(new X509Certificate(readFileSync(join(dir, 'kme-alice.pem'))).checkIP('127.0.0.1')).toBe('127.0.0.1');
    const master = new X509Certificate(readFileSync(join(dir, 'sae-SAE-A.pem')));
    const aliceToml = parse(readFileSync(join(dir, 'alice-kme.toml'), 'utf8')) as { kme: { sae: { id: string; fingerprint: string }[] } };
    expect(aliceToml.kme.sae).toEqual([{ id: 'SAE-A', fingerprint: master.fingerprint256 }]);
    const alice = loadAliceConfig(['--config', join(dir, 'alice-kme.toml')]);
    expect(alice.help === false && alice.config.kme).toMatchObject({ port: 8443, master_sae_id: 'SAE-A', slave_sae_id: 'SAE-B' });
    const bob = loadBobConfig(['run', '--config', join(dir, 'bob-kme.toml')]);
    expect(bob.help === false && bob.config.kme).toMatchObject({ port: 8444, sae: [{ id: 'SAE-B' }] });

    const again = run('--out', dir);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/not overwriting/);
  });

  it('refuses a bad option with exit code 2', () => {
    expect(run('--days', '0', '--out', '/nonexistent').status).toBe(2);
    expect(run().status).toBe(2);
  });
});

/** Runs a command line until `pattern` shows on standard error or output; returns the match, then the caller signals it. */
function startUntil(script: string, args: string[], pattern: RegExp) {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, env: { ...process.env, FORCE_COLOR: '0' } });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const matched = new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no output matching ${pattern} within 30 s: ${output}`));
    }, 30_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      const m = output.match(pattern);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('close', () => {
      clearTimeout(timer);
      reject(new Error(`exited before ${pattern}: ${output}`));
    });
  });
  return { child, matched, exited, output: () => output };
}

describe('--kme-port on the command lines', () => {
  it('qosst-alice and qosst-bob run serve the API with their store (0600) while they run', async () => {
    dir = mkdtempSync(join(tmpdir(), 'qosst-kme-cli-'));
    const demo = await prepareDemoKeys(dir);
    const config = (side: 'alice' | 'bob') => {
      const file = join(dir!, `${side}.toml`);
      const { port: _port, ...table } = demo.kme[side];
      writeFileSync(file, stringify({ key_store: join(dir!, `${side}.sqlite`), kme: table }));
      return file;
    };
    const alice = startUntil('src/cli/alice.ts', ['--config', config('alice'), '--kme-port', '0', '--port', '0', '--log-format', 'json'], /"port":(\d+),"role":"master"/);
    const testAlice = await startTcpFibreAlice();
    const bob = startUntil('src/cli/bob.ts', ['run', '--frames', '0', '--port', String(testAlice.port), ...testReceiverArgs(testAlice), '--config', config('bob'), '--kme-port', '0'], /key delivery API \(ETSI GS QKD 014\) on https:\/\/127\.0\.0\.1:(\d+)/);
    try {
      const alicePort = Number((await alice.matched)[1]);
      const bobPort = Number((await bob.matched)[1]);
      const atAlice = await kmeRequest(alicePort, demo.ca.cert, demo.master, 'GET', `/api/v1/keys/${DEMO_SLAVE_SAE}/status`);
      expect(atAlice).toMatchObject({ status: 200, body: { source_KME_ID: 'KME-Alice', stored_key_count: 0 } });
      const atBob = await kmeRequest(bobPort, demo.ca.cert, demo.slave, 'GET', `/api/v1/keys/${DEMO_MASTER_SAE}/status`);
      expect(atBob).toMatchObject({ status: 200, body: { source_KME_ID: 'KME-Bob', stored_key_count: 0 } });
      expect((await kmeRequest(bobPort, demo.ca.cert, null, 'GET', `/api/v1/keys/${DEMO_MASTER_SAE}/status`)).status).toBe(401);
      for (const side of ['alice', 'bob']) expect(statSync(join(dir, `${side}.sqlite`)).mode & 0o777).toBe(0o600);
    } finally {
      alice.child.kill('SIGTERM');
      // Bob finishes the frame in progress, then disconnects: Alice stays until he has.
      bob.child.kill('SIGINT');
      await bob.exited;
      await testAlice.close();
    }
    expect(await alice.exited).toBe(0);
    expect(await bob.exited, bob.output()).toBe(0);
  });
});
