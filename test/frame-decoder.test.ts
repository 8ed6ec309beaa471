import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { noneAuthenticator } from '../src/protocol/auth/none.ts';
import { Code, MESSAGE_NAMES, CODES } from '../src/protocol/codes.ts';
import { encodeFrame, FrameDecoder, type Decoded, type HeaderOrder } from '../src/protocol/frame.ts';
import { pyStringify } from '../src/protocol/json.ts';

/** Builds a frame by hand, so that header and content can be anything at all. */
function rawFrame(header: string | Buffer, content: string | Buffer = '', order: HeaderOrder = 'deployed'): Buffer {
  const h = Buffer.from(header);
  const c = Buffer.from(content);
  const sig = Buffer.alloc(32, 7);
  const fixed = Buffer.alloc(4);
  fixed.writeUInt16BE(order === 'deployed' ? h.length : 32, 0);
  fixed.writeUInt16BE(order === 'deployed' ? 32 : h.length, 2);
  return Buffer.concat([fixed, sig, h, c]);
}

const header = (fields: Record<string, unknown>) => pyStringify({ code: 100, content_length: 0, challenge: '', next_challenge: 'x', ...fields });

function decodeAll(bytes: Buffer, options = {}): Decoded[] {
  const d = new FrameDecoder(options);
  return [...d.push(bytes), ...d.end()];
}

function errorOf(bytes: Buffer, options = {}) {
  const [first] = decodeAll(bytes, options);
  if (first === undefined || first.ok) throw new Error('expected an error value');
  return first;
}

describe('malformed frames give error values, never exceptions', () => {
  it('truncated frame at end of stream -> FRAME_ERROR', () => {
    const whole = encodeFrame({ code: Code.QIE_READY, challenge: 'a', nextChallenge: 'b' }, noneAuthenticator);
    for (const cut of [1, 3, 4, 20, whole.length - 1]) {
      expect(errorOf(whole.subarray(0, cut))).toMatchObject({ error: 'FRAME_ERROR', fatal: true });
    }
    expect(errorOf(whole.subarray(0, 20)).reason).toMatch(/stream ended/);
  });

  it('header that is not JSON -> fatal FRAME_ERROR', () => {
    expect(errorOf(rawFrame('{"code": 1'))).toMatchObject({ error: 'FRAME_ERROR', fatal: true, reason: expect.stringMatching(/not valid JSON/) });
  });

  it('header that is not an object -> fatal FRAME_ERROR', () => {
    expect(errorOf(rawFrame('[1, 2]'))).toMatchObject({ error: 'FRAME_ERROR', fatal: true });
  });

  for (const key of ['code', 'content_length', 'challenge', 'next_challenge']) {
    it(`header lacking "${key}" -> fatal FRAME_ERROR naming it`, () => {
      const fields: Record<string, unknown> = { code: 100, content_length: 0, challenge: '', next_challenge: 'x' };
      delete fields[key];
      expect(errorOf(rawFrame(pyStringify(fields)))).toMatchObject({ error: 'FRAME_ERROR', fatal: true, reason: `header lacks "${key}"` });
    });
  }

  it('header fields of the wrong type -> FRAME_ERROR', () => {
    expect(errorOf(rawFrame(header({ code: '100' }))).reason).toMatch(/code/);
    expect(errorOf(rawFrame(header({ content_length: -1 }))).reason).toMatch(/content_length/);
    expect(errorOf(rawFrame(header({ challenge: 5 }))).reason).toMatch(/challenge/);
  });

  it('extra header keys, in any order, are tolerated', () => {
    const [d] = decodeAll(rawFrame('{"next_challenge": "n", "extra": true, "challenge": "c", "content_length": 0, "code": 222}'));
    expect(d).toMatchObject({ ok: true, message: { name: 'DISCONNECTION', content: null } });
  });

  it('content that is not JSON -> FRAME_ERROR, stream goes on', () => {
    const bad = rawFrame(header({ code: 120, content_length: 5 }), '{"a":');
    const good = rawFrame(header({ code: 222 }));
    const out = decodeAll(Buffer.concat([bad, good]));
    expect(out[0]).toMatchObject({ ok: false, error: 'FRAME_ERROR', fatal: false, frame: { header: { code: 120 } } });
    expect(out[1]).toMatchObject({ ok: true, message: { name: 'DISCONNECTION' } });
  });

  it('content that is not an object -> FRAME_ERROR', () => {
    for (const content of ['[1, 2]', '42', '"text"', 'null']) {
      const e = errorOf(rawFrame(header({ code: 160, content_length: content.length }), content));
      expect(e).toMatchObject({ error: 'FRAME_ERROR', fatal: false, reason: 'content is not a JSON object' });
    }
  });

  it('invalid UTF-8 -> FRAME_ERROR', () => {
    const content = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]);
    expect(errorOf(rawFrame(header({ code: 120, content_length: content.length }), content))).toMatchObject({
      error: 'FRAME_ERROR',
      reason: 'content is not valid UTF-8',
    });
    expect(errorOf(rawFrame(Buffer.from([0x7b, 0xc3, 0x28, 0x7d]))).reason).toMatch(/UTF-8/);
  });

  it('a code outside the specification -> UNKOWN_CODE with the frame, stream goes on', () => {
    const out = decodeAll(Buffer.concat([rawFrame(header({ code: 1000 })), rawFrame(header({ code: 222 }))]));
    expect(out[0]).toMatchObject({ ok: false, error: 'UNKOWN_CODE', fatal: false, frame: { header: { code: 1000 } } });
    expect(out[1]).toMatchObject({ ok: true });
  });

  it('content above the limit is refused from the header, before it is buffered', () => {
    const decoder = new FrameDecoder({ maxContentLength: 1000 });
    const head = rawFrame(header({ code: 183, content_length: 1001 }));
    const out = decoder.push(head);
    expect(out).toEqual([{ ok: false, error: 'FRAME_ERROR', fatal: true, reason: 'content_length 1001 exceeds the limit of 1000 bytes' }]);
    expect(decoder.push(Buffer.alloc(1001, 0x20))).toEqual([]);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('the prose header order is an explicit option', () => {
    const frame = encodeFrame({ code: Code.ABORT, content: { abort_message: 'x' }, challenge: 'a', nextChallenge: 'b' }, noneAuthenticator, 'spec');
    expect(frame.readUInt16BE(0)).toBe(32);
    expect(decodeAll(frame, { headerOrder: 'spec' })[0]).toMatchObject({ ok: true, message: { name: 'ABORT' } });
    // Read in the deployed order, the same bytes are garbage, reported as an error value.
    expect(decodeAll(frame)[0]).toMatchObject({ ok: false, error: 'FRAME_ERROR' });
  });

  it('50 MB of content decodes from 64 KiB chunks', () => {
    const symbols = Array.from({ length: 3_000_000 }, (_, i) => (i % 1000) / 7);
    const frame = encodeFrame({ code: Code.EC_BLOCK, content: { syndrome: symbols }, challenge: 'a', nextChallenge: 'b' }, noneAuthenticator);
    expect(frame.length).toBeGreaterThan(50_000_000);
    const decoder = new FrameDecoder();
    const out: Decoded[] = [];
    for (let i = 0; i < frame.length; i += 65536) out.push(...decoder.push(frame.subarray(i, i + 65536)));
    expect(out).toHaveLength(1);
    const d = out[0]!;
    expect(d.ok && (d.message.content!.syndrome as number[]).length).toBe(symbols.length);
  });
});

const challenge = fc.stringMatching(/^[A-Za-z0-9]{0,15}$/);
const jsonContent = fc.dictionary(
  fc.string({ maxLength: 8 }),
  fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 5 })),
  { maxKeys: 5 },
);
const message = fc.record({
  code: fc.constantFrom(...MESSAGE_NAMES.map((n) => CODES[n].code)),
  content: fc.option(jsonContent, { nil: null }),
  challenge,
  nextChallenge: challenge,
});

/** Splits bytes at random cut points. */
function chunked(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(at, p));
    at = p;
  }
  return out;
}

describe('properties', () => {
  it('random valid frames cut into random chunks decode to the same messages', () => {
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 30 }), (msgs, cuts) => {
        const stream = Buffer.concat(msgs.map((m) => encodeFrame(m, noneAuthenticator)));
        const decoder = new FrameDecoder();
        const out = chunked(stream, cuts).flatMap((c) => decoder.push(c));
        expect(decoder.end()).toEqual([]);
        expect(out.map((d) => d.ok && { code: d.message.code, content: d.message.content, challenge: d.frame.header.challenge }))
          .toEqual(msgs.map((m) => ({ code: m.code, content: m.content === null ? null : normalise(m.content), challenge: m.challenge })));
      }),
    );
  });

  it('feed and next cut out each frame\'s exact bytes, however the stream is chunked (many small chunks included)', () => {
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 300 }), (msgs, cuts) => {
        const frames = msgs.map((m) => encodeFrame(m, noneAuthenticator));
        const decoder = new FrameDecoder();
        const out = [];
        for (const chunk of chunked(Buffer.concat(frames), cuts)) {
          decoder.feed(chunk);
          for (let d = decoder.next(); d !== null; d = decoder.next()) out.push(d);
        }
        expect(decoder.bufferedBytes).toBe(0);
        expect(decoder.inFrame).toBe(false);
        expect(out).toHaveLength(frames.length);
        out.forEach((d, i) => {
          if ('ok' in d) throw new Error(d.reason);
          const { signature, headerBytes, contentBytes } = d;
          expect(Buffer.concat([frames[i]!.subarray(0, 4), signature, headerBytes, contentBytes]).equals(frames[i]!)).toBe(true);
          expect(d.header.code).toBe(msgs[i]!.code);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('a content of hundreds of one-byte chunks, its last byte in the chunk that brings the next frame', () => {
    const content = { text: 'x'.repeat(300) };
    const a = encodeFrame({ code: Code.ABORT, content: { abort_message: content.text }, challenge: 'a', nextChallenge: 'b' }, noneAuthenticator);
    const b = encodeFrame({ code: Code.DISCONNECTION, challenge: 'b', nextChallenge: 'c' }, noneAuthenticator);
    const decoder = new FrameDecoder();
    const out = [];
    for (let i = 0; i < a.length - 1; i++) out.push(...decoder.push(a.subarray(i, i + 1)));
    out.push(...decoder.push(Buffer.concat([a.subarray(a.length - 1), b])));
    expect(out.map((d) => d.ok && d.message)).toEqual([
      { code: Code.ABORT, name: 'ABORT', content: { abort_message: content.text } },
      { code: Code.DISCONNECTION, name: 'DISCONNECTION', content: null },
    ]);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('next gives nothing more after an error value', () => {
    const decoder = new FrameDecoder();
    decoder.feed(rawFrame('[1]'));
    expect(decoder.next()).toMatchObject({ ok: false, fatal: true });
    decoder.feed(rawFrame(header({ code: 222 })));
    expect(decoder.next()).toBeNull();
  });

  it('byte by byte decoding gives the same message', () => {
    fc.assert(
      fc.property(message, (m) => {
        const bytes = encodeFrame(m, noneAuthenticator);
        const decoder = new FrameDecoder();
        const out: Decoded[] = [];
        for (let i = 0; i < bytes.length; i++) out.push(...decoder.push(bytes.subarray(i, i + 1)));
        expect(out).toHaveLength(1);
        expect(out[0]!.ok && out[0]!.message.code).toBe(m.code);
      }),
      { numRuns: 50 },
    );
  });

  it('random bytes never make the decoder throw', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 10 }), (chunks) => {
        const decoder = new FrameDecoder({ maxContentLength: 1 << 16 });
        for (const c of chunks) for (const d of decoder.push(Buffer.from(c))) expect(typeof d.ok).toBe('boolean');
        decoder.end();
      }),
      { numRuns: 2000 },
    );
  });

  it('random header lengths and contents never make the decoder throw', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.nat(2000), (h, c, cl) => {
        const head = h.startsWith('{') ? h : header({ content_length: cl, code: 100 + (cl % 130) });
        decodeAll(rawFrame(head, c));
      }),
      { numRuns: 1000 },
    );
  });

  it('a header announcing content above the limit is refused without buffering it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1001, max: 2 ** 40 }), (length) => {
        const decoder = new FrameDecoder({ maxContentLength: 1000 });
        const [d] = decoder.push(rawFrame(header({ content_length: length })));
        expect(d).toMatchObject({ ok: false, fatal: true, error: 'FRAME_ERROR' });
        decoder.push(Buffer.alloc(2000));
        expect(decoder.bufferedBytes).toBe(0);
      }),
    );
  });
});

/** What a receiver reads back: -0 as 0 (Python would write -0.0; JSON.stringify drops the sign). */
/** fc.string() draws printable ASCII only, so no content string is this stand-in for -0. */
const NEGATIVE_ZERO = '\u0000-0';

/** The content as the wire carries it: what JSON keeps, and -0, which we write as Python does (`-0.0`). */
function normalise(content: Record<string, unknown>): Record<string, unknown> {
  const text = JSON.stringify(content, (_key, v: unknown) => (Object.is(v, -0) ? NEGATIVE_ZERO : v));
  return JSON.parse(text, (_key, v: unknown) => (v === NEGATIVE_ZERO ? -0 : v)) as Record<string, unknown>;
}
