/**
 * How Bob's driver recovers, or says why it cannot: version negotiation,
 * authentication loss, connection loss, invalid answers from Alice, and
 * calls refused locally before anything is sent.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { InspectionEvent } from 'xstate';
import {
  AuthenticationError,
  ConnectionError,
  FrameAbortedError,
  InvalidRequestError,
  InvalidResponseError,
  OutOfOrderError,
  VersionError,
} from '../src/bob/errors.ts';
import { runFrame } from '../src/bob/run-frame.ts';
import { connect, type BobSession, type ConnectOptions } from '../src/bob/session.ts';
import type { ChallengeChain } from '../src/protocol/channel.ts';
import { Code } from '../src/protocol/codes.ts';
import type { Message } from '../src/protocol/frame.ts';
import { FRAME_UUID, testReceiver } from './support/alice.ts';
import {
  compliantAnswer,
  startFakeAlice,
  startObservedAlice,
  waitFor,
  type FakeAlice,
  type FakeReply,
  type ObservedAlice,
} from './support/bob-harness.ts';
import { KEY_SETUPS, type Algorithm } from './support/keys.ts';

const ALGORITHMS: readonly Algorithm[] = ['none', 'ed25519', 'falcon512'];
const FAST_RECONNECT = { attempts: 4, initialDelayMs: 10, maxDelayMs: 40 };

const alices: { close(): Promise<void> }[] = [];
const sessions: BobSession[] = [];

afterEach(async () => {
  for (const s of sessions.splice(0)) await s.disconnect().catch(() => undefined);
  for (const a of alices.splice(0)) await a.close().catch(() => undefined);
});

async function daemon(overrides: Record<string, unknown> = {}): Promise<ObservedAlice> {
  const alice = await startObservedAlice(overrides);
  alices.push(alice);
  return alice;
}

async function fake(answer: (m: Message) => FakeReply | null): Promise<FakeAlice> {
  const alice = await startFakeAlice(answer);
  alices.push(alice);
  return alice;
}

async function bob(port: number, options: ConnectOptions = {}): Promise<BobSession> {
  const session = await connect({ port, answerTimeoutMs: 5000, reconnect: FAST_RECONNECT, ...options });
  sessions.push(session);
  return session;
}

/** Bob's link, reached through private fields (test-only). */
interface LinkInternals {
  channel: { chain: ChallengeChain };
  send(code: number, content: object | null): void;
}
const linkOf = (session: BobSession) => (session as unknown as { link: LinkInternals }).link;

/** Runs `corrupt` on Bob's chain right after his next frame is written, once. */
function corruptAfterNextSend(session: BobSession, corrupt: (chain: ChallengeChain) => void): void {
  const link = linkOf(session);
  const send = link.send;
  link.send = function (this: LinkInternals, code, content) {
    send.call(this, code, content);
    corrupt(this.channel.chain);
    delete (link as Partial<LinkInternals>).send;
  };
}

const count = (names: string[], name: string) => names.filter((n) => n === name).length;

describe('version negotiation', () => {
  it('no common version: VersionError', async () => {
    const alice = await daemon({ versions: ['QOSST/0.2'] });
    const session = await bob(alice.port, { versions: ['QOSST/0.1'] });
    await expect(session.identify()).rejects.toBeInstanceOf(VersionError);
    expect(session.identified).toBe(false);
    expect(alice.since(0)).toEqual(['in:IDENTIFICATION_REQUEST', 'out:INVALID_QOSST_VERSION']);
  });

  for (const algorithm of ALGORITHMS) {
    it(`INVALID_QOSST_VERSION names a version Bob also speaks: he retries with it once (${algorithm})`, async () => {
      const setup = KEY_SETUPS[algorithm]();
      const alice = await daemon(setup.alice);
      const answers: { type: string; content?: unknown }[] = [];
      const inspect = (e: InspectionEvent) => {
        if (e.type === '@xstate.event' && e.event.type.startsWith('answer.')) answers.push(e.event as { type: string; content?: unknown });
      };
      const session = await bob(alice.port, { versions: ['QOSST/9.9', 'QOSST/0.2'], inspect, auth: setup.bob });
      expect(session.qosstVersion).toBe('QOSST/9.9');
      expect(await session.identify()).toEqual({ name: 'IDENTIFICATION_RESPONSE', content: { serial_number: 'QOSST/0001' } });
      expect(answers).toEqual([
        expect.objectContaining({ type: 'answer.INVALID_QOSST_VERSION', content: { qosst_version: 'QOSST/0.2' } }),
        expect.objectContaining({ type: 'answer.IDENTIFICATION_RESPONSE' }),
      ]);
      expect(session.qosstVersion).toBe('QOSST/0.2');
      expect(session.identified).toBe(true);
      expect(alice.since(0)).toEqual([
        'in:IDENTIFICATION_REQUEST',
        'out:INVALID_QOSST_VERSION',
        'in:IDENTIFICATION_REQUEST',
        'out:IDENTIFICATION_RESPONSE',
      ]);
    });
  }
});

describe('authentication loss', () => {
  /** A session with an accepted frame. */
  async function initialized(algorithm: Algorithm = 'none'): Promise<{ alice: ObservedAlice; session: BobSession }> {
    const setup = KEY_SETUPS[algorithm]();
    const alice = await daemon(setup.alice);
    const session = await bob(alice.port, { auth: setup.bob });
    await session.identify();
    expect((await session.initialize({ frame_uuid: FRAME_UUID })).name).toBe('INITIALIZATION_ACCEPTED');
    return { alice, session };
  }

  for (const algorithm of ALGORITHMS) {
    it(`AUTHENTICATION_INVALID from Alice (${algorithm}): Bob identifies again and the step succeeds`, async () => {
      const setup = KEY_SETUPS[algorithm]();
      const alice = await daemon(setup.alice);
      const session = await bob(alice.port, { auth: setup.bob });
      await session.identify();
      expect((await session.initialize({ frame_uuid: FRAME_UUID })).name).toBe('INITIALIZATION_ACCEPTED');
      const from = alice.messages.length;
      // Bob's next frame echoes a challenge Alice never issued.
      linkOf(session).channel.chain.peer = 'X';
      expect((await session.qie(async () => undefined)).name).toBe('QIE_ENDED');
      expect(alice.since(from)).toEqual([
        'in:QIE_REQUEST',
        'out:AUTHENTICATION_INVALID',
        'in:IDENTIFICATION_REQUEST',
        'out:IDENTIFICATION_RESPONSE',
        'in:QIE_REQUEST',
        'out:QIE_READY',
        'in:QIE_TRIGGER',
        'out:QIE_EMISSION_STARTED',
        'in:QIE_ACQUISITION_ENDED',
        'out:QIE_ENDED',
      ]);
      expect(session.identified).toBe(true);
      expect(session.frameUuid).toBe(FRAME_UUID);
    });
  }

  for (const algorithm of ALGORITHMS) {
    it(`Alice's answer does not verify on Bob's side: he identifies again and retries (${algorithm})`, async () => {
      const { alice, session } = await initialized(algorithm);
      expect((await session.qie(async () => undefined)).name).toBe('QIE_ENDED');
      const from = alice.messages.length;
      // Alice's answer will echo a challenge Bob no longer expects.
      corruptAfterNextSend(session, (chain) => {
        chain.issued = 'X';
      });
      expect(await session.photonNumber()).toMatchObject({ name: 'PE_NPHOTON_RESPONSE' });
      expect(alice.since(from)).toEqual([
        'in:PE_NPHOTON_REQUEST',
        'out:PE_NPHOTON_RESPONSE',
        'in:IDENTIFICATION_REQUEST',
        'out:IDENTIFICATION_RESPONSE',
        'in:PE_NPHOTON_REQUEST',
        'out:PE_NPHOTON_RESPONSE',
      ]);
      expect(session.identified).toBe(true);
      expect(session.can('PE_FINISHED', { transmittance: 0.5, excess_noise: 0.1, key_rate: 1 })).toBe(true);
    });
  }

  it('a second loss on the retry: AuthenticationError', async () => {
    const { alice, session } = await initialized();
    const link = linkOf(session);
    const send = link.send;
    // Every QIE_REQUEST Bob writes echoes a wrong challenge.
    link.send = function (this: LinkInternals, code, content) {
      if (code === Code.QIE_REQUEST) this.channel.chain.peer = 'X';
      send.call(this, code, content);
    };
    const from = alice.messages.length;
    await expect(session.qie(async () => undefined)).rejects.toBeInstanceOf(AuthenticationError);
    expect(count(alice.since(from), 'out:AUTHENTICATION_INVALID')).toBe(2);
    expect(count(alice.since(from), 'in:IDENTIFICATION_REQUEST')).toBe(1);
    expect(session.identified).toBe(false);
    delete (link as Partial<LinkInternals>).send;
    // Identifying again restores the session; the frame is still Alice's.
    await session.identify();
    expect((await session.qie(async () => undefined)).name).toBe('QIE_ENDED');
  });
});

describe('connection loss', () => {
  for (const algorithm of ALGORITHMS) {
    it(`a pending call fails with FrameAbortedError, the session reconnects and identifies, a new frame completes (${algorithm})`, async () => {
      const setup = KEY_SETUPS[algorithm]();
      const alice = await daemon(setup.alice);
      const session = await bob(alice.port, { auth: setup.bob });
      const states: string[] = [];
      session.on('connection', (e) => states.push(e.state));
      await session.identify();
      expect((await session.initialize({ frame_uuid: FRAME_UUID })).name).toBe('INITIALIZATION_ACCEPTED');

      alice.faults.prepareDelayMs = 300;
      const pending = session.qie(async () => undefined).catch((e: unknown) => e);
      await waitFor(() => alice.since(0).includes('in:QIE_REQUEST'), 2000, 'QIE_REQUEST at Alice');
      for (const c of alice.server.sessions) c.destroy();
      const error = await pending;
      expect(error).toBeInstanceOf(FrameAbortedError);
      expect(error).toMatchObject({ byAlice: false });
      alice.faults.prepareDelayMs = 0;

      await waitFor(() => session.identified, 3000, 'identified again');
      expect(states).toEqual(['lost', 'restored']);
      expect(session.frameUuid).toBeNull();
      expect(alice.server.sessions.size).toBe(1);
      const result = await runFrame(session, testReceiver(alice));
      expect(result.status).toBe('completed');
    });
  }

  it('Alice gone for good: the call waiting for the reconnection rejects with ConnectionError', async () => {
    const alice = await daemon();
    const session = await bob(alice.port, { reconnect: { attempts: 3, initialDelayMs: 10, maxDelayMs: 20 } });
    const states: string[] = [];
    session.on('connection', (e) => states.push(e.state));
    await session.identify();
    await alice.close();
    await waitFor(() => states.includes('lost'), 2000, 'the loss');
    await expect(session.identify()).rejects.toBeInstanceOf(ConnectionError);
    expect(session.identified).toBe(false);
    expect(states).toEqual(['lost']);
  });
});

describe('invalid responses', () => {
  it('an answer outside the allowed ones: INVALID_RESPONSE sent and acknowledged, InvalidResponseError', async () => {
    const alice = await fake((m) => (m.name === 'INITIALIZATION_REQUEST' ? { name: 'QIE_READY' } : compliantAnswer(m)));
    const session = await bob(alice.port);
    const inbound: string[] = [];
    session.on('message', (e) => e.direction === 'in' && inbound.push(e.name));
    await session.identify();
    await expect(session.initialize({ frame_uuid: FRAME_UUID })).rejects.toBeInstanceOf(InvalidResponseError);
    expect(alice.received.map((m) => m.name)).toEqual(['IDENTIFICATION_REQUEST', 'INITIALIZATION_REQUEST', 'INVALID_RESPONSE']);
    expect(alice.received[2]!.content).toEqual({ error_message: expect.stringMatching(/QIE_READY.*INITIALIZATION_REQUEST/) });
    expect(inbound).toEqual(['IDENTIFICATION_RESPONSE', 'QIE_READY', 'INVALID_RESPONSE_ACK']);
    // Bob stays where he was: still identified, no frame.
    expect(session.identified).toBe(true);
    expect(session.frameUuid).toBeNull();
    expect(session.can('INITIALIZATION_REQUEST', { frame_uuid: FRAME_UUID })).toBe(true);
  });

  it('a malformed content (IDENTIFICATION_RESPONSE without serial_number): INVALID_RESPONSE', async () => {
    const alice = await fake((m) => (m.name === 'IDENTIFICATION_REQUEST' ? { name: 'IDENTIFICATION_RESPONSE', content: { serial: 'x' } } : null));
    const session = await bob(alice.port);
    const error = await session.identify().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect((error as Error).message).toContain('serial_number');
    expect(alice.received.map((m) => m.name)).toEqual(['IDENTIFICATION_REQUEST', 'INVALID_RESPONSE']);
    expect(alice.received[1]!.content).toEqual({ error_message: expect.stringContaining('serial_number') });
    expect(session.identified).toBe(false);
  });

  it('a code that is not a QOSST code: INVALID_RESPONSE', async () => {
    const alice = await fake((m) => (m.name === 'IDENTIFICATION_REQUEST' ? { code: 999 } : null));
    const session = await bob(alice.port);
    await expect(session.identify()).rejects.toBeInstanceOf(InvalidResponseError);
    expect(alice.received.map((m) => m.name)).toEqual(['IDENTIFICATION_REQUEST', 'INVALID_RESPONSE']);
    expect(alice.received[1]!.content).toEqual({ error_message: expect.stringContaining('999') });
  });
});

describe('calls refused locally, nothing sent', () => {
  it('out of order before identification, before initialization and mid-frame; invalid content at any time', async () => {
    const alice = await fake(compliantAnswer);
    const session = await bob(alice.port);
    const written: string[] = [];
    session.on('message', (e) => e.direction === 'out' && written.push(e.name));
    const refused = async (call: () => Promise<unknown>, error: new (...args: never[]) => Error) => {
      const state = session.state;
      await expect(call()).rejects.toBeInstanceOf(error);
      expect(session.state).toBe(state);
    };

    // Not identified: only identification (and disconnection) may be sent.
    await refused(() => session.initialize({ frame_uuid: FRAME_UUID }), OutOfOrderError);
    await refused(() => session.symbols([1]), OutOfOrderError);
    await refused(() => session.changeParameter('qi.frame.roll_off', 0.5), OutOfOrderError);
    await refused(() => session.abort('why not'), OutOfOrderError);
    expect(written).toEqual([]);
    await session.identify();

    // Identified, no frame yet.
    await refused(() => session.qie(async () => undefined, { withFrameUuid: false }), OutOfOrderError);
    await refused(() => session.symbols([1]), OutOfOrderError);
    await refused(() => session.photonNumber(), OutOfOrderError);
    await refused(() => session.requestConfig(), OutOfOrderError);
    await refused(() => session.ecVerify(1n), OutOfOrderError);
    await refused(() => session.call('FRAME_ENDED', { frame_uuid: FRAME_UUID }), OutOfOrderError);
    await refused(() => session.call('END_POLARISATION_RECOVERY', null), OutOfOrderError);
    expect((await session.initialize({ frame_uuid: FRAME_UUID })).name).toBe('INITIALIZATION_ACCEPTED');

    // Frame initialized, QIE not done: estimation and the end of the frame are out of order.
    await refused(() => session.symbols([1]), OutOfOrderError);
    await refused(() => session.endFrame(), OutOfOrderError);
    await refused(() => session.finishEstimation({ transmittance: 0.5, excess_noise: 0.1, key_rate: 1 }), OutOfOrderError);
    await refused(() => session.call('QIE_TRIGGER', null), OutOfOrderError);

    // Content that does not match its schema, for requests the state allows (the state is checked first).
    await refused(() => session.initialize({ frame_uuid: 'not-a-uuid' }), InvalidRequestError);
    await refused(() => session.changeParameter('qi.frame.roll_off', undefined), InvalidRequestError);
    await refused(() => session.call('QIE_REQUEST', { frame_uuid: 'not-a-uuid' }), InvalidRequestError);
    await refused(() => session.call('REQUEST_POLARISATION_RECOVERY', { unexpected: true }), InvalidRequestError);
    await refused(() => session.symbols([-1]), OutOfOrderError);

    // The next real step goes through: the server received exactly the allowed requests, in order.
    expect((await session.qie(async () => undefined)).name).toBe('QIE_ENDED');
    const sent = ['IDENTIFICATION_REQUEST', 'INITIALIZATION_REQUEST', 'QIE_REQUEST', 'QIE_TRIGGER', 'QIE_ACQUISITION_ENDED'];
    expect(written).toEqual(sent);
    expect(alice.received.map((m) => m.name)).toEqual(sent);
  });
});
