import { describe, expect, it } from 'vitest';
import { parseJsonText, pyStringify } from '../src/protocol/json.ts';

// Expected texts are Python 3's `json.dumps` of the same strings (ensure_ascii, the default).
const PIECE = 'Grüße, 東京 😀\x7f\ud800 "q" \\ \n';
const PIECE_PY = String.raw`Gr\u00fc\u00dfe, \u6771\u4eac \ud83d\ude00\u007f\ud800 \"q\" \\ \n`;

describe('strings as Python json.dumps writes them', () => {
  it('escapes DEL, every non-ASCII code unit (astral ones as their surrogates) and lone surrogates', () => {
    expect(pyStringify(PIECE)).toBe(`"${PIECE_PY}"`);
    expect(pyStringify('\u0001\u001f\b\f\t\x7f\x80\u2028\uffff')).toBe(String.raw`"\u0001\u001f\b\f\t\u007f\u0080\u2028\uffff"`);
    expect(pyStringify({ 'ü\x7f': 'ok' })).toBe(String.raw`{"\u00fc\u007f": "ok"}`);
  });

  it('a long string (a million code units) is escaped the same way throughout', () => {
    const count = Math.ceil(1_000_000 / PIECE.length);
    expect(pyStringify(PIECE.repeat(count))).toBe(`"${PIECE_PY.repeat(count)}"`);
    const wide = 'é'.repeat(1_000_000);
    expect(pyStringify(wide)).toBe(`"${'\\u00e9'.repeat(1_000_000)}"`);
  });

  it('reads back what it writes', () => {
    const text = pyStringify({ m: PIECE.repeat(1000) });
    expect(parseJsonText(text)).toEqual({ ok: true, value: { m: PIECE.repeat(1000) } });
  });
});

describe('numbers after the native parse', () => {
  it('an integer above 2^53 stays exact, in a long array of floats too', () => {
    const floats = Array.from({ length: 5000 }, (_, i) => `${i}.25`).join(', ');
    expect(parseJsonText(`{"xs": [${floats}], "hash": 385789897481570657}`)).toMatchObject({ ok: true, value: { hash: 385789897481570657n } });
    expect(parseJsonText('[9007199254740993]')).toEqual({ ok: true, value: [9007199254740993n] });
    expect(parseJsonText('[-9007199254740993]')).toEqual({ ok: true, value: [-9007199254740993n] });
  });

  it('a 16-digit float or a large float literal is a number, written back as Python does', () => {
    const text = '{"x": 0.1234567890123456, "big": 1e+16, "huge": 1.5e+300, "n": 9007199254740991}';
    const parsed = parseJsonText(text);
    expect(parsed).toEqual({ ok: true, value: { x: 0.1234567890123456, big: 1e16, huge: 1.5e300, n: 9007199254740991 } });
    expect(pyStringify((parsed as { value: unknown }).value)).toBe(text);
  });
});

describe('deep nesting', () => {
  it('a 100 000-deep array: parsed natively without exhausting the stack; never a throw on the lossless path', () => {
    const deep = `${'['.repeat(100_000)}1${']'.repeat(100_000)}`;
    expect(parseJsonText(`{"x": ${deep}}`).ok).toBe(true);
    // The lossless parser recurses: there the deep text is refused as a value, never thrown.
    expect(() => parseJsonText(`{"x": ${deep}, "h": 385789897481570657}`)).not.toThrow();
  });
});
