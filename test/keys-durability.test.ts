/**
 * Durability: the key-store writer killed with SIGKILL in the middle of a
 * frame's transaction leaves a consistent store without that frame's keys,
 * and a restarted KME serves the keys stored before.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, expect, it } from 'vitest';
import { keyId } from '../src/keys/key-id.ts';
import { KmeServer } from '../src/keys/kme-server.ts';
import { KeyStore } from '../src/keys/store.ts';
import { createTestPki, kmeRequest, MASTER, SLAVE } from './support/kme.ts';

const ROOT = join(import.meta.dirname, '..');
let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs the writer until it says it is inside frame B's transaction, then kills it with SIGKILL. */
function killMidFrame(args: string[]): Promise<{ output: string; signal: NodeJS.Signals | null }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/key-store-writer.ts', ...args], { cwd: ROOT });
  let output = '';
  let errors = '';
  child.stderr.on('data', (c: Buffer) => (errors += c));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the writer never reached the middle of frame B within 20 s; output: ${output}; errors: ${errors}`));
    }, 20_000);
    child.stdout.on('data', (c: Buffer) => {
      output += c;
      if (output.includes('mid-frame\n')) child.kill('SIGKILL');
    });
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      resolve({ output, signal });
    });
    child.on('error', reject);
  });
}

it('a writer killed with SIGKILL mid-frame leaves the store consistent, without that frame; a restart serves the earlier keys', async () => {
  dir = mkdtempSync(join(tmpdir(), 'qosst-durability-'));
  const path = join(dir, 'keys.sqlite');
  const frameA = randomUUID();
  const frameB = randomUUID();
  const keyA = randomBytes(32 * 5);
  const { output, signal } = await killMidFrame([path, frameA, keyA.toString('hex'), frameB, '40000', '20000']);
  expect(signal).toBe('SIGKILL');
  expect(output).toContain('stored {"stored":true,"keys":5,"discardedBits":0}');
  expect(output).not.toContain('frame B stored');

  const check = new Database(path);
  try {
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(check.prepare('SELECT count(*) AS n FROM keys WHERE frame_uuid = ?').get(frameB)).toEqual({ n: 0 });
    expect(check.prepare('SELECT count(*) AS n FROM frames WHERE frame_uuid = ?').get(frameB)).toEqual({ n: 0 });
  } finally {
    check.close();
  }

  const store = new KeyStore({ path });
  const pki = await createTestPki();
  const server = await KmeServer.start({
    role: 'master',
    store,
    host: '127.0.0.1',
    port: 0,
    tls: { ...pki.alice, ca: pki.ca.cert },
    kmeId: 'KME-A',
    peerKmeId: 'KME-B',
    masterSaeId: MASTER,
    slaveSaeId: SLAVE,
    saes: pki.saes,
    log: pino({ level: 'silent' }),
  });
  try {
    expect(store.hasFrame(frameA)).toBe(true);
    expect(store.hasFrame(frameB)).toBe(false);
    const status = await kmeRequest(server.port, pki.ca.cert, pki.master, 'GET', `/api/v1/keys/${SLAVE}/status`);
    expect(status.body.stored_key_count).toBe(5);
    const reply = await kmeRequest(server.port, pki.ca.cert, pki.master, 'POST', `/api/v1/keys/${SLAVE}/enc_keys`, { number: 5 });
    expect(reply.status).toBe(200);
    expect(reply.body.keys).toEqual([0, 1, 2, 3, 4].map((i) => ({ key_ID: keyId(frameA, i), key: keyA.subarray(i * 32, (i + 1) * 32).toString('base64') })));
    // Frame B can still be stored whole once its key is there.
    expect(store.storeFrame(frameB, randomBytes(64))).toMatchObject({ stored: true, keys: 2 });
  } finally {
    await server.close();
    store.close();
  }
});
