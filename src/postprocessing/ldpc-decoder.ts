/**
 * Syndrome decoding of binary LDPC codes by belief propagation, for reverse
 * reconciliation: Alice knows the syndrome s = H·b of Bob's bits b and a
 * log-likelihood ratio per bit (positive favours 0); she looks for the b'
 * with H·b' = s that the LLRs make most likely.
 *
 * Schedule: layered (row by row, each check uses the posteriors its
 * predecessors just updated), which converges in about half the iterations
 * of flooding (Hocevar, "A reduced complexity decoder architecture via
 * layered decoding of LDPC codes", SiPS 2004). Check rule: sum-product in
 * the phi domain, phi(x) = -ln tanh(x/2), tabulated (the exact rule: min-sum
 * loses most at the low SNRs of CV-QKD), or normalised min-sum (Chen and
 * Fossorier, 2002) when asked for. The syndrome bit flips the sign of the
 * check's message.
 */
import type { LdpcCode } from './ldpc-code.ts';

export type CheckRule = 'sum-product' | 'min-sum';

export interface DecodeOptions {
  readonly maxIterations?: number;
  readonly rule?: CheckRule;
  /** Normalisation factor of min-sum. */
  readonly minSumScale?: number;
}

export interface DecodeResult {
  /** The decoded bits (one byte per bit); meaningful only when `ok`. */
  readonly bits: Uint8Array;
  /** True when the decoded bits satisfy every parity check of the syndrome. */
  readonly ok: boolean;
  readonly iterations: number;
}

/** LLR magnitudes are clipped here: beyond it phi underflows and nothing is gained. */
const LLR_MAX = 30;
const TABLE_STEP = 1 / 256;
const TABLE_SIZE = Math.ceil(LLR_MAX / TABLE_STEP) + 2;
/** phi(x) = -ln tanh(x/2) sampled on [0, LLR_MAX]; phi is its own inverse. */
const PHI = new Float64Array(TABLE_SIZE);
for (let i = 0; i < TABLE_SIZE; i++) {
  const x = Math.max(i * TABLE_STEP, TABLE_STEP / 8);
  PHI[i] = Math.min(LLR_MAX, -Math.log(Math.tanh(x / 2)));
}

function phiTable(x: number): number {
  const p = Math.min(x * (1 / TABLE_STEP), TABLE_SIZE - 2);
  const i = p | 0;
  const f = p - i;
  return PHI[i]! + f * (PHI[i + 1]! - PHI[i]!);
}

export function decode(code: LdpcCode, llr: Float64Array, syndromeBits: Uint8Array, options: DecodeOptions = {}): DecodeResult {
  const { n, m, checkPtr, checkVars } = code;
  if (llr.length !== n) throw new RangeError(`expected ${n} LLRs, got ${llr.length}`);
  if (syndromeBits.length !== m) throw new RangeError(`expected a ${m}-bit syndrome, got ${syndromeBits.length}`);
  const maxIterations = options.maxIterations ?? 200;
  const rule = options.rule ?? 'sum-product';
  const scale = options.minSumScale ?? 0.8;
  const posterior = new Float64Array(n);
  for (let i = 0; i < n; i++) posterior[i] = Math.max(-LLR_MAX, Math.min(LLR_MAX, llr[i]!));
  const message = new Float64Array(checkVars.length);
  let maxDegree = 0;
  for (let c = 0; c < m; c++) maxDegree = Math.max(maxDegree, checkPtr[c + 1]! - checkPtr[c]!);
  const incoming = new Float64Array(maxDegree);
  const incomingPhi = new Float64Array(maxDegree);
  const bits = new Uint8Array(n);

  const sumProduct = rule === 'sum-product';
  for (let it = 1; it <= maxIterations; it++) {
    if (sumProduct) sumProductSweep(checkPtr, checkVars, syndromeBits, posterior, message, incoming, incomingPhi);
    else minSumSweep(checkPtr, checkVars, syndromeBits, posterior, message, incoming, scale);
    for (let i = 0; i < n; i++) bits[i] = posterior[i]! < 0 ? 1 : 0;
    if (satisfies(code, bits, syndromeBits)) return { bits, ok: true, iterations: it };
  }
  return { bits, ok: false, iterations: maxIterations };
}

/**
 * One layered pass of the sum-product rule over every check (small and
 * monomorphic, so that V8 optimises it; signs by parity arithmetic rather
 * than branches, which random data would mispredict half the time).
 */
function sumProductSweep(
  checkPtr: Int32Array,
  checkVars: Int32Array,
  syndromeBits: Uint8Array,
  posterior: Float64Array,
  message: Float64Array,
  incoming: Float64Array,
  incomingPhi: Float64Array,
): void {
  const m = syndromeBits.length;
  for (let c = 0; c < m; c++) {
    const start = checkPtr[c]!;
    const degree = checkPtr[c + 1]! - start;
    let parity = syndromeBits[c]!;
    let sum = 0;
    for (let k = 0; k < degree; k++) {
      const q = posterior[checkVars[start + k]!]! - message[start + k]!;
      incoming[k] = q;
      parity ^= +(q < 0);
      const p = phiTable(Math.abs(q));
      incomingPhi[k] = p;
      sum += p;
    }
    for (let k = 0; k < degree; k++) {
      const q = incoming[k]!;
      const out = (1 - 2 * (parity ^ +(q < 0))) * phiTable(Math.max(sum - incomingPhi[k]!, 0));
      message[start + k] = out;
      posterior[checkVars[start + k]!] = q + out;
    }
  }
}

/** One layered pass of normalised min-sum over every check. */
function minSumSweep(
  checkPtr: Int32Array,
  checkVars: Int32Array,
  syndromeBits: Uint8Array,
  posterior: Float64Array,
  message: Float64Array,
  incoming: Float64Array,
  scale: number,
): void {
  const m = syndromeBits.length;
  for (let c = 0; c < m; c++) {
    const start = checkPtr[c]!;
    const degree = checkPtr[c + 1]! - start;
    let sign = syndromeBits[c]! ? -1 : 1;
    let min1 = Infinity;
    let min2 = Infinity;
    let at = -1;
    for (let k = 0; k < degree; k++) {
      const q = posterior[checkVars[start + k]!]! - message[start + k]!;
      incoming[k] = q;
      if (q < 0) sign = -sign;
      const a = q < 0 ? -q : q;
      if (a < min1) {
        min2 = min1;
        min1 = a;
        at = k;
      } else if (a < min2) min2 = a;
    }
    for (let k = 0; k < degree; k++) {
      const q = incoming[k]!;
      const out = (q < 0 ? -sign : sign) * scale * (k === at ? min2 : min1);
      message[start + k] = out;
      posterior[checkVars[start + k]!] = q + out;
    }
  }
}

function satisfies(code: LdpcCode, bits: Uint8Array, syndromeBits: Uint8Array): boolean {
  const { checkPtr, checkVars } = code;
  for (let c = 0; c < code.m; c++) {
    let s = syndromeBits[c]!;
    for (let e = checkPtr[c]!; e < checkPtr[c + 1]!; e++) s ^= bits[checkVars[e]!]!;
    if (s) return false;
  }
  return true;
}
