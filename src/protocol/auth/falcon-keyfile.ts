/**
 * Falcon-512 key files as the deployed Python QOSST suite writes them, and
 * their conversion to the standard byte encodings of `falcon512padded`.
 *
 * - Public key file: JSON list of the 512 coefficients of h, each in [0, q).
 *   Standard encoding: byte 0x09, then each coefficient as 14 bits (897 bytes).
 * - Secret key file: JSON `[f, g, F, G]`, four lists of 512 small integers
 *   with f*G - g*F = q. Standard encoding: byte 0x59, then f and g as 6-bit
 *   and F as 8-bit two's-complement values (1281 bytes); G is left out and
 *   recomputed as g*F/f mod q.
 * Bit streams are MSB-first; files are written as Python's `json.dumps` does.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';

export const FALCON512_N = 512;
export const FALCON512_Q = 12289;
export const FALCON512_PUBLIC_KEY_BYTES = 897;
export const FALCON512_SECRET_KEY_BYTES = 1281;
const PUBLIC_KEY_HEADER = 0x09;
const SECRET_KEY_HEADER = 0x59;
const FG_BITS = 6;
const BIG_FG_BITS = 8;

export interface FalconSecretKey {
  f: number[];
  g: number[];
  F: number[];
  G: number[];
}

// The standard encoding reserves the most negative value of each width, so the ranges are symmetric.
const FG_MAX = (1 << (FG_BITS - 1)) - 1;
const BIG_FG_MAX = (1 << (BIG_FG_BITS - 1)) - 1;

const coefficients = (min: number, max: number, why: string) =>
  z
    .array(
      z
        .number({ error: 'expected an integer' })
        .int({ error: 'expected an integer' })
        .min(min, { error: `must be in [${min}, ${max}] (${why})` })
        .max(max, { error: `must be in [${min}, ${max}] (${why})` }),
      { error: `expected a list of ${FALCON512_N} integers` },
    )
    .length(FALCON512_N, { error: `expected exactly ${FALCON512_N} coefficients` });

const publicKeySchema = coefficients(0, FALCON512_Q - 1, 'coefficients of h mod q');
const secretKeySchema = z.tuple(
  [
    coefficients(-FG_MAX, FG_MAX, '6-bit range of the standard encoding'),
    coefficients(-FG_MAX, FG_MAX, '6-bit range of the standard encoding'),
    coefficients(-BIG_FG_MAX, BIG_FG_MAX, '8-bit range of the standard encoding'),
    coefficients(-BIG_FG_MAX, BIG_FG_MAX, '8-bit range of the standard encoding'),
  ],
  { error: 'expected a list of four polynomials [f, g, F, G]' },
);

function describeIssues(error: z.ZodError, names: readonly string[] | null): string {
  const shown = error.issues.slice(0, 3).map((issue) => {
    const [first, ...rest] = issue.path;
    const where =
      first === undefined
        ? ''
        : names
          ? `${names[Number(first)] ?? String(first)}${rest.map((p) => `[${String(p)}]`).join('')}: `
          : `h[${String(first)}]: `;
    return `${where}${issue.message}`;
  });
  const hidden = error.issues.length - 3;
  const more = hidden > 0 ? ` (and ${hidden} more problem${hidden > 1 ? 's' : ''})` : '';
  return shown.join('; ') + more;
}

const isSecretKeyShape = (v: unknown) => Array.isArray(v) && v.length === 4 && v.every(Array.isArray);
const isPublicKeyShape = (v: unknown) =>
  Array.isArray(v) && v.length === FALCON512_N && v.every((x) => typeof x === 'number');

/** Validates the parsed JSON of a deployed public key file; `source` names it in errors. */
export function parseFalconPublicKey(value: unknown, source: string): number[] {
  if (isSecretKeyShape(value)) {
    throw new Error(`${source}: this is a Falcon-512 secret key file [f, g, F, G]; a public key file (list of the 512 coefficients of h) is expected here`);
  }
  const result = publicKeySchema.safeParse(value);
  if (!result.success) {
    throw new Error(`${source}: not in the deployed format (JSON list of the 512 coefficients of h): ${describeIssues(result.error, null)}`);
  }
  return result.data;
}

/** Validates the parsed JSON of a deployed secret key file, including f*G - g*F = q. */
export function parseFalconSecretKey(value: unknown, source: string): FalconSecretKey {
  if (isPublicKeyShape(value)) {
    throw new Error(`${source}: this is a Falcon-512 public key file (coefficients of h); a secret key file [f, g, F, G] is expected here`);
  }
  const result = secretKeySchema.safeParse(value);
  if (!result.success) {
    throw new Error(`${source}: not in the deployed format (JSON [f, g, F, G], four lists of 512 integers): ${describeIssues(result.error, ['f', 'g', 'F', 'G'])}`);
  }
  const [f, g, F, G] = result.data;
  if (!satisfiesNtruEquation(f, g, F, G)) {
    throw new Error(`${source}: not a valid Falcon-512 secret key: f*G - g*F is not q = ${FALCON512_Q}`);
  }
  return { f, g, F, G };
}

// ---- Bit packing (MSB-first) ----

function packBits(out: Uint8Array, offset: number, values: readonly number[], bits: number): number {
  const mask = (1 << bits) - 1;
  let acc = 0;
  let accBits = 0;
  for (const v of values) {
    acc = (acc << bits) | (v & mask);
    accBits += bits;
    while (accBits >= 8) {
      accBits -= 8;
      out[offset++] = (acc >>> accBits) & 0xff;
    }
    acc &= (1 << accBits) - 1;
  }
  return offset;
}

function unpackBits(bytes: Uint8Array, offset: number, count: number, bits: number, signed: boolean): number[] {
  const values: number[] = [];
  const mask = (1 << bits) - 1;
  const shift = 32 - bits;
  let acc = 0;
  let accBits = 0;
  while (values.length < count) {
    acc = ((acc << 8) | (bytes[offset++] ?? 0)) & 0xffffff;
    accBits += 8;
    while (accBits >= bits && values.length < count) {
      accBits -= bits;
      const v = (acc >>> accBits) & mask;
      values.push(signed ? (v << shift) >> shift : v);
    }
  }
  return values;
}

// ---- Standard byte encodings ----

export function encodeFalconPublicKey(h: readonly number[]): Uint8Array {
  const out = new Uint8Array(FALCON512_PUBLIC_KEY_BYTES);
  out[0] = PUBLIC_KEY_HEADER;
  packBits(out, 1, h, 14);
  return out;
}

export function decodeFalconPublicKey(bytes: Uint8Array): number[] {
  if (bytes.length !== FALCON512_PUBLIC_KEY_BYTES || bytes[0] !== PUBLIC_KEY_HEADER) {
    throw new Error(`not a Falcon-512 public key: expected ${FALCON512_PUBLIC_KEY_BYTES} bytes starting with 0x09`);
  }
  const h = unpackBits(bytes, 1, FALCON512_N, 14, false);
  if (h.some((c) => c >= FALCON512_Q)) throw new Error('not a Falcon-512 public key: coefficient >= q');
  return h;
}

export function encodeFalconSecretKey(key: Pick<FalconSecretKey, 'f' | 'g' | 'F'>): Uint8Array {
  const inRange = (p: readonly number[], max: number) => p.length === FALCON512_N && p.every((c) => Number.isInteger(c) && Math.abs(c) <= max);
  if (!inRange(key.f, FG_MAX) || !inRange(key.g, FG_MAX) || !inRange(key.F, BIG_FG_MAX)) {
    throw new Error('Falcon-512 secret key does not fit the standard encoding (|f|, |g| <= 31, |F| <= 127)');
  }
  const out = new Uint8Array(FALCON512_SECRET_KEY_BYTES);
  out[0] = SECRET_KEY_HEADER;
  let offset = packBits(out, 1, key.f, FG_BITS);
  offset = packBits(out, offset, key.g, FG_BITS);
  packBits(out, offset, key.F, BIG_FG_BITS);
  return out;
}

/** Decodes the standard secret key and recomputes G, as the deployed file format needs it. */
export function decodeFalconSecretKey(bytes: Uint8Array): FalconSecretKey {
  if (bytes.length !== FALCON512_SECRET_KEY_BYTES || bytes[0] !== SECRET_KEY_HEADER) {
    throw new Error(`not a Falcon-512 secret key: expected ${FALCON512_SECRET_KEY_BYTES} bytes starting with 0x59`);
  }
  const fgBytes = (FALCON512_N * FG_BITS) / 8;
  const f = unpackBits(bytes, 1, FALCON512_N, FG_BITS, true);
  const g = unpackBits(bytes, 1 + fgBytes, FALCON512_N, FG_BITS, true);
  const F = unpackBits(bytes, 1 + 2 * fgBytes, FALCON512_N, BIG_FG_BITS, true);
  if ([...f, ...g].includes(-FG_MAX - 1) || F.includes(-BIG_FG_MAX - 1)) {
    throw new Error('not a Falcon-512 secret key: non-canonical coefficient encoding');
  }
  return { f, g, F, G: completeFalconBasis(f, g, F) };
}

// ---- Arithmetic in Z_q[x]/(x^512 + 1) ----

const Q = FALCON512_Q;
const N = FALCON512_N;

function modPow(base: number, exp: number): number {
  let result = 1;
  let b = base % Q;
  for (let e = exp; e > 0; e >>= 1) {
    if (e & 1) result = (result * b) % Q;
    b = (b * b) % Q;
  }
  return result;
}

// 11 generates Z_q^*, so psi = 11^((q-1)/1024) is a primitive 1024th root of unity:
// x^512 + 1 vanishes exactly at the odd powers of psi.
const PSI_POWERS = (() => {
  const psi = modPow(11, (Q - 1) / (2 * N));
  const powers = new Array<number>(2 * N);
  powers[0] = 1;
  for (let k = 1; k < 2 * N; k++) powers[k] = ((powers[k - 1] as number) * psi) % Q;
  return powers;
})();
const EXP_MASK = 2 * N - 1;

/** Values of a at psi^(2i+1), i = 0..n-1 (O(n^2); products and sums stay below 2^53). */
function evaluate(a: readonly number[]): number[] {
  const out = new Array<number>(N);
  for (let i = 0; i < N; i++) {
    const step = 2 * i + 1;
    let acc = 0;
    for (let j = 0, e = 0; j < N; j++, e = (e + step) & EXP_MASK) {
      acc += (((a[j] as number) % Q) + Q) * (PSI_POWERS[e] as number);
    }
    out[i] = acc % Q;
  }
  return out;
}

/** Inverse of `evaluate`, coefficients centered into (-q/2, q/2]. */
function interpolate(values: readonly number[]): number[] {
  const nInverse = modPow(N, Q - 2);
  const out = new Array<number>(N);
  for (let j = 0; j < N; j++) {
    let acc = 0;
    // psi^(-(2i+1)j) = psi^(2N - (2i+1)j mod 2N)
    for (let i = 0, e = (2 * N - j) & EXP_MASK; i < N; i++, e = (e - 2 * j) & EXP_MASK) {
      acc += (values[i] as number) * (PSI_POWERS[e] as number);
    }
    const c = ((acc % Q) * nInverse) % Q;
    out[j] = c > (Q - 1) / 2 ? c - Q : c;
  }
  return out;
}

function negacyclicProduct(a: readonly number[], b: readonly number[]): number[] {
  const out = new Array<number>(N).fill(0);
  for (let i = 0; i < N; i++) {
    const ai = a[i] as number;
    if (ai === 0) continue;
    for (let j = 0; j < N; j++) {
      const k = i + j;
      if (k < N) out[k] = (out[k] as number) + ai * (b[j] as number);
      else out[k - N] = (out[k - N] as number) - ai * (b[j] as number);
    }
  }
  return out;
}

function satisfiesNtruEquation(f: readonly number[], g: readonly number[], F: readonly number[], G: readonly number[]): boolean {
  const fG = negacyclicProduct(f, G);
  const gF = negacyclicProduct(g, F);
  return fG.every((c, k) => c - (gF[k] as number) === (k === 0 ? Q : 0));
}

/** G = g*F/f mod q, the fourth polynomial of the deployed secret key file; checks |G| <= 127 and f*G - g*F = q. */
export function completeFalconBasis(f: readonly number[], g: readonly number[], F: readonly number[]): number[] {
  const fValues = evaluate(f);
  const gValues = evaluate(g);
  const FValues = evaluate(F);
  const GValues = fValues.map((fv, i) => {
    if (fv === 0) throw new Error('invalid Falcon-512 secret key: f is not invertible mod q');
    return ((((gValues[i] as number) * (FValues[i] as number)) % Q) * modPow(fv, Q - 2)) % Q;
  });
  const G = interpolate(GValues);
  if (G.some((c) => Math.abs(c) > BIG_FG_MAX)) {
    throw new Error('invalid Falcon-512 secret key: G has a coefficient outside [-127, 127]');
  }
  if (!satisfiesNtruEquation(f, g, F, G)) {
    throw new Error(`invalid Falcon-512 secret key: f*G - g*F is not q = ${Q}`);
  }
  return G;
}

// ---- Files ----

// Python's json.dumps layout, so our files match the deployed ones byte for byte.
const pythonList = (values: readonly number[]) => `[${values.join(', ')}]`;

export function formatFalconPublicKeyFile(h: readonly number[]): string {
  return pythonList(h);
}

export function formatFalconSecretKeyFile(key: FalconSecretKey): string {
  return `[${[key.f, key.g, key.F, key.G].map(pythonList).join(', ')}]`;
}

function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${what} file ${path}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${what} file ${path} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Reads a deployed public key file; returns the standard 897-byte public key. */
export function readFalconPublicKeyFile(path: string): Uint8Array {
  const what = 'Falcon-512 public key';
  return encodeFalconPublicKey(parseFalconPublicKey(readJson(path, what), `${what} file ${path}`));
}

/** Reads a deployed secret key file; returns the standard 1281-byte secret key. */
export function readFalconSecretKeyFile(path: string): Uint8Array {
  const what = 'Falcon-512 secret key';
  return encodeFalconSecretKey(parseFalconSecretKey(readJson(path, what), `${what} file ${path}`));
}

/** Writes a standard public key in the deployed format; refuses to overwrite. */
export function writeFalconPublicKeyFile(path: string, publicKey: Uint8Array): void {
  writeFileSync(path, formatFalconPublicKeyFile(decodeFalconPublicKey(publicKey)), { flag: 'wx' });
}

/** Writes a standard secret key in the deployed format (owner-only, mode 0600); refuses to overwrite. */
export function writeFalconSecretKeyFile(path: string, secretKey: Uint8Array): void {
  writeFileSync(path, formatFalconSecretKeyFile(decodeFalconSecretKey(secretKey)), { flag: 'wx', mode: 0o600 });
}
