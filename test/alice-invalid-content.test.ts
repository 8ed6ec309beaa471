/**
 * INVALID_CONTENT from our daemon over loopback TCP: every content schema a
 * request of Bob's has, every message that takes no content, contents that
 * are not a JSON object, and frame UUIDs that name another frame. Each time
 * the session goes on: the challenge chain and the state are unchanged.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { noneAuthenticator } from '../src/protocol/auth/none.ts';
import { newChallenge } from '../src/protocol/challenge.ts';
import { CODES, MESSAGE_NAMES, type MessageName } from '../src/protocol/codes.ts';
import { frameDigest } from '../src/protocol/frame.ts';
import { pyStringify } from '../src/protocol/json.ts';
import { CONTENT } from '../src/protocol/schemas.ts';
import { keyHash } from '../src/sim/key-bits.ts';
import { FRAME_UUID, OTHER_UUID, startTestAlice, type TestAlice } from './support/alice.ts';
import { RawClient } from './support/raw-client.ts';

/**
 * For each request of Bob's with content: one broken content and what the
 * error_message must contain (`<NAME>: <field>` as validateContent names it).
 * EC_REMAINING takes any object, so only a content that is not an object is
 * broken: the frame layer names the content itself.
 */
const broken: Partial<Record<MessageName, { content: unknown; names: string }>> = {
  INVALID_RESPONSE: { content: { error_message: 42 }, names: 'INVALID_RESPONSE: error_message' },
  ABORT: { content: { abort_message: ['x'] }, names: 'ABORT: abort_message' },
  CHANGE_PARAMETER_REQUEST: { content: { parameter: 'qi.frame.roll_off' }, names: 'CHANGE_PARAMETER_REQUEST: value' },
  IDENTIFICATION_REQUEST: { content: { serial_number: 'QOSST/0002' }, names: 'IDENTIFICATION_REQUEST: qosst_version' },
  INITIALIZATION_REQUEST: { content: { frame_uuid: 'not-a-uuid', roll_off: 0.5 }, names: 'INITIALIZATION_REQUEST: frame_uuid' },
  QIE_REQUEST: { content: { frame_uuid: 'abc' }, names: 'QIE_REQUEST: frame_uuid' },
  PE_SYMBOLS_REQUEST: { content: { indices: [1, -2] }, names: 'PE_SYMBOLS_REQUEST: indices.1' },
  PE_FINISHED: { content: { transmittance: 0.5, excess_noise: 0.1 }, names: 'PE_FINISHED: key_rate' },
  EC_INITIALIZATION: { content: { matrix: [[1, 'a']], noise: 0.1 }, names: 'EC_INITIALIZATION: matrix.0.1' },
  EC_BLOCK: { content: { syndrome: 'abc' }, names: 'EC_BLOCK: syndrome' },
  EC_REMAINING: { content: [1, 2], names: 'content is not a JSON object' },
  EC_VERIFICATION: { content: { hash: 1.5 }, names: 'EC_VERIFICATION: hash' },
  PA_REQUEST: {
    content: { seed: [1, 2], secret_key_length: 2000, subblock_length: 5, feedback_polynomial: [1] },
    names: 'PA_REQUEST: seed.1',
  },
  FRAME_ENDED: { content: { frame_uuid: 12 }, names: 'FRAME_ENDED: frame_uuid' },
};

const fromBob = (name: MessageName) => CODES[name].from !== 'alice';
const bobWithContent = MESSAGE_NAMES.filter((n) => fromBob(n) && CONTENT[n].content !== 'none');
const withoutContent = MESSAGE_NAMES.filter((n) => CONTENT[n].content === 'none');

/**
 * A frame built by hand (deployed header order, no authentication) with the
 * right challenge and arbitrary content bytes; the client's chain is advanced
 * so that it can read Alice's answer.
 */
function handmadeFrame(client: RawClient, code: number, contentBytes: Buffer): Buffer {
  const next = newChallenge();
  const header = Buffer.from(
    pyStringify({ code, content_length: contentBytes.length, challenge: client.channel.chain.peer, next_challenge: next }),
  );
  const signature = noneAuthenticator.sign(frameDigest(header, contentBytes));
  const fixed = Buffer.alloc(4);
  fixed.writeUInt16BE(header.length, 0);
  fixed.writeUInt16BE(signature.length, 2);
  client.channel.chain.issue(next);
  return Buffer.concat([fixed, signature, header, contentBytes]);
}

describe('INVALID_CONTENT from Alice', () => {
  let alice: TestAlice;
  const clients: RawClient[] = [];

  beforeAll(async () => {
    alice = await startTestAlice();
  });
  afterAll(() => alice.close());
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });

  async function identified(): Promise<RawClient> {
    const client = await RawClient.connect(alice.port);
    clients.push(client);
    expect((await client.identify()).name).toBe('IDENTIFICATION_RESPONSE');
    return client;
  }

  /** The session goes on: the chain is intact and a frame can still be initialized. */
  async function sessionGoesOn(client: RawClient): Promise<void> {
    expect((await client.request('INITIALIZATION_REQUEST', { frame_uuid: FRAME_UUID })).name).toBe('INITIALIZATION_ACCEPTED');
  }

  it('covers the requests of Bob with content (the list is generated from CONTENT)', () => {
    expect(bobWithContent).toEqual(expect.arrayContaining(['INITIALIZATION_REQUEST', 'QIE_REQUEST', 'PA_REQUEST', 'ABORT']));
    expect(bobWithContent).not.toContain('QIE_READY');
    expect(withoutContent).toEqual(expect.arrayContaining(['QIE_TRIGGER', 'DISCONNECTION', 'ABORT_ACK']));
  });

  describe('a broken content names the field', () => {
    for (const name of bobWithContent) {
      it(name, async () => {
        const entry = broken[name];
        expect(entry, `no broken content for ${name} in the table`).toBeDefined();
        const client = await identified();
        const code = CODES[name].code;
        expect(await client.request(name, entry!.content as object)).toEqual(
          expect.objectContaining({
            name: 'INVALID_CONTENT',
            content: { code, error_message: expect.stringContaining(entry!.names) },
          }),
        );
        await sessionGoesOn(client);
      });
    }
  });

  describe('a required content that is absent', () => {
    for (const name of bobWithContent.filter((n) => CONTENT[n].content === 'required')) {
      it(name, async () => {
        const client = await identified();
        expect(await client.request(name)).toMatchObject({
          name: 'INVALID_CONTENT',
          content: { code: CODES[name].code, error_message: `${name} requires content` },
        });
        await sessionGoesOn(client);
      });
    }
  });

  describe('a message that takes no content', () => {
    for (const name of withoutContent) {
      it(name, async () => {
        const client = await identified();
        const reply = await client.request(name, { x: 1 });
        expect(reply.name).toBe('INVALID_CONTENT');
        expect(reply.content).toEqual({ code: CODES[name].code, error_message: `${name} takes no content` });
        await sessionGoesOn(client);
      });
    }
  });

  describe('content that is not a JSON object', () => {
    const cases: [string, Buffer, string][] = [
      ['not JSON', Buffer.from('{"frame_uuid": '), 'not valid JSON'],
      ['plain text', Buffer.from('hello'), 'not valid JSON'],
      ['an array', Buffer.from('[1, 2]'), 'not a JSON object'],
      ['a string', Buffer.from('"text"'), 'not a JSON object'],
      ['a number', Buffer.from('42'), 'not a JSON object'],
      ['null', Buffer.from('null'), 'not a JSON object'],
      ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x20, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 'not valid UTF-8'],
    ];
    for (const [label, bytes, why] of cases) {
      it(`${label}: INVALID_CONTENT, and the session goes on`, async () => {
        const client = await identified();
        client.socket.write(handmadeFrame(client, CODES.INITIALIZATION_REQUEST.code, bytes));
        const reply = await client.reply();
        expect(reply).toMatchObject({
          name: 'INVALID_CONTENT',
          content: { code: CODES.INITIALIZATION_REQUEST.code, error_message: expect.stringContaining(why) },
        });
        await sessionGoesOn(client);
        expect((await client.request('QIE_REQUEST')).name).toBe('QIE_READY');
      });
    }

    it('a hand-made frame with a valid content is accepted (the helper is sound)', async () => {
      const client = await identified();
      client.socket.write(handmadeFrame(client, CODES.INITIALIZATION_REQUEST.code, Buffer.from(pyStringify({ frame_uuid: FRAME_UUID }))));
      expect((await client.reply()).name).toBe('INITIALIZATION_ACCEPTED');
    });
  });

  describe('frame_uuid naming another frame', () => {
    it('QIE_REQUEST: INVALID_CONTENT, state unchanged, then the right QIE_REQUEST is READY', async () => {
      const client = await identified();
      await sessionGoesOn(client);
      expect(await client.request('QIE_REQUEST', { frame_uuid: OTHER_UUID })).toMatchObject({
        name: 'INVALID_CONTENT',
        content: { code: CODES.QIE_REQUEST.code, error_message: expect.stringContaining('frame_uuid') },
      });
      expect(alice.server.emitterOwner).toBeNull();
      // Still waiting for QIE_REQUEST: QIE_TRIGGER is not expected yet.
      expect((await client.request('QIE_TRIGGER')).name).toBe('UNEXPECTED_COMMAND');
      expect((await client.request('QIE_REQUEST', { frame_uuid: FRAME_UUID })).name).toBe('QIE_READY');
      expect((await client.request('QIE_TRIGGER')).name).toBe('QIE_EMISSION_STARTED');
      expect((await client.request('QIE_ACQUISITION_ENDED')).name).toBe('QIE_ENDED');
    });

    it('FRAME_ENDED: INVALID_CONTENT, state unchanged, then the right FRAME_ENDED is acknowledged', async () => {
      const client = await identified();
      await sessionGoesOn(client);
      expect((await client.request('QIE_REQUEST', { frame_uuid: FRAME_UUID })).name).toBe('QIE_READY');
      expect((await client.request('QIE_TRIGGER')).name).toBe('QIE_EMISSION_STARTED');
      expect((await client.request('QIE_ACQUISITION_ENDED')).name).toBe('QIE_ENDED');
      expect((await client.request('PE_SYMBOLS_REQUEST', { indices: [0, 2] })).name).toBe('PE_SYMBOLS_RESPONSE');
      const estimation = { transmittance: 0.5, excess_noise: 0.1, key_rate: 200 };
      expect((await client.request('PE_FINISHED', estimation)).name).toBe('PE_APPROVED');
      expect((await client.request('EC_INITIALIZATION', { matrix: [[1, 1], [1, 1]], noise: 0.1 })).name).toBe('EC_READY');
      // No EC block carried key bits: the reconciled key is empty.
      const hash = keyHash(new Uint8Array());
      expect((await client.request('EC_VERIFICATION', { hash })).name).toBe('EC_VERIFICATION_SUCCESS');
      const pa = { seed: [1, 0, 1, 1, 0], secret_key_length: 200, subblock_length: 5, feedback_polynomial: [1, 1, 1, 0, 0] };
      expect((await client.request('PA_REQUEST', pa)).name).toBe('PA_SUCCESS');

      expect(await client.request('FRAME_ENDED', { frame_uuid: OTHER_UUID })).toMatchObject({
        name: 'INVALID_CONTENT',
        content: { code: CODES.FRAME_ENDED.code, error_message: expect.stringContaining('frame_uuid') },
      });
      // Still at the end of the frame: a new PA_REQUEST is not expected.
      expect((await client.request('PA_REQUEST', pa)).name).toBe('UNEXPECTED_COMMAND');
      expect(await client.request('FRAME_ENDED', { frame_uuid: FRAME_UUID })).toMatchObject({
        name: 'FRAME_ENDED_ACK',
        content: { frame_uuid: FRAME_UUID },
      });
      await sessionGoesOn(client);
    });
  });
});
