/**
 * End to end over real HTTPS with client certificates: Alice's daemon and
 * Bob's driver run frames on loopback, each side distils its final key
 * (reconciliation and privacy amplification through the protocol), the key
 * goes through its side's hook into its store, and an SAE pair gets the same
 * keys from the two KMEs. The test only records each side's final keys to
 * compare them and to look for them in the logs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
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
import { keyConfigSchema } from '../src/keys/config.ts';
import type { FinalKey } from '../src/keys/final-key.ts';
import { checkKeyDelivery, DEMO_MASTER_SAE as MASTER, DEMO_SLAVE_SAE as SLAVE, prepareDemoKeys, type DemoKeys } from '../src/keys/demo.ts';
import { startKeyService, type KeyService } from '../src/keys/service.ts';
import { memoryFibre, type FibreOutput } from '../src/sim/fibre-link.ts';
import { TEST_SIM, testReceiver } from './support/alice.ts';
import { kmeRequest } from './support/kme.ts';

const BLOCK_BYTES = 32;

/** Alice's simulated emitter, each final key it hands to the store also recorded. */
function aliceRecording(backend: AliceBackend, keys: Map<string, Uint8Array>): AliceBackend {
  return {
    openSession(info) {
      const session = backend.openSession(info);
      const finalKey = async (frameUuid: string) => {
        const key = await session.finalKey!(frameUuid);
        if (key) keys.set(frameUuid, key);
        return key;
      };
      return new Proxy(session, {
        get: (target, p) => (p === 'finalKey' ? finalKey : (Reflect.get(target, p, target) as Function).bind(target)),
      }) as AliceSessionBackend;
    },
    close: () => backend.close(),
  };
}

const blocksOf = (key: Uint8Array) => Math.floor(key.length / BLOCK_BYTES);
const block = (key: Uint8Array, i: number) => Buffer.from(key.subarray(i * BLOCK_BYTES, (i + 1) * BLOCK_BYTES));

let dir: string;
let demo: DemoKeys;
let daemon: AliceDaemon;
let fibre: FibreOutput;
let bobKeys: KeyService;
let session: BobSession;
let stored = 0;
const logs: string[] = [];
const aliceKeys = new Map<string, Uint8Array>();
const bobKeyList: FinalKey[] = [];
const recordBob = (frame: FinalKey) => {
  bobKeyList.push(frame);
  bobKeys.onFinalKey(frame);
};

const alice = (method: 'GET' | 'POST', path: string, body?: unknown) => kmeRequest(daemon.kmePort!, demo.ca.cert, demo.master, method, path, body);
const bob = (method: 'GET' | 'POST', path: string, body?: unknown) => kmeRequest(bobKeys.kmePort!, demo.ca.cert, demo.slave, method, path, body);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'qosst-keys-e2e-'));
  demo = await prepareDemoKeys(dir);
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
    sim: TEST_SIM,
    key_store: join(dir, 'alice.sqlite'),
    kme: demo.kme.alice,
  });
  const link = memoryFibre();
  fibre = link.output;
  daemon = await startAlice({ config, log, fibre: link.input, backend: aliceRecording(simulatedBackend(config, link.input), aliceKeys) });
  const bobConfig = keyConfigSchema.parse({ key_store: join(dir, 'bob.sqlite'), kme: demo.kme.bob });
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
  it("npm start's check finds no key to deliver while none is stored", async () => {
    expect(await checkKeyDelivery(demo, { alice: daemon.kmePort!, bob: bobKeys.kmePort! })).toEqual({ delivered: false, stored: 0 });
  });

  it('a frame that fails EC verification leaves no key on either side', async () => {
    const receiver = testReceiver({ fibre });
    const failing = Object.assign(Object.create(receiver) as BobBackend, { keyHash: () => 12345n });
    const summary = await runFrames(session, failing, { frames: 1, onFinalKey: recordBob });
    expect(summary.counts.aborted).toBe(1);
    expect(summary.errors[0]!.message).toMatch(/EC_VERIFICATION_FAIL/);
    expect(aliceKeys.size).toBe(0);
    expect(bobKeyList).toEqual([]);
    expect(bobKeys.store.count()).toBe(0);
    expect((await alice('GET', `/api/v1/keys/${SLAVE}/status`)).body.stored_key_count).toBe(0);
  });

  it('three frames: enc_keys at Alice and dec_keys at Bob give identical bytes, once; status counts go down', async () => {
    // Seeded so that the first frame loses no block (its key then holds at least six 256-bit blocks).
    const summary = await runFrames(session, testReceiver({ fibre }, { seed: 'keys-e2e' }), { frames: 3, onFinalKey: recordBob });
    expect(summary.counts).toEqual({ attempted: 3, completed: 3, denied: 0, aborted: 0 });
    // The same distilled key at both ends of each frame.
    expect(aliceKeys.size).toBe(3);
    expect(bobKeyList).toHaveLength(3);
    for (const { frameUuid, key } of bobKeyList) expect(Buffer.from(key).equals(Buffer.from(aliceKeys.get(frameUuid)!))).toBe(true);
    const keys = bobKeyList.map((frame) => frame.key);
    stored = keys.reduce((sum, key) => sum + blocksOf(key), 0);
    expect(blocksOf(keys[0]!)).toBeGreaterThanOrEqual(6);
    expect((await alice('GET', `/api/v1/keys/${SLAVE}/status`)).body.stored_key_count).toBe(stored);
    expect((await bob('GET', `/api/v1/keys/${MASTER}/status`)).body.stored_key_count).toBe(stored);

    const enc = await alice('POST', `/api/v1/keys/${SLAVE}/enc_keys`, { number: 6, size: 256 });
    expect(enc.status).toBe(200);
    expect(enc.body.keys).toHaveLength(6);
    // The first frame's first six blocks.
    expect(enc.body.keys.map((k: { key: string }) => k.key)).toEqual([0, 1, 2, 3, 4, 5].map((i) => block(keys[0]!, i).toString('base64')));
    const keyIds = enc.body.keys.map((k: { key_ID: string }) => ({ key_ID: k.key_ID }));
    const dec = await bob('POST', `/api/v1/keys/${MASTER}/dec_keys`, { key_IDs: keyIds });
    expect(dec.status).toBe(200);
    expect(dec.body.keys).toEqual(enc.body.keys);

    const again = await bob('POST', `/api/v1/keys/${MASTER}/dec_keys`, { key_IDs: keyIds.slice(0, 1) });
    expect(again.status).toBe(400);
    expect(again.body.message).toEqual(expect.any(String));
    expect((await alice('GET', `/api/v1/keys/${SLAVE}/status`)).body.stored_key_count).toBe(stored - 6);
    expect((await bob('GET', `/api/v1/keys/${MASTER}/status`)).body.stored_key_count).toBe(stored - 6);
  });

  it("npm start's check: the master's key at Alice and the slave's at Bob match", async () => {
    const check = await checkKeyDelivery(demo, { alice: daemon.kmePort!, bob: bobKeys.kmePort! });
    expect(check).toEqual({ delivered: true, keyId: expect.any(String), bits: 256, match: true });
    expect(bobKeys.store.count()).toBe(stored - 7);
  });

  it('never logs key material', () => {
    const text = logs.join('');
    expect(text).toMatch(/frame keys stored/);
    expect(bobKeyList).toHaveLength(3);
    for (const { key } of bobKeyList) {
      for (let i = 0; i < blocksOf(key); i++) {
        expect(text).not.toContain(block(key, i).toString('base64'));
        expect(text).not.toContain(block(key, i).toString('hex'));
      }
    }
  });
});
