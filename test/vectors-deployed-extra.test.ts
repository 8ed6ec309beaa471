import { describe, expect, it } from 'vitest';
import { noneAuthenticator } from '../src/protocol/auth/none.ts';
import { encodeFrame, FrameDecoder, frameDigest } from '../src/protocol/frame.ts';
import { parseJsonText } from '../src/protocol/json.ts';
import { validateContent } from '../src/protocol/schemas.ts';
import { readVector } from './support/vectors.ts';

interface ExtraFrame {
  name: string;
  code: number;
  why: string;
  frame_hex: string;
  content_text: string;
}

const frames = readVector('frames-deployed-extra.json').frames as unknown as ExtraFrame[];

/** What each schema makes of these contents (PE_FINISHED takes any number: Alice's estimation policy denies the non-finite ones). */
const VALID: Record<string, boolean> = {
  'PE_FINISHED:deployed Bob when Alice reported 0 photons': true,
  'PE_FINISHED:non-finite estimates': true,
  'PE_SYMBOLS_RESPONSE:non-finite symbols': false,
  'CHANGE_PARAMETER_REQUEST:deployed configuration path and units': true,
  'CHANGE_PARAMETER_REQUEST:deployed configuration path': true,
  'EC_VERIFICATION:unsafe integer and NaN in one content': true,
  'PA_REQUEST:newer deployed post-processing form': true,
};

describe('frames-deployed-extra.json (non-finite numbers, deployed names and forms)', () => {
  it('holds the seven frames', () => {
    expect(frames).toHaveLength(7);
  });

  it('were sent in a row: each echoes the previous next_challenge', () => {
    let challenge = '';
    for (const v of frames) {
      const d = new FrameDecoder().push(Buffer.from(v.frame_hex, 'hex'))[0]!;
      if (!d.ok) throw new Error(d.reason);
      expect(d.frame.header.challenge).toBe(challenge);
      challenge = d.frame.header.next_challenge;
    }
  });

  for (const v of frames) {
    it(`${v.name} (${v.why}): decodes, verifies and re-encodes byte for byte`, () => {
      const bytes = Buffer.from(v.frame_hex, 'hex');
      const out = new FrameDecoder().push(bytes);
      expect(out).toHaveLength(1);
      const d = out[0]!;
      if (!d.ok) throw new Error(d.reason);
      expect(d.message.name).toBe(v.name);
      expect(d.frame.contentBytes.toString('latin1')).toBe(v.content_text);
      expect(d.message.content).toEqual((parseJsonText(v.content_text) as { value: unknown }).value);
      expect(noneAuthenticator.verify(frameDigest(d.frame.headerBytes, d.frame.contentBytes), d.frame.signature)).toBe(true);

      const again = encodeFrame(
        { code: v.code, content: d.message.content, challenge: d.frame.header.challenge, nextChallenge: d.frame.header.next_challenge },
        noneAuthenticator,
      );
      expect(again.toString('hex')).toBe(v.frame_hex);

      const expected = VALID[`${v.name}:${v.why}`];
      if (expected !== undefined) expect(validateContent(v.name as never, d.message.content).ok).toBe(expected);
    });
  }

  it('decodes the non-finite values as numbers', () => {
    const content = (name: string, why: string) => {
      const v = frames.find((f) => f.name === name && f.why === why)!;
      const d = new FrameDecoder().push(Buffer.from(v.frame_hex, 'hex'))[0]!;
      return d.ok ? d.message.content : d.reason;
    };
    expect(content('PE_FINISHED', 'deployed Bob when Alice reported 0 photons')).toMatchObject({ transmittance: Infinity, n_photon: 0 });
    expect(content('PE_FINISHED', 'non-finite estimates')).toMatchObject({ transmittance: NaN, excess_noise: -Infinity, key_rate: NaN });
    expect(content('PE_SYMBOLS_RESPONSE', 'non-finite symbols')).toEqual({ symbols_real: [0.5, NaN, -1.25], symbols_imag: [Infinity, 0, -0] });
    expect(content('EC_VERIFICATION', 'unsafe integer and NaN in one content')).toEqual({ hash: 385789897481570657n, extra: NaN });
  });
});
