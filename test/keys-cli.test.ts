/** The key options on both command lines, and the test-certificate tool. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { parse } from 'smol-toml';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, HELP, loadAliceConfig } from '../src/alice/config.ts';
import { loadBobConfig, RUN_HELP } from '../src/bob/config.ts';

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
