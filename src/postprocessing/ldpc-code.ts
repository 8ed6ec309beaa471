/**
 * Binary LDPC parity-check matrices, built deterministically from a code
 * identifier so that Alice and Bob expand the same matrix.
 *
 * Identifier: `qosst-ldpc<construction>-R<rate in thousandths>-N<block length>`,
 * e.g. `qosst-ldpc2-R350-N65536`. The rate picks a row of `CODE_LADDER`
 * (degree distributions for the binary-input AWGN channel, see
 * ldpc-ladder.ts); the construction draws from xoshiro128** seeded with the
 * identifier. `ldpc2` (what Bob picks) is the quasi-cyclic lifting of
 * ldpc-lifting.ts, with girth at least 6. `ldpc1`, still accepted from peers:
 *  - the degree-2 variable nodes form a zigzag (accumulator) chain over a
 *    random order of the checks, so that no cycle contains only degree-2
 *    nodes (the structure of IRA codes: Jin, Khandekar, McEliece, 2000);
 *  - every other edge joins a variable socket to a random check socket
 *    (the configuration model), with repeated edges swapped away.
 * `ldpc1` graphs can hold weight-3 codewords (a degree-3 variable whose
 * checks two others cover), a floor `ldpc2` rules out.
 * The version tag names the construction: changing one changes the id.
 */
import { designRate, type NodeDegrees } from './density-evolution.ts';
import { CODE_LADDER } from './ldpc-ladder.ts';
import { apportion, liftedMatrix } from './ldpc-lifting.ts';
import { Xoshiro128 } from './prng.ts';

export { CODE_LADDER };

export interface LdpcCode {
  readonly id: string;
  /** Block length: bits per block. */
  readonly n: number;
  /** Number of parity checks (syndrome bits). */
  readonly m: number;
  /** Rate 1 - m/n: the share of each block that stays secret after the syndrome is revealed. */
  readonly rate: number;
  /** Compressed rows: the variables of check c are checkVars[checkPtr[c] .. checkPtr[c+1]). */
  readonly checkPtr: Int32Array;
  readonly checkVars: Int32Array;
}

export interface LadderEntry {
  /** Rate in thousandths, as it appears in the identifier. */
  readonly permille: number;
  readonly variables: NodeDegrees;
  /** Gaussian-approximation density-evolution threshold: the smallest SNR (linear) at which decoding succeeds. */
  readonly thresholdSnr: number;
}

export const DEFAULT_BLOCK_LENGTH = 1 << 16;
export const MIN_BLOCK_LENGTH = 256;
export const MAX_BLOCK_LENGTH = 1 << 22;

/** Checks have two consecutive degrees whose mean makes the design rate exact. */
export function checkDegrees(variables: NodeDegrees, rate: number): NodeDegrees {
  const meanVariable = variables.reduce((s, [d, f]) => s + d * f, 0);
  const mean = meanVariable / (1 - rate);
  const low = Math.floor(mean);
  const high = mean - low;
  return high < 1e-12 ? [[low, 1]] : [[low, 1 - high], [low + 1, high]];
}

/** The constructions an identifier may name; Bob uses the newest. */
export type Construction = 1 | 2;
export const CONSTRUCTION: Construction = 2;

export function codeId(permille: number, n: number, construction: Construction = CONSTRUCTION): string {
  return `qosst-ldpc${construction}-R${permille}-N${n}`;
}

/** Parses and checks an identifier; the error message is ready for EC_DENIED. */
export function parseCodeId(id: string): { entry: LadderEntry; n: number; construction: Construction } | { error: string } {
  const match = /^qosst-ldpc([12])-R(\d{1,3})-N(\d{1,8})$/.exec(id);
  if (!match) return { error: `unknown code identifier ${JSON.stringify(id)} (expected qosst-ldpc2-R<permille>-N<length>, or ldpc1)` };
  const construction = Number(match[1]) as Construction;
  const permille = Number(match[2]);
  const n = Number(match[3]);
  const entry = CODE_LADDER.find((e) => e.permille === permille);
  if (!entry) return { error: `no code of rate ${permille}/1000 (available: ${CODE_LADDER.map((e) => e.permille).join(', ')})` };
  if (n < MIN_BLOCK_LENGTH || n > MAX_BLOCK_LENGTH) return { error: `block length ${n} outside [${MIN_BLOCK_LENGTH}, ${MAX_BLOCK_LENGTH}]` };
  return { entry, n, construction };
}

const cache = new Map<string, LdpcCode>();

/** Expands an identifier into its parity-check matrix (memoised: a frame uses one code for all its blocks). */
export function buildCode(id: string): LdpcCode {
  const known = cache.get(id);
  if (known) return known;
  const code = expandCode(id);
  if (cache.size >= 8) cache.delete(cache.keys().next().value!);
  cache.set(id, code);
  return code;
}

/** Expands an identifier, without the cache. */
export function expandCode(id: string): LdpcCode {
  const parsed = parseCodeId(id);
  if ('error' in parsed) throw new Error(parsed.error);
  const { entry, n, construction } = parsed;
  const rng = new Xoshiro128(id);
  if (construction === 2) {
    const { m, checkPtr, checkVars } = liftedMatrix(entry.variables, entry.permille / 1000, n, rng);
    return { id, n, m, rate: 1 - m / n, checkPtr, checkVars };
  }
  const m = Math.round(n * (1 - entry.permille / 1000));
  const variableCounts = apportion(entry.variables, n);
  const variableDegree = new Int32Array(n);
  let v = 0;
  entry.variables.forEach(([d], i) => {
    for (let k = 0; k < variableCounts[i]!; k++) variableDegree[v++] = d;
  });
  const edges = variableDegree.reduce((s, d) => s + d, 0);
  // Check degrees: as even as possible, summing to the edge count.
  const checkDegree = new Int32Array(m);
  const base = Math.floor(edges / m);
  for (let c = 0; c < m; c++) checkDegree[c] = base + (c < edges - base * m ? 1 : 0);
  const checkOrder = new Int32Array(m).map((_, i) => i);
  rng.shuffle(checkOrder);

  const varStart = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) varStart[i + 1] = varStart[i]! + variableDegree[i]!;
  const edgeCheck = new Int32Array(edges).fill(-1);
  const checkFree = Int32Array.from(checkDegree);

  // Zigzag: the j-th degree-2 variable joins checks order[j] and order[j+1].
  let chained = 0;
  for (let i = 0; i < n && chained + 1 < m; i++) {
    if (variableDegree[i] !== 2) continue;
    const a = checkOrder[chained]!;
    const b = checkOrder[chained + 1]!;
    if (checkFree[a]! < 1 || checkFree[b]! < 1) break;
    edgeCheck[varStart[i]!] = a;
    edgeCheck[varStart[i]! + 1] = b;
    checkFree[a]!--;
    checkFree[b]!--;
    chained++;
  }

  const sockets = new Int32Array(checkFree.reduce((s, f) => s + f, 0));
  let k = 0;
  for (let c = 0; c < m; c++) for (let f = 0; f < checkFree[c]!; f++) sockets[k++] = c;
  rng.shuffle(sockets);
  let next = 0;
  for (let i = 0; i < n; i++) {
    for (let e = varStart[i]!; e < varStart[i + 1]!; e++) {
      if (edgeCheck[e] !== -1) continue;
      // Swap in a later socket when this one would repeat an edge of the variable.
      for (let tries = 0; tries < 64 && repeats(edgeCheck, varStart[i]!, e, sockets[next]!); tries++) {
        const j = next + rng.below(sockets.length - next);
        const t = sockets[next]!;
        sockets[next] = sockets[j]!;
        sockets[j] = t;
      }
      edgeCheck[e] = sockets[next++]!;
    }
  }

  // Transpose the variable-major edge list into compressed check rows, dropping any repeated edge left (it would cancel mod 2).
  const checkPtr = new Int32Array(m + 1);
  for (let e = 0; e < edges; e++) checkPtr[edgeCheck[e]! + 1]!++;
  for (let c = 0; c < m; c++) checkPtr[c + 1]! += checkPtr[c]!;
  const fill = checkPtr.slice(0, m);
  const checkVars = new Int32Array(edges);
  for (let i = 0; i < n; i++) for (let e = varStart[i]!; e < varStart[i + 1]!; e++) checkVars[fill[edgeCheck[e]!]!++] = i;
  return { id, n, m, rate: 1 - m / n, checkPtr, checkVars };
}

function repeats(edgeCheck: Int32Array, from: number, to: number, check: number): boolean {
  for (let e = from; e < to; e++) if (edgeCheck[e] === check) return true;
  return false;
}

/** The syndrome H·bits (mod 2), one byte per check. */
export function syndrome(code: LdpcCode, bits: Uint8Array): Uint8Array {
  const out = new Uint8Array(code.m);
  const { checkPtr, checkVars } = code;
  for (let c = 0; c < code.m; c++) {
    let s = 0;
    for (let e = checkPtr[c]!; e < checkPtr[c + 1]!; e++) s ^= bits[checkVars[e]!]!;
    out[c] = s;
  }
  return out;
}

/** The design rate of a ladder entry's ensemble (for tests and the README table). */
export function ensembleRate(entry: LadderEntry): number {
  return designRate(entry.variables, checkDegrees(entry.variables, entry.permille / 1000));
}

/**
 * Bob's default margin over a code's BIAWGN threshold with the dimension-8
 * mapping and 2^16-bit ldpc2 blocks, measured at the default link (SNR
 * 0.72): the multidimensional channel costs about 0.3 dB against BIAWGN
 * and the finite length the rest. Rate 0.311 (threshold 0.621, 0.64 dB
 * below) lost 0 blocks of 10, rate 0.319 (0.631, 0.58 dB) 6 of 10, rate
 * 0.326 (0.614, 0.69 dB) 2 of 50: 0.65 dB picks the last.
 */
export const DEFAULT_MARGIN_DB = 0.65;

/**
 * Bob's choice: the highest-rate ladder code whose threshold lies at least
 * `marginDb` below the estimated SNR (per real dimension, linear); the
 * achieved beta is then rate / capacity(SNR). Undefined when even the
 * lowest rate needs more SNR.
 */
export function chooseCode(snr: number, marginDb: number, n = DEFAULT_BLOCK_LENGTH, construction: Construction = CONSTRUCTION): { id: string; entry: LadderEntry } | undefined {
  const usable = CODE_LADDER.filter((e) => e.thresholdSnr * 10 ** (marginDb / 10) <= snr);
  const best = usable.reduce<LadderEntry | undefined>((a, e) => (!a || e.permille > a.permille ? e : a), undefined);
  return best && { id: codeId(best.permille, n, construction), entry: best };
}
