/**
 * The deployed peers' conversation (conversation-none.json) replayed against
 * Bob's statechart and a Bob-side channel: every request Bob made is one his
 * chart allows, and every answer of the deployed Alice verifies and is an
 * answer the chart accepts, up to the final state.
 */
import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import type { OutcomeEvent, SendEvent } from '../machines/bob.ts';
import { bobSessionMachine } from '../machines/bob-session.ts';
import { noneAuthenticator } from '../src/protocol/auth/none.ts';
import { Channel } from '../src/protocol/channel.ts';
import { FrameDecoder, type Decoded } from '../src/protocol/frame.ts';
import { validateContent } from '../src/protocol/schemas.ts';
import { conversation } from './support/vectors.ts';

function decodeOne(decoder: FrameDecoder, hex: string): Decoded {
  const out = decoder.push(Buffer.from(hex, 'hex'));
  expect(out).toHaveLength(1);
  return out[0]!;
}

function startBob() {
  const actor = createActor(bobSessionMachine);
  const sent: SendEvent[] = [];
  const outcomes: OutcomeEvent[] = [];
  actor.on('send', (e) => sent.push(e));
  actor.on('outcome', (e) => outcomes.push(e));
  actor.start();
  return { actor, sent, outcomes };
}

describe("conversation-none.json through Bob's statechart and receiver", () => {
  const frames = conversation();

  it('alternates Bob request, Alice answer', () => {
    expect(frames.length % 2).toBe(0);
    frames.forEach((f, i) => expect(f.from).toBe(i % 2 === 0 ? 'bob' : 'alice'));
  });

  it("accepts the deployed Alice's answers in order, each an allowed answer, to the final state", () => {
    const { actor, sent, outcomes } = startBob();
    const channel = new Channel('bob', noneAuthenticator);
    const bobFrames = new FrameDecoder();
    const receiver = new FrameDecoder();
    const exchanged: string[] = [];

    for (let i = 0; i < frames.length; i += 2) {
      // Bob's request, as the deployed Bob wrote it.
      const request = decodeOne(bobFrames, frames[i]!.frame_hex);
      if (!request.ok) throw new Error(`Bob's frame ${i}: ${request.reason}`);
      const { name, content } = request.message;
      // It echoes what Alice asked for last, and Bob's chain records what he asks Alice to echo.
      expect(request.frame.header.challenge).toBe(channel.chain.peer);
      channel.chain.issue(request.frame.header.next_challenge);

      const event = { type: `request.${name}` as const, content };
      expect(actor.getSnapshot().can(event), `${name} allowed in ${JSON.stringify(actor.getSnapshot().value)}`).toBe(true);
      actor.send(event);
      expect(sent.at(-1)).toEqual({ type: 'send', name, content });

      // Alice's answer, opened by Bob's receiver: signature and challenge verify.
      const inbound = channel.open(decodeOne(receiver, frames[i + 1]!.frame_hex));
      if (inbound.kind !== 'message') throw new Error(`Alice's answer to ${name} refused: ${JSON.stringify(inbound)}`);
      const answer = inbound.message;
      expect(validateContent(answer.name, answer.content)).toMatchObject({ ok: true });
      const before = outcomes.length;
      actor.send({ type: `answer.${answer.name}`, name: answer.name, content: answer.content });
      expect(outcomes.length).toBe(before + 1);
      expect(outcomes.at(-1)).toEqual({ type: 'outcome', kind: 'answered', request: name, answer: answer.name, content: answer.content });
      exchanged.push(`${name} -> ${answer.name}`);

      if (answer.name === 'INITIALIZATION_ACCEPTED') expect(actor.getSnapshot().context.frameUuid).toBe(content!.frame_uuid);
      if (answer.name === 'FRAME_ENDED_ACK') expect(actor.getSnapshot().context.frameUuid).toBeNull();
    }

    expect(exchanged[0]).toBe('IDENTIFICATION_REQUEST -> IDENTIFICATION_RESPONSE');
    expect(exchanged.at(-1)).toBe('DISCONNECTION -> DISCONNECTION_ACK');
    expect(sent).toHaveLength(frames.length / 2);
    expect(actor.getSnapshot().status).toBe('done');
    expect(actor.getSnapshot().value).toBe('disconnected');
  });

  it("an answer replayed out of order does not verify: Bob's chart loses the authentication", () => {
    const { actor, outcomes } = startBob();
    const channel = new Channel('bob', noneAuthenticator);
    const bobFrames = new FrameDecoder();
    const receiver = new FrameDecoder();
    const request = decodeOne(bobFrames, frames[0]!.frame_hex);
    if (!request.ok) throw new Error(request.reason);
    channel.chain.issue(request.frame.header.next_challenge);
    actor.send({ type: 'request.IDENTIFICATION_REQUEST', content: request.message.content });
    // Alice's second answer (INITIALIZATION_ACCEPTED) instead of her first.
    const inbound = channel.open(decodeOne(receiver, frames[3]!.frame_hex));
    expect(inbound).toMatchObject({ kind: 'authentication-failure' });
    actor.send({ type: 'link.authentication-failure', reason: (inbound as { reason: string }).reason });
    expect(outcomes.at(-1)).toMatchObject({ kind: 'authentication-lost', request: 'IDENTIFICATION_REQUEST' });
    expect(actor.getSnapshot().context.identified).toBe(false);
  });
});
