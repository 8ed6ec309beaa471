import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseJsonBytes, parseJsonText, pyStringify } from '../src/protocol/json.ts';

const parsed = (text: string) => {
  const result = parseJsonText(text);
  if (!result.ok) throw new Error(result.reason);
  return result.value;
};

// A 16-digit integer sends the text through lossless-json; without one it goes through JSON.parse.
const LONG = 385789897481570657n;

describe('non-finite numbers, as Python json reads and writes them', () => {
  for (const [path, extra, extraValue] of [
    ['native', '1', 1],
    ['lossless (an integer above 2^53 present)', String(LONG), LONG],
  ] as const) {
    it(`decodes bare NaN, Infinity, -Infinity (${path} path)`, () => {
      const value = parsed(`{"t": Infinity, "e": -Infinity, "k": NaN, "xs": [NaN, 0.5, -Infinity], "h": ${extra}}`);
      expect(value).toEqual({ t: Infinity, e: -Infinity, k: NaN, xs: [NaN, 0.5, -Infinity], h: extraValue });
      expect(parsed(`[Infinity,NaN,\n-Infinity , ${extra}]`)).toEqual([Infinity, NaN, -Infinity, extraValue]);
    });

    it(`keeps strings that contain the words as strings (${path} path)`, () => {
      const text = `{"m": "NaN", "n": "key rate -Infinity, \\"NaN\\"", "Infinity": NaN, "h": ${extra}}`;
      expect(parsed(text)).toEqual({ m: 'NaN', n: 'key rate -Infinity, "NaN"', Infinity: NaN, h: extraValue });
      expect(pyStringify(parsed(text))).toBe(text);
    });

    it(`refuses what Python refuses (${path} path)`, () => {
      for (const bad of ['-NaN', '1NaN', 'NaNa', 'nan', 'inf', '+Infinity', 'Infinityx', '--Infinity']) {
        expect(parseJsonText(`{"x": ${bad}, "h": ${extra}}`)).toMatchObject({ ok: false });
      }
      expect(parseJsonText(`{NaN: 1, "h": ${extra}}`)).toMatchObject({ ok: false });
    });
  }

  it('decodes them from bytes too', () => {
    expect(parseJsonBytes(Buffer.from('{"transmittance": Infinity}'))).toEqual({ ok: true, value: { transmittance: Infinity } });
  });

  it('writes them as Python does', () => {
    expect(pyStringify({ a: NaN, b: Infinity, c: -Infinity, d: [1.5, NaN, -Infinity] })).toBe(
      '{"a": NaN, "b": Infinity, "c": -Infinity, "d": [1.5, NaN, -Infinity]}',
    );
    expect(pyStringify(-0)).toBe('-0.0');
    expect(pyStringify([0.5, -0, 0])).toBe('[0.5, -0.0, 0]');
  });
});

describe('integral floats come back as Python wrote them', () => {
  it('remembers 2.0 and -0.0 in the container that held them', () => {
    const text = '{"n_photon": 0.0, "k": 2, "xs": [1.0, 2, -0.0, 0.25], "inner": {"eta": 1.0, "n": 1}}';
    const value = parsed(text);
    expect(value).toEqual({ n_photon: 0, k: 2, xs: [1, 2, -0, 0.25], inner: { eta: 1, n: 1 } });
    expect(pyStringify(value)).toBe(text);
  });

  it('in long arrays of numbers too', () => {
    const xs = Array.from({ length: 3000 }, (_, i) => (i % 7 === 0 ? `${i}.0` : i % 5 === 0 ? String(i) : String(i + 0.5)));
    const text = `{"symbols_real": [${xs.join(', ')}]}`;
    expect(pyStringify(parsed(text))).toBe(text);
  });

  it('any array of doubles survives encode, decode, encode unchanged', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.double(), fc.integer(), fc.constant(-0))), (xs) => {
        const text = pyStringify({ xs });
        const back = parsed(text) as { xs: number[] };
        expect(back.xs).toHaveLength(xs.length);
        back.xs.forEach((x, i) => expect(Object.is(x, xs[i]) || x === xs[i]).toBe(true));
        expect(pyStringify(back)).toBe(text);
      }),
    );
  });
});

describe('integral floats of a long text are looked up in it only when a value is encoded', () => {
  // Beyond 64 KiB of text the search waits for an encoder; the padding holds no integral number.
  const pad = `"pad": [${Array(20_000).fill('0.25').join(', ')}]`;

  it('an inner container encoded on its own, before its root, still comes back as Python wrote it', () => {
    const text = `{"a": {"xs": [1.0, 2, 0.5]}, "b": [3.0, 4], ${pad}}`;
    const value = parsed(text) as { a: { xs: number[] }; b: number[] };
    expect(pyStringify(value.a.xs)).toBe('[1.0, 2, 0.5]');
    expect(pyStringify(value.b)).toBe('[3.0, 4]');
    expect(pyStringify(value)).toBe(text);
  });

  it('a value changed after decoding keeps the forms of what still matches', () => {
    const value = parsed(`{"xs": [1.0, 2], "k": 5.0, ${pad}}`) as { xs: number[]; k: number; pad?: number[]; extra?: number };
    delete value.pad;
    value.extra = 7;
    expect(pyStringify(value)).toBe('{"xs": [1.0, 2], "k": 5.0, "extra": 7}');
  });

  it('ints stay ints', () => {
    const text = `{"xs": [1, 2, 0.5], "k": 5, ${pad}}`;
    expect(pyStringify(parsed(text))).toBe(text);
  });

  it('long runs of numbers get Python separators wherever their commas fall in the words read', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 64, maxLength: 400 }), (xs) => {
        const expected = `[${xs.map((x) => (Number.isInteger(x) ? (Object.is(x, -0) ? '-0.0' : String(x)) : Math.abs(x) < 1e-4 ? pyStringify(x) : String(x))).join(', ')}]`;
        expect(pyStringify(xs)).toBe(expected);
      }),
    );
  });
});
