import { describe, expect, it } from 'vitest';
import { noneAuthenticator } from '../src/protocol/auth/none.ts';
import { Channel } from '../src/protocol/channel.ts';
import { CODES, MESSAGE_NAMES } from '../src/protocol/codes.ts';
import { encodeFrame, FrameDecoder, frameDigest, type Decoded } from '../src/protocol/frame.ts';
import { validateContent } from '../src/protocol/schemas.ts';
import { conversation, vectorFrames } from './support/vectors.ts';

function decodeOne(bytes: Buffer): Decoded {
  const out = new FrameDecoder().push(bytes);
  expect(out).toHaveLength(1);
  return out[0]!;
}

describe('frames-none.json (deployed peers, no authentication)', () => {
  const frames = vectorFrames('frames-none.json');

  it('holds one frame for each of the 59 messages', () => {
    expect(frames.map((f) => f.name).sort()).toEqual([...MESSAGE_NAMES].sort());
  });

  for (const v of frames) {
    it(`${v.name}: decodes, verifies, validates and re-encodes`, () => {
      const bytes = Buffer.from(v.frame_hex, 'hex');
      expect(bytes.readUInt16BE(0)).toBe(v.header_length);
      expect(bytes.readUInt16BE(2)).toBe(v.digest_length);
      const d = decodeOne(bytes);
      if (!d.ok) throw new Error(d.reason);
      expect(d.message.name).toBe(v.name);
      expect(d.message.code).toBe(CODES[d.message.name].code);
      expect(d.message.content).toEqual(v.content);
      expect(d.frame.header.challenge).toBe(v.challenge);
      expect(d.frame.header.next_challenge).toBe(v.next_challenge);
      expect(noneAuthenticator.verify(frameDigest(d.frame.headerBytes, d.frame.contentBytes), d.frame.signature)).toBe(true);
      expect(validateContent(d.message.name, d.message.content)).toMatchObject({ ok: true });

      // Our encoder writes exactly what the Python peers write.
      const again = encodeFrame(
        { code: v.code, content: d.message.content, challenge: v.challenge, nextChallenge: v.next_challenge },
        noneAuthenticator,
      );
      expect(again.toString('hex')).toBe(v.frame_hex);
      const d2 = decodeOne(again);
      expect(d2.ok && d2.message).toEqual(d.message);
    });
  }

  it('keeps the EC_VERIFICATION hash above 2^53 exact', () => {
    const v = frames.find((f) => f.name === 'EC_VERIFICATION')!;
    const d = decodeOne(Buffer.from(v.frame_hex, 'hex'));
    expect(d.ok && d.message.content).toEqual({ hash: 385789897481570657n });
  });
});

describe('conversation-none.json (a whole frame between the deployed Bob and Alice)', () => {
  it("each side's receiver accepts the other's frames in order through its challenge chain", () => {
    const sides = { alice: new Channel('alice', noneAuthenticator), bob: new Channel('bob', noneAuthenticator) };
    const decoders = { alice: new FrameDecoder(), bob: new FrameDecoder() };
    const names: string[] = [];
    for (const { from, frame_hex } of conversation()) {
      const to = from === 'alice' ? 'bob' : 'alice';
      const [decoded] = decoders[to].push(Buffer.from(frame_hex, 'hex'));
      const inbound = sides[to].open(decoded!);
      if (inbound.kind !== 'message') throw new Error(`${to} refused a frame from ${from}: ${JSON.stringify(inbound)}`);
      expect(validateContent(inbound.message.name, inbound.message.content)).toMatchObject({ ok: true });
      names.push(inbound.message.name);
      // The sender's own chain records what it asked the receiver to echo.
      sides[from].chain.issue(inbound.frame.header.next_challenge);
    }
    expect(names[0]).toBe('IDENTIFICATION_REQUEST');
    expect(names.at(-1)).toBe('DISCONNECTION_ACK');
  });

  it('a frame out of order breaks the chain', () => {
    const frames = conversation();
    const alice = new Channel('alice', noneAuthenticator);
    const decoder = new FrameDecoder();
    const open = (i: number) => alice.open(decoder.push(Buffer.from(frames[i]!.frame_hex, 'hex'))[0]!);
    expect(open(0).kind).toBe('message');
    alice.chain.issue('rvxTt5kRQqthel0');
    // Bob's third frame (QIE_REQUEST) answers a challenge Alice has not issued yet.
    expect(open(4)).toMatchObject({ kind: 'authentication-failure' });
  });
});
