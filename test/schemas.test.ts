import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CODES, ERROR_CODES, MESSAGE_NAMES, PHASES, codeName, type MessageName } from '../src/protocol/codes.ts';
import { CONTENT, validateContent } from '../src/protocol/schemas.ts';
import { parseJsonText, pyStringify } from '../src/protocol/json.ts';
import { newChallenge, CHALLENGE_LENGTH } from '../src/protocol/challenge.ts';

describe('codes', () => {
  it('has the 59 messages of the specification, each inside its phase range', () => {
    expect(MESSAGE_NAMES).toHaveLength(59);
    for (const name of MESSAGE_NAMES) {
      const { code, phase } = CODES[name];
      expect(code).toBeGreaterThanOrEqual(PHASES[phase].first);
      expect(code).toBeLessThanOrEqual(PHASES[phase].last);
      expect(codeName(code)).toBe(name);
    }
  });

  it('keeps the specification spelling and the error codes', () => {
    expect(CODES.UNKOWN_COMMAND.code).toBe(10);
    expect(CODES.PARAMETER_UNKOWN.code).toBe(52);
    expect(ERROR_CODES).toEqual({ SOCKET_DISCONNECTION: -1, FRAME_ERROR: -2, AUTHENTICATION_FAILURE: -3, UNKOWN_CODE: -4 });
    expect(codeName(1000)).toBeUndefined();
  });
});

const UUID = '9f0b6ea4-9e8c-11ed-8b23-0028f86a9730';

/** For each message with content: one broken content and the field its error must name. */
const broken: Partial<Record<MessageName, [unknown, string]>> = {
  UNKOWN_COMMAND: [{ code: 'x' }, 'code'],
  UNEXPECTED_COMMAND: [{ error_message: 'x' }, 'code'],
  INVALID_CONTENT: [{ code: 1, error_message: 5 }, 'error_message'],
  INVALID_RESPONSE: [{ error_message: [] }, 'error_message'],
  ABORT: [{ abort_message: 1 }, 'abort_message'],
  CHANGE_PARAMETER_REQUEST: [{ parameter: 'qi.frame.roll_off' }, 'value'],
  PARAMETER_CHANGED: [{ parameter: 'p', old_value: 1 }, 'new_value'],
  PARAMETER_UNKOWN: [{}, 'parameter'],
  PARAMETER_INVALID_VALUE: [{ parameter: 'p' }, 'old_value'],
  PARAMETER_UNCHANGED: [{ parameter: 3, old_value: 1 }, 'parameter'],
  IDENTIFICATION_REQUEST: [{ serial_number: 'QOSST/0002' }, 'qosst_version'],
  IDENTIFICATION_RESPONSE: [{ serial_number: 2 }, 'serial_number'],
  INVALID_QOSST_VERSION: [{}, 'qosst_version'],
  INITIALIZATION_REQUEST: [{ frame_uuid: 'not-a-uuid', roll_off: 0.5 }, 'frame_uuid'],
  INITIALIZATION_DENIED: [{}, 'deny_message'],
  INITIALIZATION_PROPOSAL: [{ deny_message: null }, 'deny_message'],
  INITIALIZATION_CONFIG: [{}, 'config'],
  QIE_REQUEST: [{ frame_uuid: 'abc' }, 'frame_uuid'],
  PE_SYMBOLS_REQUEST: [{ indices: [1, -2] }, 'indices.1'],
  PE_SYMBOLS_RESPONSE: [{ symbols_real: [1], symbols_imag: [1, 2] }, 'symbols_imag'],
  PE_SYMBOLS_ERROR: [{}, 'error_message'],
  PE_NPHOTON_RESPONSE: [{ n_photon: '1.5' }, 'n_photon'],
  PE_FINISHED: [{ transmittance: 0.5, excess_noise: 0.1 }, 'key_rate'],
  PE_DENIED: [{}, 'deny_message'],
  EC_INITIALIZATION: [{ matrix: [[1, 'a']], noise: 0.1 }, 'matrix.0.1'],
  EC_DENIED: [{}, 'error_message'],
  EC_BLOCK: [{ syndrome: 'abc' }, 'syndrome'],
  EC_BLOCK_ERROR: [{}, 'error_message'],
  EC_REMAINING_ERROR: [{}, 'error_message'],
  EC_VERIFICATION: [{ hash: 1.5 }, 'hash'],
  EC_VERIFICATION_FAIL: [{}, 'error_message'],
  PA_REQUEST: [{ seed: [1, 2], secret_key_length: 2000, subblock_length: 5, feedback_polynomial: [1] }, 'seed.1'],
  PA_ERROR: [{}, 'error_message'],
  FRAME_ENDED: [{ frame_uuid: 12 }, 'frame_uuid'],
  FRAME_ENDED_ACK: [{}, 'frame_uuid'],
};

describe('content schemas', () => {
  for (const name of MESSAGE_NAMES) {
    const spec = CONTENT[name];
    if (spec.content === 'none') {
      it(`${name} takes no content`, () => {
        expect(validateContent(name, null)).toEqual({ ok: true, content: null });
        expect(validateContent(name, { anything: 1 })).toEqual({ ok: false, error: `${name} takes no content` });
      });
    } else {
      it(`${name}: a broken content names the field`, () => {
        const [content, field] = broken[name] ?? [undefined, ''];
        if (content !== undefined) {
          const result = validateContent(name, content);
          expect(result.ok).toBe(false);
          if (!result.ok) expect(result.error).toContain(`${name}: ${field}:`);
        }
        const absent = validateContent(name, null);
        expect(absent.ok).toBe(spec.content === 'optional');
        if (!absent.ok) expect(absent.error).toBe(`${name} requires content`);
      });
    }
  }

  it('INITIALIZATION_REQUEST keeps any extra parameters', () => {
    expect(validateContent('INITIALIZATION_REQUEST', { frame_uuid: UUID, roll_off: 0.5, n: 2 })).toEqual({
      ok: true,
      content: { frame_uuid: UUID, roll_off: 0.5, n: 2 },
    });
  });

  it('QIE_REQUEST may come with no content or no frame_uuid (wire notes 12)', () => {
    expect(validateContent('QIE_REQUEST', null)).toEqual({ ok: true, content: null });
    expect(validateContent('QIE_REQUEST', {})).toEqual({ ok: true, content: {} });
    expect(validateContent('QIE_REQUEST', { frame_uuid: UUID }).ok).toBe(true);
  });

  it('EC_VERIFICATION accepts an integer above 2^53 as bigint, and negative hashes', () => {
    expect(validateContent('EC_VERIFICATION', { hash: 385789897481570657n })).toEqual({ ok: true, content: { hash: 385789897481570657n } });
    expect(validateContent('EC_VERIFICATION', { hash: -5 }).ok).toBe(true);
  });

  it('error_message is optional where the specification says so', () => {
    expect(validateContent('UNEXPECTED_COMMAND', { code: 200 }).ok).toBe(true);
    expect(validateContent('PARAMETER_INVALID_VALUE', { parameter: 'p', old_value: 0.5 }).ok).toBe(true);
    expect(validateContent('PE_SYMBOLS_ERROR', {}).ok).toBe(false);
  });
});

describe('JSON as Python writes it', () => {
  it('uses Python separators, escapes non-ASCII, and keeps big integers exact', () => {
    expect(pyStringify({ a: [1, 2.5, 'é'], b: null, c: true, 'ü': 'x"\n' })).toBe('{"a": [1, 2.5, "\\u00e9"], "b": null, "c": true, "\\u00fc": "x\\"\\n"}');
    expect(pyStringify({ emoji: '😀' })).toBe('{"emoji": "\\ud83d\\ude00"}');
    const parsed = parseJsonText('{"hash": 385789897481570657, "small": 12345678901234567890.5, "neg": -9223372036854775808}');
    expect(parsed).toEqual({ ok: true, value: { hash: 385789897481570657n, small: 12345678901234567890.5, neg: -9223372036854775808n } });
    expect(pyStringify(parsed.ok && parsed.value)).toBe('{"hash": 385789897481570657, "small": 1.2345678901234567e+19, "neg": -9223372036854775808}');
  });

  it('writes arrays of numbers exactly as element by element, whichever path it takes', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.maxSafeInteger())), (xs) => {
        expect(pyStringify(xs)).toBe(`[${xs.map((x) => pyStringify(x)).join(', ')}]`);
      }),
    );
    const long = Array.from({ length: 5000 }, (_, i) => (i % 97 === 0 ? 1e-5 * i : Math.sin(i) * 1.7));
    expect(pyStringify(long)).toBe(`[${long.map((x) => pyStringify(x)).join(', ')}]`);
    expect(pyStringify([0.5, 1e-5, 2])).toBe('[0.5, 1e-05, 2]');
    expect(pyStringify([0.5, 2 ** 60])).toBe('[0.5, 1.152921504606847e+18]');
  });

  it('keeps long floats as numbers and long integers as bigints', () => {
    expect(parseJsonText('{"x": [0.12345678901234567, 1.2345678901234567e+30, 12345678901234567]}')).toEqual({
      ok: true,
      value: { x: [0.12345678901234567, 1.2345678901234567e30, 12345678901234567n] },
    });
  });

  it('parse errors are values', () => {
    expect(parseJsonText('{"a": 1,}')).toMatchObject({ ok: false });
    expect(parseJsonText('{"a": 12345678901234567,}')).toMatchObject({ ok: false });
  });
});

describe('challenges', () => {
  it('are 15 characters of [A-Za-z0-9], fresh each time', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const c = newChallenge();
      expect(c).toMatch(new RegExp(`^[A-Za-z0-9]{${CHALLENGE_LENGTH}}$`));
      seen.add(c);
    }
    expect(seen.size).toBe(1000);
  });

  it('draws every character of the alphabet', () => {
    const chars = new Set(Array.from({ length: 400 }, newChallenge).join(''));
    expect(chars.size).toBe(62);
  });
});
