/**
 * Answers are written at the end of the event-loop turn (src/alice/outbox.ts):
 * in order, once per turn, and never lost to a close Alice decides in the
 * same turn.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Outbox } from '../src/alice/outbox.ts';
import { Code, describeCode } from '../src/protocol/codes.ts';
import { startTestAlice, type TestAlice } from './support/alice.ts';
import { RawClient } from './support/raw-client.ts';

describe('Outbox', () => {
  it('flushes its members after the current work, in the order they were added, each once', async () => {
    const outbox = new Outbox();
    const flushed: string[] = [];
    const member = (name: string) => ({ flushAnswers: () => flushed.push(name) });
    outbox.add(member('a'));
    outbox.add(member('b'));
    expect(flushed).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(flushed).toEqual(['a', 'b']);
    outbox.add(member('c'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(flushed).toEqual(['a', 'b', 'c']);
  });
});

describe('answers of one turn', () => {
  let alice: TestAlice | undefined;
  afterEach(async () => {
    await alice?.close();
    alice = undefined;
  });

  const identification = { serial_number: 'QOSST/0002', qosst_version: 'QOSST/0.2' };

  it('requests sent in one write get their answers in order', async () => {
    alice = await startTestAlice();
    const client = await RawClient.connect(alice.port);
    const bob = client.channel;
    const first = bob.seal(Code.IDENTIFICATION_REQUEST, identification);
    const frames = [first];
    // Each next request echoes a challenge Alice has not sent yet: sent ahead, they fail authentication, in order (two: a third would make Alice suspect a man in the middle).
    for (let i = 0; i < 2; i++) frames.push(bob.seal(Code.INVALID_RESPONSE, null));
    client.socket.write(Buffer.concat(frames));
    const names: string[] = [];
    for (let i = 0; i < 3; i++) {
      // Our client's chain expects the answer to its last request only: the earlier answers fail its own check, their codes still read.
      const inbound = await client.next();
      expect(inbound === null || inbound.kind === 'fatal').toBe(false);
      if (inbound !== null && inbound.kind !== 'fatal') names.push(describeCode(inbound.kind === 'message' ? inbound.message.code : inbound.code));
    }
    expect(names[0]).toBe('IDENTIFICATION_RESPONSE');
    expect(names.slice(1)).toEqual(['AUTHENTICATION_INVALID', 'AUTHENTICATION_INVALID']);
    client.socket.destroy();
  });

  it('an answer made in the turn Alice closes the connection still reaches the client before the close', async () => {
    alice = await startTestAlice();
    const client = await RawClient.connect(alice.port);
    const request = client.channel.seal(Code.IDENTIFICATION_REQUEST, identification);
    // A 16-byte header that is not JSON: the stream cannot be read on, Alice closes.
    const unreadable = Buffer.concat([Buffer.from([0x00, 0x10, 0x00, 0x20]), Buffer.alloc(32), Buffer.alloc(16, 0x61)]);
    client.socket.write(Buffer.concat([request, unreadable]));
    const answer = await client.next();
    expect(answer?.kind === 'message' && describeCode(answer.message.code)).toBe('IDENTIFICATION_RESPONSE');
    expect(await client.next()).toBeNull();
  });
});
