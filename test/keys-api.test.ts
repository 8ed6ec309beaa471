/**
 * The ETSI GS QKD 014 API over real HTTPS with client certificates on
 * loopback: Alice's KME (master SAE) and Bob's (slave SAE), each with its own
 * store filled with the same frames' keys, as the two sides' final-key hooks
 * would (the keys are made by the test).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KmeServer, type KmeRole } from '../src/keys/kme-server.ts';
import { KeyStore } from '../src/keys/store.ts';
import { createTestPki, kmeRequest, MASTER, SLAVE, type TestPki } from './support/kme.ts';

const FRAMES = 3;
const KEY_BYTES = 32 * 4; // 4 keys of 256 bits per frame
const MAX_PER_REQUEST = 20; // above the keys stored, so that asking for more than stored is not also asking for too many

let dir: string;
let pki: TestPki;
const logs: string[] = [];
const finalKeys: Buffer[] = [];
const sides = {} as Record<KmeRole, { store: KeyStore; server: KmeServer }>;

const alice = (client: TestPki['master'] | null, method: 'GET' | 'POST', path: string, body?: unknown, options?: Parameters<typeof kmeRequest>[6]) =>
  kmeRequest(sides.master.server.port, pki.ca.cert, client, method, path, body, options);
const bob = (client: TestPki['master'] | null, method: 'GET' | 'POST', path: string, body?: unknown, options?: Parameters<typeof kmeRequest>[6]) =>
  kmeRequest(sides.slave.server.port, pki.ca.cert, client, method, path, body, options);
const counts = () => [sides.master.store.count(), sides.slave.store.count()];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'qosst-kme-'));
  pki = await createTestPki();
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const log = pino({ level: 'trace' }, sink);
  for (const role of ['master', 'slave'] as const) {
    const store = new KeyStore({ path: join(dir, `${role}.sqlite`) });
    const server = await KmeServer.start({
      role,
      store,
      host: '127.0.0.1',
      port: 0,
      tls: role === 'master' ? { ...pki.alice, ca: pki.ca.cert } : { ...pki.bob, ca: pki.ca.cert },
      kmeId: role === 'master' ? 'KME-A' : 'KME-B',
      peerKmeId: role === 'master' ? 'KME-B' : 'KME-A',
      masterSaeId: MASTER,
      slaveSaeId: SLAVE,
      saes: pki.saes,
      maxKeysPerRequest: MAX_PER_REQUEST,
      log,
    });
    sides[role] = { store, server };
  }
  for (let i = 0; i < FRAMES; i++) {
    const frame = randomUUID();
    const key = randomBytes(KEY_BYTES);
    finalKeys.push(key);
    expect(sides.master.store.storeFrame(frame, key)).toMatchObject({ stored: true, keys: 4 });
    expect(sides.slave.store.storeFrame(frame, key)).toMatchObject({ stored: true, keys: 4 });
  }
});

afterAll(async () => {
  for (const side of Object.values(sides)) {
    await side.server.close();
    side.store.close();
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('ETSI GS QKD 014 key delivery', () => {
  it('status: the standard Status object, for the master at Alice and the slave at Bob', async () => {
    const status = await alice(pki.master, 'GET', `/api/v1/keys/${SLAVE}/status`);
    expect(status).toEqual({
      status: 200,
      body: {
        source_KME_ID: 'KME-A',
        target_KME_ID: 'KME-B',
        master_SAE_ID: MASTER,
        slave_SAE_ID: SLAVE,
        key_size: 256,
        stored_key_count: FRAMES * 4,
        max_key_count: 1_000_000,
        max_key_per_request: MAX_PER_REQUEST,
        max_key_size: 256,
        min_key_size: 256,
        max_SAE_ID_count: 0,
      },
    });
    const atBob = await bob(pki.slave, 'GET', `/api/v1/keys/${MASTER}/status`);
    expect(atBob.status).toBe(200);
    expect(atBob.body).toMatchObject({ source_KME_ID: 'KME-B', target_KME_ID: 'KME-A', stored_key_count: FRAMES * 4 });
  });

  it('enc_keys at Alice and dec_keys at Bob give the same bytes, once; status counts go down', async () => {
    const enc = await alice(pki.master, 'GET', `/api/v1/keys/${SLAVE}/enc_keys?number=3&size=256`);
    expect(enc.status).toBe(200);
    expect(enc.body.keys).toHaveLength(3);
    // Oldest first: the first frame's first three blocks.
    expect(enc.body.keys.map((k: { key: string }) => k.key)).toEqual([0, 1, 2].map((i) => finalKeys[0]!.subarray(i * 32, (i + 1) * 32).toString('base64')));
    const ids = enc.body.keys.map((k: { key_ID: string }) => ({ key_ID: k.key_ID }));
    const dec = await bob(pki.slave, 'POST', `/api/v1/keys/${MASTER}/dec_keys`, { key_IDs: ids });
    expect(dec).toEqual({ status: 200, body: { keys: enc.body.keys } });

    const again = await bob(pki.slave, 'POST', `/api/v1/keys/${MASTER}/dec_keys`, { key_IDs: ids });
    expect(again.status).toBe(400);
    expect(again.body.message).toMatch(/not in store/);
    expect(again.body.details).toEqual(ids.map((id: { key_ID: string }) => ({ key_ID: id.key_ID, message: 'not in store' })));

    expect((await alice(pki.master, 'GET', `/api/v1/keys/${SLAVE}/status`)).body.stored_key_count).toBe(FRAMES * 4 - 3);
    expect((await bob(pki.slave, 'GET', `/api/v1/keys/${MASTER}/status`)).body.stored_key_count).toBe(FRAMES * 4 - 3);
  });

  it('POST enc_keys with a Key request, GET dec_keys with one key_ID', async () => {
    const enc = await alice(pki.master, 'POST', `/api/v1/keys/${SLAVE}/enc_keys`, { number: 1, size: 256, extension_optional: [{ ignored: true }] });
    expect(enc.status).toBe(200);
    const [{ key_ID, key }] = enc.body.keys;
    expect(Buffer.from(key, 'base64')).toHaveLength(32);
    const dec = await bob(pki.slave, 'GET', `/api/v1/keys/${MASTER}/dec_keys?key_ID=${key_ID}`);
    expect(dec).toEqual({ status: 200, body: { keys: [{ key_ID, key }] } });
    expect((await bob(pki.slave, 'GET', `/api/v1/keys/${MASTER}/dec_keys?key_ID=${key_ID}`)).status).toBe(400);
  });

  const refusals: [string, number, () => Promise<{ status: number; body: any }>][] = [
    ['no client certificate', 401, () => alice(null, 'GET', `/api/v1/keys/${SLAVE}/enc_keys`)],
    ['no client certificate (status)', 401, () => alice(null, 'GET', `/api/v1/keys/${SLAVE}/status`)],
    ['a certificate of the CA in no SAE table', 401, () => alice(pki.stranger, 'GET', `/api/v1/keys/${SLAVE}/enc_keys`)],
    ["the master's name signed by another CA", 401, () => alice(pki.forged, 'GET', `/api/v1/keys/${SLAVE}/enc_keys`)],
    ['a slave SAE ID the master shares no keys with', 401, () => alice(pki.master, 'GET', '/api/v1/keys/SAE-X/enc_keys')],
    ["the slave SAE at the master's KME", 401, () => alice(pki.slave, 'GET', `/api/v1/keys/${MASTER}/enc_keys`)],
    ['a master SAE ID the slave shares no keys with', 401, () => bob(pki.slave, 'POST', '/api/v1/keys/SAE-X/dec_keys', { key_IDs: [{ key_ID: randomUUID() }] })],
    ['no certificate at Bob', 401, () => bob(null, 'POST', `/api/v1/keys/${MASTER}/dec_keys`, { key_IDs: [{ key_ID: randomUUID() }] })],
    ['dec_keys at the master KME', 400, () => alice(pki.master, 'POST', `/api/v1/keys/${SLAVE}/dec_keys`, { key_IDs: [{ key_ID: randomUUID() }] })],
    ['enc_keys at the slave KME', 400, () => bob(pki.slave, 'GET', `/api/v1/keys/${MASTER}/enc_keys`)],
    ['size not a multiple of 8', 400, () => alice(pki.master, 'GET', `/api/v1/keys/${SLAVE}/enc_keys?size=100`)],
    ['size above the maximum', 400, () => alice(pki.master, 'POST', `/api/v1/keys/${SLAVE}/enc_keys`, { size: 512 })],
    ['size below the minimum', 400, () => alice(pki.master, 'GET', `/api/v1/keys/${SLAVE}/enc_keys?size=128`)],
    ['number above what is stored', 503, () => alice(pki.master, 'GET', `/api/v1/keys/${SLAVE}/enc_keys?number=${FRAMES * 4 + 1}&size=256`)],
    ['number above max_key_per_request', 400, () => alice(pki.master, 'GET', `/api/v1/keys/${SLAVE}/enc_keys?number=${MAX_PER_REQUEST + 1}`)],
    ['number 0', 400, () => alice(pki.master, 'POST', `/api/v1/keys/${SLAVE}/enc_keys`, { number: 0 })],
    ['number not an integer', 400, () => alice(pki.master, 'GET', `/api/v1/keys/${SLAVE}/enc_keys?number=two`)],
    ['malformed JSON', 400, () => alice(pki.master, 'POST', `/api/v1/keys/${SLAVE}/enc_keys`, undefined, { rawBody: '{"number": 1,' })],
    ['malformed JSON at Bob', 400, () => bob(pki.slave, 'POST', `/api/v1/keys/${MASTER}/dec_keys`, undefined, { rawBody: '{"key_IDs": [' })],
    ['a body that is not JSON', 400, () => alice(pki.master, 'POST', `/api/v1/keys/${SLAVE}/enc_keys`, undefined, { rawBody: 'number=1', contentType: 'text/plain' })],
    ['Key IDs without key_IDs', 400, () => bob(pki.slave, 'POST', `/api/v1/keys/${MASTER}/dec_keys`, { keys: [] })],
    ['more key IDs than max_key_per_request', 400, () => bob(pki.slave, 'POST', `/api/v1/keys/${MASTER}/dec_keys`, { key_IDs: Array.from({ length: MAX_PER_REQUEST + 1 }, () => ({ key_ID: randomUUID() })) })],
    ['GET dec_keys without key_ID', 400, () => bob(pki.slave, 'GET', `/api/v1/keys/${MASTER}/dec_keys`)],
    ['additional slave SAEs', 400, () => alice(pki.master, 'POST', `/api/v1/keys/${SLAVE}/enc_keys`, { additional_slave_SAE_IDs: ['SAE-C'] })],
    ['a mandatory extension', 400, () => alice(pki.master, 'POST', `/api/v1/keys/${SLAVE}/enc_keys`, { extension_mandatory: [{ route: 'x' }] })],
  ];

  it.each(refusals)('refuses %s with %i and an Error object, delivering and losing nothing', async (_what, status, send) => {
    const before = counts();
    const reply = await send();
    expect(reply.status).toBe(status);
    expect(reply.body).toEqual(expect.objectContaining({ message: expect.any(String) }));
    expect(Object.keys(reply.body).every((k) => k === 'message' || k === 'details')).toBe(true);
    expect(reply.body).not.toHaveProperty('keys');
    expect(counts()).toEqual(before);
  });

  it('a request naming a key in store and an unknown one takes neither', async () => {
    const enc = await alice(pki.master, 'GET', `/api/v1/keys/${SLAVE}/enc_keys`);
    const known = enc.body.keys[0].key_ID;
    const unknown = randomUUID();
    const before = counts();
    const reply = await bob(pki.slave, 'POST', `/api/v1/keys/${MASTER}/dec_keys`, { key_IDs: [{ key_ID: known }, { key_ID: unknown }] });
    expect(reply.status).toBe(400);
    expect(reply.body.details).toEqual([{ key_ID: unknown, message: 'not in store' }]);
    expect(counts()).toEqual(before);
    expect((await bob(pki.slave, 'GET', `/api/v1/keys/${MASTER}/dec_keys?key_ID=${known}`)).body.keys[0].key).toBe(enc.body.keys[0].key);
  });

  it('a path outside the API is 404 with an Error object', async () => {
    const reply = await alice(pki.master, 'GET', '/api/v1/keys');
    expect(reply.status).toBe(404);
    expect(reply.body.message).toMatch(/no such resource/);
  });

  it('logs each request with the SAE and the key count, never a key', async () => {
    const text = logs.join('');
    expect(text).toMatch(/"sae":"SAE-A".*"keys":3.*KME request served/);
    expect(text).toMatch(/"status":401/);
    for (const key of finalKeys) {
      for (let i = 0; i < 4; i++) {
        const block = key.subarray(i * 32, (i + 1) * 32);
        expect(text).not.toContain(block.toString('base64'));
        expect(text).not.toContain(block.toString('hex'));
      }
    }
  });
});
