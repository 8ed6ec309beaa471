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

// Any integer beyond 2^53 has at least 16 digits; text without such an
// integer (16 digits neither after a digit or a point, nor before a point or
// an exponent: floats lose nothing in a double) parses exactly with the
// native parser, which is several times faster.
const LONG_INTEGER = /(?<![\d.])\d{16,}(?![\d.eE])/;
const INTEGER_TEXT = /^-?\d+$/;

function parseNumber(text: string): number | bigint {
  const n = Number(text);
  if (!Number.isSafeInteger(n) && INTEGER_TEXT.test(text)) return BigInt(text);
  return n;
}

export type ParseResult = { ok: true; value: JsonValue } | { ok: false; reason: string };

/** Parses JSON text; never throws. */
export function parseJsonText(text: string): ParseResult {
  try {
    const value = LONG_INTEGER.test(text)
      ? (losslessParse(text, null, parseNumber) as JsonValue)
      : (JSON.parse(text) as JsonValue);
    return { ok: true, value };
  } catch (err) {
    return { ok: false, reason: `not valid JSON (${(err as Error).message})` };
  }
}

/** Parses UTF-8 JSON bytes; never throws. */
export function parseJsonBytes(bytes: Uint8Array): ParseResult {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The deployed peers write ASCII only (json.dumps escapes the rest), and latin1 decodes it several times faster.
  if (isAscii(buffer)) return parseJsonText(buffer.toString('latin1'));
  if (!isUtf8(buffer)) return { ok: false, reason: 'not valid UTF-8' };
  return parseJsonText(buffer.toString('utf8'));
}

const HAS_NON_ASCII = /[\u0080-\uffff]/;
const NON_ASCII = /[\u0080-\uffff]/g;
const escapeNonAscii = (ch: string) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;

function pyString(s: string): string {
  const quoted = JSON.stringify(s);
  return HAS_NON_ASCII.test(quoted) ? quoted.replace(NON_ASCII, escapeNonAscii) : quoted;
}

/**
 * Numbers as Python writes them. A safe integer is an int. Any other number
 * is a float for Python, and written as `repr(float)` does: exponent form
 * below 1e-4 and from 1e16 (JavaScript switches at 1e-7 and 1e21), and a
 * trailing `.0` on integral values, so that a float beyond 2^53 is never
 * read back as a different exact integer.
 */
function pyNumber(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`cannot encode ${x} as JSON`);
  if (Number.isSafeInteger(x)) return String(x);
  const magnitude = Math.abs(x);
  if (magnitude >= 1e-4 && magnitude < 1e16) return Number.isInteger(x) ? `${x}.0` : String(x);
  const [mantissa, exponent] = x.toExponential().split('e') as [string, string];
  return `${mantissa}e${exponent[0]}${exponent.slice(1).padStart(2, '0')}`;
}

/** Numbers JSON.stringify already writes as Python does. */
function nativeForm(x: number): boolean {
  if (Number.isSafeInteger(x)) return true;
  const magnitude = Math.abs(x);
  return magnitude >= 1e-4 && magnitude < 1e16 && !Number.isInteger(x);
}

const COMMA = 0x2c;
const SPACE = 0x20;

/** Python's ", " separator; a byte loop beats String.replaceAll threefold on long runs (numbers are ASCII). */
function spaceCommas(text: string): string {
  if (text.length < 1024) return text.replaceAll(',', ', ');
  const src = Buffer.from(text, 'latin1');
  let commas = 0;
  for (let i = 0; i < src.length; i++) if (src[i] === COMMA) commas++;
  const out = Buffer.allocUnsafe(src.length + commas);
  let j = 0;
  for (let i = 0; i < src.length; i++) {
    const byte = src[i]!;
    out[j++] = byte;
    if (byte === COMMA) out[j++] = SPACE;
  }
  return out.toString('latin1');
}

const stringifyRun = (values: unknown[]) => spaceCommas(JSON.stringify(values).slice(1, -1));

/**
 * Symbol and syndrome arrays (numbers only): runs of numbers that the native
 * JSON.stringify writes as Python does go through it; the rare others
 * (below 1e-4, integral beyond 2^53) through pyNumber.
 */
function pyNumberArray(values: unknown[]): string | undefined {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (typeof x !== 'number') return undefined;
    if (nativeForm(x)) continue;
    if (i > start) parts.push(stringifyRun(values.slice(start, i)));
    parts.push(pyNumber(x));
    start = i + 1;
  }
  if (values.length > start) parts.push(stringifyRun(start === 0 ? values : values.slice(start)));
  return `[${parts.join(', ')}]`;
}

/** Serialises like Python's `json.dumps(value)` with default arguments. */
export function pyStringify(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return pyString(value);
    case 'number':
      return pyNumber(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) return pyNumberArray(value) ?? `[${value.map(pyStringify).join(', ')}]`;
      const parts: string[] = [];
      for (const key of Object.keys(value)) {
        const v = (value as Record<string, unknown>)[key];
        if (v !== undefined) parts.push(`${pyString(key)}: ${pyStringify(v)}`);
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
