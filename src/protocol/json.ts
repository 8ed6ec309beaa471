/**
 * JSON as the deployed Python peers write it (`json.dumps` defaults:
 * `", "` and `": "` separators, ASCII only), and a parser that keeps
 * integers above 2^53 exact as `bigint`.
 */
import { isUtf8 } from 'node:buffer';
import { parse as losslessParse } from 'lossless-json';

export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

// Any integer beyond 2^53 has at least 16 digits; text without such a run
// parses exactly with the native parser, which is an order of magnitude faster.
const LONG_DIGIT_RUN = /\d{16}/;
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
    const value = LONG_DIGIT_RUN.test(text)
      ? (losslessParse(text, null, parseNumber) as JsonValue)
      : (JSON.parse(text) as JsonValue);
    return { ok: true, value };
  } catch (err) {
    return { ok: false, reason: `not valid JSON (${(err as Error).message})` };
  }
}

/** Parses UTF-8 JSON bytes; never throws. */
export function parseJsonBytes(bytes: Uint8Array): ParseResult {
  if (!isUtf8(bytes)) return { ok: false, reason: 'not valid UTF-8' };
  return parseJsonText(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
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
      if (Array.isArray(value)) return `[${value.map(pyStringify).join(', ')}]`;
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
