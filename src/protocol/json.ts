/**
 * JSON as the deployed Python peers write it (`json.dumps` defaults:
 * `", "` and `": "` separators, ASCII only), and a parser that keeps
 * integers above 2^53 exact as `bigint`.
 */
import { isAscii, isUtf8 } from 'node:buffer';
import { parse as losslessParse } from 'lossless-json';

export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

const INTEGER_TEXT = /^-?\d+$/;

/**
 * Python's `json` reads and writes the bare tokens `NaN`, `Infinity` and
 * `-Infinity` (wire notes 21); `JSON.parse` and `lossless-json` refuse them.
 * Text containing neither word (a plain substring search, as fast as a
 * memchr) skips the token rewrite below.
 */
const mayHoldNonFinite = (text: string) => text.includes('NaN') || text.includes('Infinity');

/**
 * Python writes an integral float as `2.0` and an int as `2`; both become
 * the number 2 here. To write a decoded float back as Python wrote it, the
 * containers of integral floats remember their keys (`INTEGRAL_FLOATS`).
 * `json.dumps` puts `, `, `]` or `}` right after a number, so these three
 * substrings find every integral float it wrote.
 */
const mayHoldIntegralFloat = (text: string) => text.includes('.0,') || text.includes('.0]') || text.includes('.0}');

/** Keys (object) or indices (array) of the integral floats a decoded container held. */
const INTEGRAL_FLOATS = new WeakMap<object, Set<string | number>>();

/** An integral float while the slow path parses; replaced by its number before the value is returned. */
class IntegralFloat {
  constructor(readonly value: number) {}
}

const NON_FINITE = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY } as const;
type NonFiniteToken = keyof typeof NON_FINITE;

/** Characters that may stand right before a JSON value outside strings, and right after one. */
const BEFORE_VALUE = new Set(['[', ',', ':', ' ', '\t', '\n', '\r']);
const AFTER_VALUE = new Set([']', '}', ',', ' ', '\t', '\n', '\r']);

interface Rewritten {
  text: string;
  tokens: Map<string, number>;
}

/** Index of the quote closing the string opened at `open`, or -1. */
function stringEnd(text: string, open: number): number {
  let q = text.indexOf('"', open + 1);
  while (q !== -1) {
    let backslashes = 0;
    while (text.charCodeAt(q - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return q;
    q = text.indexOf('"', q + 1);
  }
  return -1;
}

/**
 * Replaces each bare non-finite token outside strings by a number literal
 * that occurs nowhere in the text (so it cannot be mistaken for a number of
 * the content), for the parser's number hook to turn back. A token glued
 * to anything but JSON punctuation or whitespace (`1NaN`, `-NaN`) is not
 * one: the text is refused, as Python refuses it.
 */
function rewriteNonFinite(text: string): Rewritten | string {
  let stem = '0E+9999';
  while (text.includes(stem)) stem += '9';
  const literal = { NaN: `${stem}0`, Infinity: `${stem}1`, '-Infinity': `${stem}2` } as const;
  const tokens = new Map<string, number>();
  const parts: string[] = [];
  let copied = 0;
  let at = 0;
  let nan = text.indexOf('NaN');
  let inf = text.indexOf('Infinity');
  for (;;) {
    if (nan !== -1 && nan < at) nan = text.indexOf('NaN', at);
    if (inf !== -1 && inf < at) inf = text.indexOf('Infinity', at);
    const word = nan === -1 ? inf : inf === -1 ? nan : Math.min(nan, inf);
    if (word === -1) break;
    const quote = text.indexOf('"', at);
    if (quote !== -1 && quote < word) {
      const end = stringEnd(text, quote);
      if (end === -1) break; // an unterminated string: the parser says so
      at = end + 1;
      continue;
    }
    const name: NonFiniteToken = word === nan ? 'NaN' : text[word - 1] === '-' ? '-Infinity' : 'Infinity';
    const start = name === '-Infinity' ? word - 1 : word;
    const end = word + (name === 'NaN' ? 3 : 8);
    const before = text[start - 1];
    const after = text[end];
    if ((before !== undefined && !BEFORE_VALUE.has(before)) || (after !== undefined && !AFTER_VALUE.has(after)))
      return `${name} at offset ${start} is glued to other characters`;
    parts.push(text.slice(copied, start), literal[name]);
    tokens.set(literal[name], NON_FINITE[name]);
    copied = end;
    at = end;
  }
  if (copied === 0) return { text, tokens };
  parts.push(text.slice(copied));
  return { text: parts.join(''), tokens };
}

/** Turns IntegralFloat boxes back into numbers, recording where they were. */
function unbox(value: unknown): unknown {
  if (value instanceof IntegralFloat) return value.value;
  if (typeof value !== 'object' || value === null) return value;
  let floats: Set<string | number> | undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      if (v instanceof IntegralFloat) (floats ??= new Set()).add(i);
      if (typeof v === 'object' && v !== null) value[i] = unbox(v);
    }
  } else {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const v = record[key];
      if (v instanceof IntegralFloat) (floats ??= new Set()).add(key);
      if (typeof v === 'object' && v !== null) record[key] = unbox(v);
    }
  }
  if (floats) INTEGRAL_FLOATS.set(value, floats);
  return value;
}

/**
 * The slow path: `lossless-json`, whose number hook sees each number's text.
 * Unsafe integers become `bigint`, the non-finite stand-ins their numbers,
 * integral floats are boxed until `unbox` records them.
 */
function parseSlow(text: string, tokens: Map<string, number>, integralFloats: boolean): JsonValue {
  let boxed = false;
  const parseNumber = (digits: string): number | bigint | IntegralFloat => {
    const token = tokens.get(digits);
    if (token !== undefined) return token;
    const n = Number(digits);
    const integerText = INTEGER_TEXT.test(digits);
    if (!Number.isSafeInteger(n)) return integerText ? BigInt(digits) : n;
    if (integralFloats && !integerText) {
      boxed = true;
      return new IntegralFloat(n);
    }
    return n;
  };
  // Duplicate keys: the last wins, as with JSON.parse and Python's json.
  const value = losslessParse(text, null, { parseNumber, onDuplicateKey: ({ newValue }) => newValue });
  return (boxed ? unbox(value) : value) as JsonValue;
}

export type ParseResult = { ok: true; value: JsonValue } | { ok: false; reason: string };

/**
 * Where an integral float may hide: a long text that `JSON.parse` read
 * without loss, whose integral numbers could each have been written `2` or
 * `2.0`. Only an encoder needs to know which (to write the value back as
 * Python wrote it), so the text is searched, and parsed again with the
 * number hook, only when a value from it is encoded (`floatsOf`): decoding
 * a million symbols among which one is 0 pays nothing for it, nor for a
 * `0.0` among them (the number hook over 40 MB takes seconds).
 */
interface Source {
  text: string;
  root: object;
}
const UNRESOLVED = new WeakMap<object, Source>();
/**
 * Below this length the text is searched at once: a few substring
 * searches of a short text cost less than remembering it (a WeakMap entry
 * per container, which the garbage collector pays for too).
 */
const SEARCH_LATER_FROM = 1 << 16;

const enum Numbers {
  /** Nothing Python would read differently. */
  Plain,
  /** Integral numbers: written as ints or as floats, only the text can tell. */
  Integral,
  /** An integer beyond 2^53 (rounded by JSON.parse, or a float such as 1e+16, which the slow path reads alike). */
  Unsafe,
}

/**
 * What a value `JSON.parse` made holds, and its containers (pushed on
 * `containers` when given: only a long text needs them). A walk over the
 * parsed numbers costs far less than any search of the text of a million
 * symbols. A loop over an explicit stack, not recursion: JSON.parse accepts
 * nesting far deeper than the call stack. Numbers and strings are looked at
 * where they stand; only containers go on the stack.
 */
function classify(value: unknown, containers: object[] | null): Numbers {
  if (typeof value !== 'object' || value === null) return typeof value === 'number' ? numberKind(value) : Numbers.Plain;
  let found = Numbers.Plain;
  const pending: object[] = [value];
  while (pending.length > 0) {
    const v = pending.pop()!;
    containers?.push(v);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const x: unknown = v[i];
        if (typeof x === 'number') {
          if (Number.isInteger(x)) {
            if (!Number.isSafeInteger(x)) return Numbers.Unsafe;
            found = Numbers.Integral;
          }
        } else if (typeof x === 'object' && x !== null) pending.push(x);
      }
    } else {
      for (const key in v) {
        const x: unknown = (v as Record<string, unknown>)[key];
        if (typeof x === 'number') {
          if (Number.isInteger(x)) {
            if (!Number.isSafeInteger(x)) return Numbers.Unsafe;
            found = Numbers.Integral;
          }
        } else if (typeof x === 'object' && x !== null) pending.push(x);
      }
    }
  }
  return found;
}

function numberKind(x: number): Numbers {
  if (!Number.isInteger(x)) return Numbers.Plain;
  return Number.isSafeInteger(x) ? Numbers.Integral : Numbers.Unsafe;
}

/** Parses JSON text as Python's `json.loads` does (with `NaN`, `Infinity`, `-Infinity`); never throws. */
export function parseJsonText(text: string): ParseResult {
  let value: JsonValue;
  try {
    value = JSON.parse(text) as JsonValue;
  } catch (err) {
    // Only the bare non-finite tokens are JSON for Python and not for JSON.parse: anything else is refused as it is.
    if (!mayHoldNonFinite(text)) return { ok: false, reason: `not valid JSON (${(err as Error).message})` };
    return parseRewritten(text);
  }
  const containers: object[] | null = text.length >= SEARCH_LATER_FROM ? [] : null;
  const numbers = classify(value, containers);
  if (numbers === Numbers.Plain) return { ok: true, value };
  if (numbers === Numbers.Integral) {
    if (containers !== null && containers.length > 0) {
      const source: Source = { text, root: containers[0]! };
      for (const c of containers) UNRESOLVED.set(c, source);
      return { ok: true, value };
    }
    if (!mayHoldIntegralFloat(text)) return { ok: true, value };
  }
  try {
    return { ok: true, value: parseSlow(text, new Map(), mayHoldIntegralFloat(text)) };
  } catch (err) {
    return { ok: false, reason: `not valid JSON (${(err as Error).message})` };
  }
}

/**
 * The integral floats of a container decoded by `parseJsonText`. The first
 * time a container of a text is encoded, the text tells: the slow path
 * parses it again and its annotations are copied, container by container,
 * onto the value first decoded (by key and index, so that a value changed
 * since keeps what still matches).
 */
function floatsOf(container: object): Set<string | number> | undefined {
  const source = UNRESOLVED.get(container);
  if (source !== undefined && source.text !== '') {
    const { text, root } = source;
    source.text = '';
    if (mayHoldIntegralFloat(text)) copyFloats(root, parseSlow(text, new Map(), true) as object);
  }
  return INTEGRAL_FLOATS.get(container);
}

function copyFloats(to: object, from: object): void {
  const pending: [object, object][] = [[to, from]];
  while (pending.length > 0) {
    const [a, b] = pending.pop()!;
    const floats = INTEGRAL_FLOATS.get(b);
    if (floats) INTEGRAL_FLOATS.set(a, floats);
    const pair = (x: unknown, y: unknown) => {
      if (typeof x === 'object' && x !== null && typeof y === 'object' && y !== null) pending.push([x, y]);
    };
    if (Array.isArray(b)) {
      if (Array.isArray(a)) for (let i = 0; i < b.length; i++) pair(a[i], b[i]);
    } else for (const key of Object.keys(b)) pair((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]);
  }
}

function parseRewritten(text: string): ParseResult {
  try {
    const rewritten = rewriteNonFinite(text);
    if (typeof rewritten === 'string') return { ok: false, reason: `not valid JSON (${rewritten})` };
    return { ok: true, value: parseSlow(rewritten.text, rewritten.tokens, mayHoldIntegralFloat(text)) };
  } catch (err) {
    return { ok: false, reason: `not valid JSON (${(err as Error).message})` };
  }
}

/** Parses UTF-8 JSON bytes; never throws. */
export function parseJsonBytes(bytes: Uint8Array): ParseResult {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The deployed peers write ASCII only (json.dumps escapes the rest), and latin1 decodes it several times faster.
  if (isAscii(buffer)) return parseJsonText(buffer.toString('latin1'));
  if (!isUtf8(buffer)) return { ok: false, reason: 'not valid UTF-8' };
  return parseJsonText(buffer.toString('utf8'));
}

// What `ensure_ascii` escapes beyond JSON.stringify: DEL (0x7f) and every code unit above it.
const HAS_NON_ASCII = /[^\x00-\x7e]/;
/** The four lowercase hex digits of every UTF-16 code unit, as the little-endian 32-bit word of their ASCII bytes. */
const HEX4 = new Uint32Array(65536);
for (let c = 0; c < 65536; c++) {
  const hex = c.toString(16).padStart(4, '0');
  HEX4[c] = (hex.charCodeAt(0) | (hex.charCodeAt(1) << 8) | (hex.charCodeAt(2) << 16) | (hex.charCodeAt(3) << 24)) >>> 0;
}
const BACKSLASH_U = 0x755c; // a backslash then "u", as a little-endian 16-bit word
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * `ensure_ascii`: DEL and every UTF-16 code unit above it as `\uxxxx` (an
 * astral character as its two surrogates, as Python writes it). The code
 * units are read from a typed array and each escape written with two
 * stores, into a buffer sized beforehand: linear, a 60 MB string in well
 * under a second on a quiet machine (a replace with a callback per
 * character takes seconds).
 */
function escapeNonAscii(quoted: string): string {
  const bytes = Buffer.from(quoted, 'utf16le');
  if (!LITTLE_ENDIAN) bytes.swap16();
  // Buffer.from aligns its pool to 8 bytes: the view below is always aligned.
  const units = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length >> 1);
  let wide = 0;
  for (let i = 0; i < units.length; i++) if (units[i]! > 0x7e) wide++;
  const out = Buffer.allocUnsafe(units.length + 5 * wide);
  const view = new DataView(out.buffer, out.byteOffset, out.length);
  let j = 0;
  for (let i = 0; i < units.length; i++) {
    const c = units[i]!;
    if (c <= 0x7e) {
      out[j++] = c;
      continue;
    }
    view.setUint16(j, BACKSLASH_U, true);
    view.setUint32(j + 2, HEX4[c]!, true);
    j += 6;
  }
  return out.toString('latin1');
}

/** Printable ASCII without a quote or a backslash: what both JSON.stringify and Python write unescaped. */
function isPlain(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return false;
  }
  return true;
}

/** Up to this length a string is first looked at character by character (keys, challenges, names), which costs less than JSON.stringify and a regular expression. */
const PLAIN_CHECK_UP_TO = 64;

/** A string as Python's `json.dumps` writes it. */
export function pyString(s: string): string {
  if (s.length <= PLAIN_CHECK_UP_TO && isPlain(s)) return `"${s}"`;
  const quoted = JSON.stringify(s);
  return HAS_NON_ASCII.test(quoted) ? escapeNonAscii(quoted) : quoted;
}

/**
 * Numbers as Python writes them. A safe integer is an int. Any other number
 * is a float for Python, and written as `repr(float)` does: exponent form
 * below 1e-4 and from 1e16 (JavaScript switches at 1e-7 and 1e21), a
 * trailing `.0` on integral values, so that a float beyond 2^53 is never
 * read back as a different exact integer, and `NaN`, `Infinity`,
 * `-Infinity` as bare tokens. `-0` is a float (an int has no sign of zero):
 * `-0.0`. `float` says a decoded integral value was written as a float.
 */
function pyNumber(x: number, float = false): string {
  if (Number.isSafeInteger(x)) return Object.is(x, -0) ? '-0.0' : float ? `${x}.0` : String(x);
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
  const magnitude = Math.abs(x);
  if (magnitude >= 1e-4 && magnitude < 1e16) return Number.isInteger(x) ? `${x}.0` : String(x);
  const [mantissa, exponent] = x.toExponential().split('e') as [string, string];
  return `${mantissa}e${exponent[0]}${exponent.slice(1).padStart(2, '0')}`;
}

/** Numbers JSON.stringify already writes as Python does (not -0, written `0`). */
function nativeForm(x: number): boolean {
  if (Number.isSafeInteger(x)) return x !== 0 || 1 / x > 0;
  const magnitude = Math.abs(x);
  return magnitude >= 1e-4 && magnitude < 1e16 && !Number.isInteger(x);
}

const COMMA = 0x2c;
const SPACE = 0x20;
const COMMAS = 0x2c2c2c2c;

/**
 * A run of numbers JSON.stringify writes as Python does, without its
 * brackets and with Python's `", "` separator. Numbers hold no comma, so
 * the output's length is known: one pass into a buffer, no intermediate
 * copy (a long run is a million symbols). The pass reads four bytes at a
 * time and copies a word holding no comma whole (about four in five; a
 * number is some twenty characters): a byte loop took as long as a third of
 * the JSON.stringify before it.
 */
function stringifyRun(values: readonly unknown[]): string {
  const text = JSON.stringify(values);
  if (values.length < 64) return text.slice(1, -1).replaceAll(',', ', ');
  const n = text.length - 2;
  const src = Buffer.allocUnsafeSlow(n + 4);
  src.write(text.slice(1, -1), 0, 'latin1');
  const input = new DataView(src.buffer, src.byteOffset, src.length);
  const out = Buffer.allocUnsafeSlow(n + values.length - 1 + 4);
  const view = new DataView(out.buffer, out.byteOffset, out.length);
  let j = 0;
  const whole = n >> 2;
  let w = 0;
  for (; w < whole; w++) {
    const v = input.getUint32(w * 4, true);
    // A zero byte in v ^ COMMAS is a comma in v (the classic "has a zero byte" test: exact for whether, not where).
    const x = v ^ COMMAS;
    if (((x - 0x01010101) & ~x & 0x80808080) === 0) {
      view.setUint32(j, v, true);
      j += 4;
      continue;
    }
    for (let b = 0; b < 32; b += 8) {
      const c = (v >>> b) & 0xff;
      out[j++] = c;
      if (c === COMMA) out[j++] = SPACE;
    }
  }
  for (let i = w * 4; i < n; i++) {
    const c = src[i]!;
    out[j++] = c;
    if (c === COMMA) out[j++] = SPACE;
  }
  return out.toString('latin1', 0, j);
}

/**
 * Symbol and syndrome arrays (numbers only): runs of numbers that the native
 * JSON.stringify writes as Python does go through it; the rare others
 * (below 1e-4, integral beyond 2^53) through pyNumber.
 */
function pyNumberArray(values: unknown[], floats: Set<string | number> | undefined): string | undefined {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (typeof x !== 'number') return undefined;
    const float = floats?.has(i) === true;
    if (!float && nativeForm(x)) continue;
    if (i > start) parts.push(stringifyRun(values.slice(start, i)));
    parts.push(pyNumber(x, float));
    start = i + 1;
  }
  if (values.length > start) parts.push(stringifyRun(start === 0 ? values : values.slice(start)));
  return `[${parts.join(', ')}]`;
}

/**
 * Serialises like Python's `json.dumps(value)` with default arguments
 * (`allow_nan` included). A value decoded by `parseJsonText` is written back
 * byte for byte when Python wrote it.
 */
export function pyStringify(value: unknown): string {
  return pyValue(value, false);
}

function pyValue(value: unknown, float: boolean): string {
  switch (typeof value) {
    case 'string':
      return pyString(value);
    case 'number':
      return pyNumber(value, float);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      const floats = floatsOf(value);
      if (Array.isArray(value))
        return pyNumberArray(value, floats) ?? `[${value.map((v, i) => pyValue(v, floats?.has(i) === true)).join(', ')}]`;
      const parts: string[] = [];
      for (const key of Object.keys(value)) {
        const v = (value as Record<string, unknown>)[key];
        if (v !== undefined) parts.push(`${pyString(key)}: ${pyValue(v, floats?.has(key) === true)}`);
      }
      return `{${parts.join(', ')}}`;
    }
    default:
      throw new TypeError(`cannot encode a ${typeof value} as JSON`);
  }
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
