/**
 * End to end over real HTTPS with client certificates: Alice's daemon and
 * Bob's driver run frames on loopback, each side's final keys go through its
 * hook into its store, and an SAE pair gets the same keys from the two KMEs.
 * The simulated backends distil no final key, so the final keys here are
 * made by the test (the same bytes on both sides, from the frame UUID) and
 * handed to the production hooks through the backends' `finalKey`.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aliceConfigSchema } from '../src/alice/config.ts';
import { simulatedBackend, startAlice, type AliceDaemon } from '../src/alice/daemon.ts';
import type { AliceBackend, AliceSessionBackend } from '../src/alice/backend.ts';
import type { BobBackend } from '../src/bob/backend.ts';
import { runFrames } from '../src/bob/run.ts';
import { BobSession } from '../src/bob/session.ts';
import { keyFields } from '../src/keys/config.ts';
import { startKeyService, type KeyService } from '../src/keys/service.ts';
import { createSimulatedBob } from '../src/sim/bob-sim.ts';
import { z } from 'zod';
import { createTestPki, kmeRequest, MASTER, SLAVE, type TestPki } from './support/kme.ts';

const SYMBOLS = 2000;
const BLOCKS = 4;

/** The test's final key of a frame: 4 blocks of 256 bits and 5 bytes that fill no block. */
function testFinalKey(frameUuid: string): Uint8Array {
  const parts = Array.from({ length: BLOCKS + 1 }, (_, i) => createHash('sha256').update(`${frameUuid}/${i}`).digest());
  return Buffer.concat(parts).subarray(0, BLOCKS * 32 + 5);
}

/** Alice's simulated emitter, its sessions also handing out the test's final key. */
function aliceWithFinalKeys(backend: AliceBackend, asked: string[]): AliceBackend {
  return {
    openSession(info) {
      const session = backend.openSession(info);
      const finalKey = async (frameUuid: string) => {
        asked.push(frameUuid);
        return testFinalKey(frameUuid);
      };
      return new Proxy(session, {
        get: (target, p) => (p === 'finalKey' ? finalKey : (Reflect.get(target, p, target) as Function).bind(target)),
      }) as AliceSessionBackend;
    },
    close: () => backend.close(),
  };
}

function bobWithFinalKeys(backend: BobBackend, overrides: Partial<BobBackend> = {}): BobBackend {
  return Object.assign(Object.create(backend) as BobBackend, { finalKey: testFinalKey, ...overrides });
}

const keyConfig = z.object(keyFields);

let dir: string;
let pki: TestPki;
let daemon: AliceDaemon;
let bobKeys: KeyService;
let session: BobSession;
const logs: string[] = [];
const askedAlice: string[] = [];

const alice = (method: 'GET' | 'POST', path: string, body?: unknown) => kmeRequest(daemon.kmePort!, pki.ca.cert, pki.master, method, path, body);
const bob = (method: 'GET' | 'POST', path: string, body?: unknown) => kmeRequest(bobKeys.kmePort!, pki.ca.cert, pki.slave, method, path, body);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'qosst-keys-e2e-'));
  pki = await createTestPki();
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text, { mode: 0o600 });
    return join(dir, name);
  };
  const ca = file('ca.pem', pki.ca.cert);
  const kme = (side: 'alice' | 'bob', sae: { id: string; fingerprint: string }) => ({
    port: 0,
    cert: file(`kme-${side}.pem`, pki[side].cert),
    key: file(`kme-${side}-key.pem`, pki[side].key),
    ca,
    master_sae_id: MASTER,
    slave_sae_id: SLAVE,
    sae: [sae],
  });
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const log = pino({ level: 'trace' }, sink);
  const config = aliceConfigSchema.parse({
    port: 0,
    log_level: 'trace',
    sim: { symbols: SYMBOLS },
    key_store: join(dir, 'alice.sqlite'),
    kme: kme('alice', { id: MASTER, fingerprint: pki.master.fingerprint256 }),
  });
  daemon = await startAlice(config, log, { backend: aliceWithFinalKeys(simulatedBackend(config), askedAlice) });
  const bobConfig = keyConfig.parse({ key_store: join(dir, 'bob.sqlite'), kme: kme('bob', { id: SLAVE, fingerprint: pki.slave.fingerprint256 }) });
  bobKeys = (await startKeyService(bobConfig, 'slave', log))!;
  session = await BobSession.connect({ host: '127.0.0.1', port: daemon.port });
});

afterAll(async () => {
  await session?.disconnect().catch(() => undefined);
  await bobKeys?.close();
  await daemon?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('keys from both ends of a link', () => {
  it('a frame that fails EC verification leaves no key on either side', async () => {
    const failing = bobWithFinalKeys(createSimulatedBob({ symbols: SYMBOLS }), { keyHash: () => 12345n });
    const summary = await runFrames(session, failing, { frames: 1, onFinalKey: bobKeys.onFinalKey });
    expect(summary.frames.aborted).toBe(1);
    expect(summary.errors[0]!.message).toMatch(/EC_VERIFICATION_FAIL/);
    expect(askedAlice).toEqual([]);
    expect(bobKeys.store.count()).toBe(0);
    expect((await alice('GET', `/api/v1/keys/${SLAVE}/status`)).body.stored_key_count).toBe(0);
  });

  it('three frames: enc_keys at Alice and dec_keys at Bob give identical bytes, once; status counts go down', async () => {
    const summary = await runFrames(session, bobWithFinalKeys(createSimulatedBob({ symbols: SYMBOLS })), { frames: 3, onFinalKey: bobKeys.onFinalKey });
    expect(summary.frames).toEqual({ attempted: 3, completed: 3, denied: 0, aborted: 0 });
    expect(askedAlice).toHaveLength(3);
    expect((await alice('GET', `/api/v1/keys/${SLAVE}/status`)).body.stored_key_count).toBe(3 * BLOCKS);
    expect((await bob('GET', `/api/v1/keys/${MASTER}/status`)).body.stored_key_count).toBe(3 * BLOCKS);

    const enc = await alice('POST', `/api/v1/keys/${SLAVE}/enc_keys`, { number: 6, size: 256 });
    expect(enc.status).toBe(200);
    expect(enc.body.keys).toHaveLength(6);
    // The first frame's four blocks, then the second frame's first two.
    expect(enc.body.keys.slice(0, 4).map((k: { key: string }) => k.key)).toEqual(
      [0, 1, 2, 3].map((i) => Buffer.from(testFinalKey(askedAlice[0]!).subarray(i * 32, (i + 1) * 32)).toString('base64')),
    );
    const keyIds = enc.body.keys.map((k: { key_ID: string }) => ({ key_ID: k.key_ID }));
    const dec = await bob('POST', `/api/v1/keys/${MASTER}/dec_keys`, { key_IDs: keyIds });
    expect(dec.status).toBe(200);
    expect(dec.body.keys).toEqual(enc.body.keys);

    const again = await bob('POST', `/api/v1/keys/${MASTER}/dec_keys`, { key_IDs: keyIds.slice(0, 1) });
    expect(again.status).toBe(400);
    expect(again.body.message).toEqual(expect.any(String));
    expect((await alice('GET', `/api/v1/keys/${SLAVE}/status`)).body.stored_key_count).toBe(3 * BLOCKS - 6);
    expect((await bob('GET', `/api/v1/keys/${MASTER}/status`)).body.stored_key_count).toBe(3 * BLOCKS - 6);
  });

  it('never logs key material', () => {
    const text = logs.join('');
    expect(text).toMatch(/frame keys stored/);
    for (const frame of askedAlice) {
      const key = Buffer.from(testFinalKey(frame));
      for (let i = 0; i < BLOCKS; i++) {
        const block = key.subarray(i * 32, (i + 1) * 32);
        expect(text).not.toContain(block.toString('base64'));
        expect(text).not.toContain(block.toString('hex'));
      }
    }
  });
});
