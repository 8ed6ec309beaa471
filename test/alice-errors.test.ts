/**
 * Alice's answers to what goes wrong, over loopback TCP against our daemon:
 * unknown codes, authentication failures and the man-in-the-middle policy,
 * INVALID_RESPONSE, ABORT both ways, versions, denied estimations, broken
 * streams, and the prose header order.
 */
import { mkdtempSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AliceBackend, AliceSessionBackend } from '../src/alice/backend.ts';
import type { Authenticator } from '../src/protocol/auth/authenticator.ts';
import { generateKeyPair, loadAuthenticator } from '../src/protocol/auth/index.ts';
import { noneAuthenticator } from '../src/protocol/auth/none.ts';
import { Channel, type Inbound } from '../src/protocol/channel.ts';
import { CODES, type MessageName } from '../src/protocol/codes.ts';
import { FrameDecoder } from '../src/protocol/frame.ts';
import { pyStringify } from '../src/protocol/json.ts';
import { createSimulatedAlice, type SimulatedAlice } from '../src/sim/alice-sim.ts';
import { keyHash } from '../src/sim/key-bits.ts';
import { FRAME_UUID, OTHER_UUID, startTestAlice, type TestAlice } from './support/alice.ts';
import { RawClient, type Reply } from './support/raw-client.ts';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls a condition every 10 ms. */
async function until(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await sleep(10);
  }
}

/** Every client a test opens, closed after it. */
const clients: RawClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

async function connect(alice: TestAlice, auth?: Authenticator): Promise<RawClient> {
  const client = await RawClient.connect(alice.port, auth);
  clients.push(client);
  return client;
}

async function identified(alice: TestAlice, auth?: Authenticator): Promise<RawClient> {
  const client = await connect(alice, auth);
  expect((await client.identify()).name).toBe('IDENTIFICATION_RESPONSE');
  return client;
}

const names = (replies: Reply[]) => replies.map((r) => r.name);

/** Sends the requests in order and returns the names of the answers. */
async function run(client: RawClient, ...requests: [MessageName, object?][]): Promise<string[]> {
  const replies: Reply[] = [];
  for (const [name, content] of requests) replies.push(await client.request(name, content ?? null));
  return names(replies);
}

/** A short frame: initialization, QIE, then a key rate of 0 ends it with PE_DENIED. */
async function shortFrame(client: RawClient, uuid: string): Promise<void> {
  expect(
    await run(
      client,
      ['INITIALIZATION_REQUEST', { frame_uuid: uuid }],
      ['QIE_REQUEST', { frame_uuid: uuid }],
      ['QIE_TRIGGER'],
      ['QIE_ACQUISITION_ENDED'],
      ['PE_FINISHED', { transmittance: 0.5, excess_noise: 0.1, key_rate: 0 }],
    ),
  ).toEqual(['INITIALIZATION_ACCEPTED', 'QIE_READY', 'QIE_EMISSION_STARTED', 'QIE_ENDED', 'PE_DENIED']);
}

/** The next request carries a challenge Alice never issued. */
function breakChallenge(client: RawClient): void {
  client.channel.chain.peer = 'WRONGCHALLENGE1';
}

describe('errors on a shared daemon', () => {
  let alice: TestAlice;
  beforeAll(async () => {
    alice = await startTestAlice();
  });
  afterAll(() => alice.close());

  describe('unknown codes', () => {
    for (const code of [1000, 0, 99, 18, 65535]) {
      it(`code ${code}: UNKOWN_COMMAND {code}, and the chain goes on`, async () => {
        const client = await identified(alice);
        expect(await client.requestCode(code)).toMatchObject({ name: 'UNKOWN_COMMAND', content: { code } });
        expect(await client.requestCode(code, { some: 'content' })).toMatchObject({ name: 'UNKOWN_COMMAND', content: { code } });
        expect(await run(client, ['INITIALIZATION_REQUEST', { frame_uuid: FRAME_UUID }])).toEqual(['INITIALIZATION_ACCEPTED']);
      });
    }

    it('during a frame, the state is unchanged', async () => {
      const client = await identified(alice);
      expect(await run(client, ['INITIALIZATION_REQUEST', { frame_uuid: FRAME_UUID }], ['QIE_REQUEST'])).toEqual([
        'INITIALIZATION_ACCEPTED',
        'QIE_READY',
      ]);
      expect((await client.requestCode(1000)).name).toBe('UNKOWN_COMMAND');
      expect(await run(client, ['QIE_TRIGGER'], ['QIE_ACQUISITION_ENDED'])).toEqual(['QIE_EMISSION_STARTED', 'QIE_ENDED']);
    });
  });

  describe('a wrong challenge', () => {
    it('AUTHENTICATION_INVALID, then not identified, then identification resumes the frame', async () => {
      const client = await identified(alice);
      expect(await run(client, ['INITIALIZATION_REQUEST', { frame_uuid: FRAME_UUID }])).toEqual(['INITIALIZATION_ACCEPTED']);
      breakChallenge(client);
      expect(await client.request('QIE_REQUEST')).toMatchObject({ name: 'AUTHENTICATION_INVALID', content: null });
      // The request that failed was not carried out.
      expect(alice.server.emitterOwner).toBeNull();
      expect(await client.request('QIE_REQUEST')).toMatchObject({
        name: 'UNEXPECTED_COMMAND',
        content: { code: CODES.QIE_REQUEST.code, error_message: expect.stringContaining('not identified') },
      });
      expect((await client.identify()).name).toBe('IDENTIFICATION_RESPONSE');
      expect(await run(client, ['QIE_REQUEST'], ['QIE_TRIGGER'], ['QIE_ACQUISITION_ENDED'])).toEqual([
        'QIE_READY',
        'QIE_EMISSION_STARTED',
        'QIE_ENDED',
      ]);
    });

    it('a tampered frame (content changed after signing) is an authentication failure', async () => {
      const client = await identified(alice);
      const frame = client.channel.seal(CODES.INITIALIZATION_REQUEST.code, { frame_uuid: FRAME_UUID });
      // The last byte of the content, '}', becomes ' ': still the same length, no longer the signed bytes.
      frame[frame.length - 1] = 0x20;
      client.socket.write(frame);
      expect((await client.reply()).name).toBe('AUTHENTICATION_INVALID');
      expect((await client.request('INITIALIZATION_REQUEST', { frame_uuid: FRAME_UUID })).name).toBe('UNEXPECTED_COMMAND');
      expect((await client.identify()).name).toBe('IDENTIFICATION_RESPONSE');
      expect((await client.request('INITIALIZATION_REQUEST', { frame_uuid: FRAME_UUID })).name).toBe('INITIALIZATION_ACCEPTED');
    });
  });

  describe('INVALID_RESPONSE', () => {
    it('from a client that is not identified: UNEXPECTED_COMMAND', async () => {
      const client = await connect(alice);
      expect((await client.request('INVALID_RESPONSE', { error_message: 'x' })).name).toBe('UNEXPECTED_COMMAND');
    });

    it('INVALID_RESPONSE_ACK in every identified state, the state unchanged', async () => {
      const client = await identified(alice);
      let withContent = false;
      /** INVALID_RESPONSE (with and without content in turn), then the request the state expects. */
      const step = async (name: MessageName, content: object | null, answer: string) => {
        withContent = !withContent;
        const ack = await client.request('INVALID_RESPONSE', withContent ? { error_message: `Code ${answer} made no sense.` } : null);
        expect(ack, `INVALID_RESPONSE before ${name}`).toMatchObject({ name: 'INVALID_RESPONSE_ACK', content: null });
        expect((await client.request(name, content)).name, name).toBe(answer);
      };
      // Initialization: proposal, then config, then accepted.
      await step('INITIALIZATION_REQUEST', { frame_uuid: FRAME_UUID, roll_off: 0.3 }, 'INITIALIZATION_PROPOSAL');
      await step('INITIALIZATION_REQUEST_CONFIG', null, 'INITIALIZATION_CONFIG');
      await step('INITIALIZATION_REQUEST', { frame_uuid: FRAME_UUID }, 'INITIALIZATION_ACCEPTED');
      // Polarisation recovery between initialization and QIE.
      await step('REQUEST_POLARISATION_RECOVERY', null, 'POLARISATION_RECOVERY_ACK');
      await step('END_POLARISATION_RECOVERY', null, 'POLARISATION_RECOVERY_ENDED');
      await step('QIE_REQUEST', { frame_uuid: FRAME_UUID }, 'QIE_READY');
      await step('QIE_TRIGGER', null, 'QIE_EMISSION_STARTED');
      expect(alice.sim.emitter.emitting).toBe(true);
      await step('QIE_ACQUISITION_ENDED', null, 'QIE_ENDED');
      await step('PE_SYMBOLS_REQUEST', { indices: [0, 2] }, 'PE_SYMBOLS_RESPONSE');
      await step('PE_NPHOTON_REQUEST', null, 'PE_NPHOTON_RESPONSE');
      await step('PE_FINISHED', { transmittance: 0.5, excess_noise: 0.1, key_rate: 200 }, 'PE_APPROVED');
      await step('EC_INITIALIZATION', { matrix: [[1, 1], [1, 1]], noise: 0.1 }, 'EC_READY');
      await step('EC_BLOCK', { syndrome: [1.87, 5.67] }, 'EC_BLOCK_ACK');
      await step('EC_REMAINING', { some_parameter: 1 }, 'EC_REMAINING_ACK');
      // The example's syndrome carries no key bits: the reconciled key is empty.
      await step('EC_VERIFICATION', { hash: keyHash(new Uint8Array()) }, 'EC_VERIFICATION_SUCCESS');
      const pa = { seed: [1, 0, 1, 1, 0], secret_key_length: 200, subblock_length: 5, feedback_polynomial: [1, 1, 1, 0, 0] };
      await step('PA_REQUEST', pa, 'PA_SUCCESS');
      await step('FRAME_ENDED', { frame_uuid: FRAME_UUID }, 'FRAME_ENDED_ACK');
      await step('CHANGE_PARAMETER_REQUEST', { parameter: 'qi.frame.nope', value: 1 }, 'PARAMETER_UNKOWN');
      await step('DISCONNECTION', null, 'DISCONNECTION_ACK');
      expect(await client.closed()).toBe(true);
    });
  });

  describe('ABORT from Bob', () => {
    it('during emission: ABORT_ACK, emission stopped, emitter free, the session kept', async () => {
      const client = await identified(alice);
      expect(await run(client, ['INITIALIZATION_REQUEST', { frame_uuid: FRAME_UUID }], ['QIE_REQUEST'], ['QIE_TRIGGER'])).toEqual([
        'INITIALIZATION_ACCEPTED',
        'QIE_READY',
        'QIE_EMISSION_STARTED',
      ]);
      expect(alice.sim.emitter.emitting).toBe(true);
      expect(alice.server.emitterOwner).not.toBeNull();
      expect(await client.request('ABORT', { abort_message: 'Physical tampering.' })).toMatchObject({ name: 'ABORT_ACK', content: null });
      expect(alice.sim.emitter.emitting).toBe(false);
      expect(alice.server.emitterOwner).toBeNull();
      // The frame is gone, the identification is not.
      expect((await client.request('QIE_ACQUISITION_ENDED')).name).toBe('UNEXPECTED_COMMAND');
      await shortFrame(client, OTHER_UUID);
    });

    it('with no content, between frames', async () => {
      const client = await identified(alice);
      expect((await client.request('ABORT')).name).toBe('ABORT_ACK');
      await shortFrame(client, FRAME_UUID);
    });
  });

  it('a new INITIALIZATION_REQUEST during emission starts a new frame, emission stopped', async () => {
    const client = await identified(alice);
    expect(await run(client, ['INITIALIZATION_REQUEST', { frame_uuid: FRAME_UUID }], ['QIE_REQUEST'], ['QIE_TRIGGER'])).toEqual([
      'INITIALIZATION_ACCEPTED',
      'QIE_READY',
      'QIE_EMISSION_STARTED',
    ]);
    expect(alice.sim.emitter.emitting).toBe(true);
    expect((await client.request('INITIALIZATION_REQUEST', { frame_uuid: OTHER_UUID })).name).toBe('INITIALIZATION_ACCEPTED');
    expect(alice.sim.emitter.emitting).toBe(false);
    expect(alice.server.emitterOwner).toBeNull();
    // The new frame is the current one: the old UUID is refused, the new one prepared.
    expect((await client.request('QIE_REQUEST', { frame_uuid: FRAME_UUID })).name).toBe('INVALID_CONTENT');
    expect(await run(client, ['QIE_REQUEST', { frame_uuid: OTHER_UUID }], ['QIE_TRIGGER'], ['QIE_ACQUISITION_ENDED'])).toEqual([
      'QIE_READY',
      'QIE_EMISSION_STARTED',
      'QIE_ENDED',
    ]);
  });

  describe('versions', () => {
    it('QOSST/9.9: INVALID_QOSST_VERSION naming QOSST/0.2; the client is not identified', async () => {
      const client = await connect(alice);
      expect(await client.identify('QOSST/9.9')).toMatchObject({ name: 'INVALID_QOSST_VERSION', content: { qosst_version: 'QOSST/0.2' } });
      expect((await client.request('INITIALIZATION_REQUEST', { frame_uuid: FRAME_UUID })).name).toBe('UNEXPECTED_COMMAND');
      expect((await client.identify('QOSST/0.2')).name).toBe('IDENTIFICATION_RESPONSE');
      expect((await client.request('INITIALIZATION_REQUEST', { frame_uuid: FRAME_UUID })).name).toBe('INITIALIZATION_ACCEPTED');
    });

    for (const version of ['QOSST/0.1', 'QOSST/0.2']) {
      it(`${version} is accepted`, async () => {
        const client = await connect(alice);
        expect(await client.identify(version)).toMatchObject({ name: 'IDENTIFICATION_RESPONSE', content: { serial_number: 'QOSST/0001' } });
        await shortFrame(client, FRAME_UUID);
      });
    }

    it('an identified client that names an incompatible version is no longer identified', async () => {
      const client = await identified(alice);
      expect((await client.identify('QOSST/9.9')).name).toBe('INVALID_QOSST_VERSION');
      expect((await client.request('INITIALIZATION_REQUEST', { frame_uuid: FRAME_UUID })).name).toBe('UNEXPECTED_COMMAND');
    });
  });

  describe('identification across frames (wire notes 13)', () => {
    it('a client that identifies again before each frame', async () => {
      const client = await identified(alice);
      await shortFrame(client, FRAME_UUID);
      expect((await client.identify()).name).toBe('IDENTIFICATION_RESPONSE');
      await shortFrame(client, OTHER_UUID);
      expect((await client.identify()).name).toBe('IDENTIFICATION_RESPONSE');
      await shortFrame(client, FRAME_UUID);
    });

    it('a client that stays identified across frames', async () => {
      const client = await identified(alice);
      await shortFrame(client, FRAME_UUID);
      await shortFrame(client, OTHER_UUID);
      await shortFrame(client, FRAME_UUID);
    });
  });

  describe('PE_FINISHED with a key rate that is not positive', () => {
    for (const keyRate of [0, -5]) {
      it(`key_rate ${keyRate}: PE_DENIED and the frame is over`, async () => {
        const client = await identified(alice);
        expect(
          await run(client, ['INITIALIZATION_REQUEST', { frame_uuid: FRAME_UUID }], ['QIE_REQUEST'], ['QIE_TRIGGER'], ['QIE_ACQUISITION_ENDED']),
        ).toEqual(['INITIALIZATION_ACCEPTED', 'QIE_READY', 'QIE_EMISSION_STARTED', 'QIE_ENDED']);
        expect(await client.request('PE_FINISHED', { transmittance: 0.5, excess_noise: 0.1, key_rate: keyRate })).toMatchObject({
          name: 'PE_DENIED',
          content: { deny_message: expect.stringContaining('key_rate') },
        });
        expect(await client.request('PE_NPHOTON_REQUEST')).toMatchObject({
          name: 'UNEXPECTED_COMMAND',
          content: { code: CODES.PE_NPHOTON_REQUEST.code },
        });
        expect((await client.request('EC_INITIALIZATION', { matrix: [[1]], noise: 0.1 })).name).toBe('UNEXPECTED_COMMAND');
        await shortFrame(client, OTHER_UUID);
      });
    }
  });
});

describe('authentication failures with ed25519', () => {
  let alice: TestAlice;
  let bob: Authenticator;
  let mallory: Authenticator;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qosst-errors-keys-'));
    const a = generateKeyPair('ed25519', dir, 'alice');
    const b = generateKeyPair('ed25519', dir, 'bob');
    const m = generateKeyPair('ed25519', dir, 'mallory');
    // Failures are counted per address across connections: these tests, one daemon, each fail on purpose.
    alice = await startTestAlice({ auth: 'ed25519', secret_key: a.secretKeyFile, peer_public_key: b.publicKeyFile, max_auth_failures: 100 });
    bob = loadAuthenticator({ algorithm: 'ed25519', secretKeyFile: b.secretKeyFile, peerPublicKeyFile: a.publicKeyFile });
    mallory = loadAuthenticator({ algorithm: 'ed25519', secretKeyFile: m.secretKeyFile, peerPublicKeyFile: a.publicKeyFile });
  });
  afterAll(() => alice.close());

  it('the right key is served', async () => {
    const client = await identified(alice, bob);
    await shortFrame(client, FRAME_UUID);
  });

  it('a signature by another key: AUTHENTICATION_INVALID, and nothing is accepted', async () => {
    const client = await connect(alice, mallory);
    expect(await client.identify()).toMatchObject({ name: 'AUTHENTICATION_INVALID', content: null });
    expect((await client.identify()).name).toBe('AUTHENTICATION_INVALID');
    expect(client.ended).toBe(false);
  });

  it('a corrupted signature in the middle of a frame: AUTHENTICATION_INVALID, then identification resumes', async () => {
    const client = await identified(alice, bob);
    expect((await client.request('INITIALIZATION_REQUEST', { frame_uuid: FRAME_UUID })).name).toBe('INITIALIZATION_ACCEPTED');
    const frame = client.channel.seal(CODES.QIE_REQUEST.code, null);
    frame[4]! ^= 0x01;
    client.socket.write(frame);
    expect((await client.reply()).name).toBe('AUTHENTICATION_INVALID');
    expect((await client.request('QIE_REQUEST')).name).toBe('UNEXPECTED_COMMAND');
    expect((await client.identify()).name).toBe('IDENTIFICATION_RESPONSE');
    expect((await client.request('QIE_REQUEST')).name).toBe('QIE_READY');
  });
});

describe('the man-in-the-middle threshold', () => {
  let alice: TestAlice | null = null;
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await alice?.close();
    alice = null;
  });

  /** Two answered failures, then the third closes the connection. */
  async function threeFailures(client: RawClient): Promise<void> {
    for (let i = 0; i < 2; i++) {
      breakChallenge(client);
      expect((await client.request('INVALID_RESPONSE')).name).toBe('AUTHENTICATION_INVALID');
    }
    breakChallenge(client);
    client.socket.write(client.channel.seal(CODES.INVALID_RESPONSE.code, null));
    expect(await client.next(3000)).toBeNull();
    expect(await client.closed()).toBe(true);
  }

  it('three consecutive failures close the connection and 127.0.0.1 is refused', async () => {
    const a = (alice = await startTestAlice({ max_auth_failures: 3 }));
    const client = await identified(a);
    await threeFailures(client);
    expect(a.server.isBanned('127.0.0.1')).toBe(true);
    const refused = await connect(a);
    expect(await refused.closed(2000)).toBe(true);
    // Still refused a moment later (the default ban is 300 s).
    await sleep(100);
    const again = await connect(a);
    expect(await again.closed(2000)).toBe(true);
  });

  it('after ban_seconds a connection is served again', async () => {
    const a = (alice = await startTestAlice({ max_auth_failures: 3, ban_seconds: 0.3 }));
    const client = await identified(a);
    const start = Date.now();
    await threeFailures(client);
    const refused = await connect(a);
    expect(await refused.closed(2000)).toBe(true);
    await until(() => !a.server.isBanned('127.0.0.1'), 2000);
    expect(Date.now() - start).toBeGreaterThanOrEqual(250);
    const served = await identified(a);
    await shortFrame(served, FRAME_UUID);
  });

  it('a good message between failures does not reset the count: three within the window close', async () => {
    const a = (alice = await startTestAlice({ max_auth_failures: 3 }));
    const client = await identified(a);
    for (let i = 0; i < 2; i++) {
      breakChallenge(client);
      expect((await client.request('INVALID_RESPONSE')).name).toBe('AUTHENTICATION_INVALID');
      expect((await client.identify()).name).toBe('IDENTIFICATION_RESPONSE');
    }
    breakChallenge(client);
    client.socket.write(client.channel.seal(CODES.INVALID_RESPONSE.code, null));
    expect(await client.closed()).toBe(true);
    expect(a.server.isBanned('127.0.0.1')).toBe(true);
  });

  it('failures are counted per address across connections', async () => {
    const a = (alice = await startTestAlice({ max_auth_failures: 3 }));
    for (let i = 0; i < 2; i++) {
      const client = await identified(a);
      breakChallenge(client);
      expect((await client.request('INVALID_RESPONSE')).name).toBe('AUTHENTICATION_INVALID');
      client.close();
    }
    const third = await identified(a);
    breakChallenge(third);
    third.socket.write(third.channel.seal(CODES.INVALID_RESPONSE.code, null));
    expect(await third.closed()).toBe(true);
    expect(a.server.isBanned('127.0.0.1')).toBe(true);
  });

  it('failures older than the window are forgotten', async () => {
    const a = (alice = await startTestAlice({ max_auth_failures: 2, auth_failure_window_seconds: 0.2 }));
    const client = await identified(a);
    breakChallenge(client);
    expect((await client.request('INVALID_RESPONSE')).name).toBe('AUTHENTICATION_INVALID');
    await sleep(300);
    breakChallenge(client);
    expect((await client.request('INVALID_RESPONSE')).name).toBe('AUTHENTICATION_INVALID');
    expect(a.server.isBanned('127.0.0.1')).toBe(false);
  });

  it('an allow-listed address is never refused; its connection is still closed', async () => {
    const a = (alice = await startTestAlice({ max_auth_failures: 1, allow_list: ['127.0.0.1'] }));
    const client = await identified(a);
    breakChallenge(client);
    client.socket.write(client.channel.seal(CODES.INVALID_RESPONSE.code, null));
    expect(await client.closed()).toBe(true);
    expect(a.server.isBanned('127.0.0.1')).toBe(false);
    await shortFrame(await identified(a), FRAME_UUID);
  });

  it('frames queued behind the closing decision are dropped', async () => {
    const a = (alice = await startTestAlice({ max_auth_failures: 1 }));
    const client = await identified(a);
    breakChallenge(client);
    const bad = client.channel.seal(CODES.INVALID_RESPONSE.code, null);
    // In the same write: an identification that must not be answered once Alice has decided to close.
    const fresh = new Channel('bob', noneAuthenticator);
    const identification = fresh.seal(CODES.IDENTIFICATION_REQUEST.code, { serial_number: 'QOSST/0002', qosst_version: 'QOSST/0.2' });
    client.socket.write(Buffer.concat([bad, identification]));
    expect(await client.next(3000)).toBeNull();
  });

  it('max_auth_failures: 1 closes at the first failure', async () => {
    const a = (alice = await startTestAlice({ max_auth_failures: 1, ban_seconds: 0.05 }));
    const client = await identified(a);
    breakChallenge(client);
    client.socket.write(client.channel.seal(CODES.INVALID_RESPONSE.code, null));
    expect(await client.closed()).toBe(true);
  });
});

/** A session backend whose chosen methods throw, around the simulated emitter. */
function failingBackend(sim: SimulatedAlice, failures: Partial<Record<keyof AliceSessionBackend, string>>): AliceBackend {
  return {
    openSession(info) {
      const session = sim.openSession(info);
      return new Proxy(session, {
        get(target, prop) {
          const message = failures[prop as keyof AliceSessionBackend];
          const value: unknown = Reflect.get(target, prop, target);
          if (message !== undefined && typeof value === 'function') {
            // The real method runs first (the emission really starts), then the failure.
            return async (...args: unknown[]) => {
              await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
              throw new Error(message);
            };
          }
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    },
    close: () => sim.close(),
  };
}

/** A daemon on a backend made from a fresh simulated emitter, for the tests of one describe block. */
function daemonOn(makeBackend: (sim: SimulatedAlice) => AliceBackend): { alice: TestAlice; sim: SimulatedAlice } {
  const ctx = {} as { alice: TestAlice; sim: SimulatedAlice };
  beforeAll(async () => {
    ctx.sim = createSimulatedAlice({ symbols: 2000 });
    ctx.alice = await startTestAlice({}, makeBackend(ctx.sim));
  });
  afterAll(() => ctx.alice.close());
  return ctx;
}

describe('a backend whose startEmission throws', () => {
  const ctx = daemonOn((sim) => failingBackend(sim, { startEmission: 'DAC underflow' }));

  it('startEmission: ABORT with the error, emission stopped, the session kept', async () => {
    const client = await identified(ctx.alice);
    expect(await run(client, ['INITIALIZATION_REQUEST', { frame_uuid: FRAME_UUID }], ['QIE_REQUEST'])).toEqual([
      'INITIALIZATION_ACCEPTED',
      'QIE_READY',
    ]);
    expect(await client.request('QIE_TRIGGER')).toMatchObject({
      name: 'ABORT',
      content: { abort_message: expect.stringContaining('DAC underflow') },
    });
    // The emission the backend did start is stopped, the emitter released.
    expect(ctx.sim.emitter.emissionsStarted).toBeGreaterThan(0);
    expect(ctx.sim.emitter.emitting).toBe(false);
    expect(ctx.alice.server.emitterOwner).toBeNull();
    expect((await client.request('QIE_ACQUISITION_ENDED')).name).toBe('UNEXPECTED_COMMAND');
    expect(await run(client, ['INITIALIZATION_REQUEST', { frame_uuid: OTHER_UUID }], ['QIE_REQUEST'])).toEqual([
      'INITIALIZATION_ACCEPTED',
      'QIE_READY',
    ]);
    expect(client.ended).toBe(false);
  });
});

describe('a backend whose photonNumber throws', () => {
  const ctx = daemonOn((sim) => failingBackend(sim, { photonNumber: 'photon meter offline' }));

  it('ABORT naming the error, the frame over, the session kept', async () => {
    const client = await identified(ctx.alice);
    expect(
      await run(client, ['INITIALIZATION_REQUEST', { frame_uuid: FRAME_UUID }], ['QIE_REQUEST'], ['QIE_TRIGGER'], ['QIE_ACQUISITION_ENDED']),
    ).toEqual(['INITIALIZATION_ACCEPTED', 'QIE_READY', 'QIE_EMISSION_STARTED', 'QIE_ENDED']);
    expect(await client.request('PE_NPHOTON_REQUEST')).toMatchObject({
      name: 'ABORT',
      content: { abort_message: expect.stringContaining('photon meter offline') },
    });
    expect(ctx.sim.emitter.emitting).toBe(false);
    expect(ctx.alice.server.emitterOwner).toBeNull();
    expect((await client.request('PE_SYMBOLS_REQUEST', { indices: [0] })).name).toBe('UNEXPECTED_COMMAND');
    await shortFrame(client, OTHER_UUID);
  });
});

describe('a backend whose answer is not valid content', () => {
  const ctx = daemonOn((sim) => ({
    openSession: (info) =>
      new Proxy(sim.openSession(info), {
        get: (target, property) => (property === 'photonNumber' ? async () => Number.NaN : Reflect.get(target, property).bind(target)),
      }),
    close: () => sim.close(),
  }));

  it('a NaN photon number: ABORT naming the field, nothing unencodable sent, the session kept', async () => {
    const client = await identified(ctx.alice);
    await run(client, ['INITIALIZATION_REQUEST', { frame_uuid: FRAME_UUID }], ['QIE_REQUEST'], ['QIE_TRIGGER'], ['QIE_ACQUISITION_ENDED']);
    expect(await client.request('PE_NPHOTON_REQUEST')).toMatchObject({
      name: 'ABORT',
      content: { abort_message: expect.stringContaining('n_photon') },
    });
    await shortFrame(client, OTHER_UUID);
    expect(client.ended).toBe(false);
  });
});

describe('broken streams', () => {
  let alice: TestAlice;
  beforeAll(async () => {
    alice = await startTestAlice({ max_content_length: 1000 });
  });
  afterAll(() => alice.close());

  /** A fixed header, a 32-byte "signature" and the given JSON header bytes, in the deployed order. */
  function rawFrameStart(headerBytes: Buffer): Buffer {
    const fixed = Buffer.alloc(4);
    fixed.writeUInt16BE(headerBytes.length, 0);
    fixed.writeUInt16BE(32, 2);
    return Buffer.concat([fixed, Buffer.alloc(32), headerBytes]);
  }

  it('content up to the limit is read', async () => {
    const client = await identified(alice);
    const content = { frame_uuid: FRAME_UUID, note: 'x'.repeat(900) };
    expect(pyStringify(content).length).toBeLessThanOrEqual(1000);
    // The unknown parameter makes a proposal: the content was read whole.
    expect((await client.request('INITIALIZATION_REQUEST', content)).name).toBe('INITIALIZATION_PROPOSAL');
  });

  /** Each case: what a client writes that cannot be resynchronised. Alice closes it at once and goes on serving. */
  const unreadable: [string, boolean, (client: RawClient) => Buffer][] = [
    [
      'a header announcing content above the limit (only the header: Alice must not wait for the content)',
      true,
      (client) =>
        rawFrameStart(
          Buffer.from(pyStringify({ code: CODES.INITIALIZATION_REQUEST.code, content_length: 5000, challenge: client.channel.chain.peer, next_challenge: 'ABCDEFGHIJKLMNO' })),
        ),
    ],
    [
      'a real request with too large a content',
      true,
      (client) => client.channel.seal(CODES.INITIALIZATION_REQUEST.code, { frame_uuid: FRAME_UUID, note: 'x'.repeat(2000) }),
    ],
    ['a header that is not JSON', true, () => rawFrameStart(Buffer.from('this is not json at all'))],
    ['a JSON header without its keys, from a fresh connection', false, () => rawFrameStart(Buffer.from('{"code": 100}'))],
    ['garbage bytes from a fresh connection', false, () => Buffer.concat([Buffer.from([0x00, 0x08, 0x00, 0x00]), Buffer.from('\x01\x02garbage\xff')])],
  ];

  for (const [what, identify, bytes] of unreadable) {
    it(`${what}: the connection is closed, the daemon goes on`, async () => {
      const client = identify ? await identified(alice) : await connect(alice);
      client.socket.write(bytes(client));
      expect(await client.closed(3000)).toBe(true);
      const next = await identified(alice);
      await shortFrame(next, FRAME_UUID);
    });
  }
});

/** A Bob whose frames follow the prose order (digest length first). */
class SpecOrderClient {
  readonly channel = new Channel('bob', noneAuthenticator, { headerOrder: 'spec' });
  private readonly decoder = new FrameDecoder({ headerOrder: 'spec' });
  private readonly inbox: Inbound[] = [];
  private wake: (() => void) | null = null;
  ended = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const d of this.decoder.push(chunk)) this.inbox.push(this.channel.open(d));
      this.wake?.();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake?.();
    });
    socket.on('error', () => undefined);
  }

  static async connect(port: number): Promise<SpecOrderClient> {
    const socket = createConnection(port, '127.0.0.1');
    await once(socket, 'connect');
    return new SpecOrderClient(socket);
  }

  async request(name: MessageName, content: object | null = null): Promise<{ name: string; content: unknown }> {
    this.socket.write(this.channel.seal(CODES[name].code, content));
    const deadline = Date.now() + 5000;
    while (this.inbox.length === 0) {
      if (this.ended) throw new Error('Alice closed the connection');
      if (Date.now() > deadline) throw new Error('no answer from Alice');
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 50);
      });
    }
    const inbound = this.inbox.shift()!;
    if (inbound.kind !== 'message') throw new Error(`unreadable answer: ${JSON.stringify(inbound)}`);
    return { name: inbound.message.name, content: inbound.message.content };
  }

  close(): void {
    this.socket.destroy();
  }
}

describe("header_order: 'spec'", () => {
  let alice: TestAlice;
  beforeAll(async () => {
    alice = await startTestAlice({ header_order: 'spec' });
  });
  afterAll(() => alice.close());

  it('serves a client that writes and reads the prose order', async () => {
    const client = await SpecOrderClient.connect(alice.port);
    try {
      expect(await client.request('IDENTIFICATION_REQUEST', { serial_number: 'QOSST/0002', qosst_version: 'QOSST/0.2' })).toEqual({
        name: 'IDENTIFICATION_RESPONSE',
        content: { serial_number: 'QOSST/0001' },
      });
      expect((await client.request('INITIALIZATION_REQUEST', { frame_uuid: FRAME_UUID })).name).toBe('INITIALIZATION_ACCEPTED');
      expect((await client.request('QIE_REQUEST')).name).toBe('QIE_READY');
      expect((await client.request('QIE_TRIGGER')).name).toBe('QIE_EMISSION_STARTED');
      expect((await client.request('QIE_ACQUISITION_ENDED')).name).toBe('QIE_ENDED');
      expect((await client.request('PE_FINISHED', { transmittance: 0.5, excess_noise: 0.1, key_rate: 0 })).name).toBe('PE_DENIED');
      expect((await client.request('DISCONNECTION')).name).toBe('DISCONNECTION_ACK');
    } finally {
      client.close();
    }
  });

  it('a client in the deployed order is not understood (the option is really used)', async () => {
    const client = await connect(alice);
    client.socket.write(client.channel.seal(CODES.IDENTIFICATION_REQUEST.code, { serial_number: 'QOSST/0002', qosst_version: 'QOSST/0.2' }));
    expect(await client.closed(3000)).toBe(true);
  });
});
