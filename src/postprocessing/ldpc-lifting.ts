/**
 * The `ldpc2` construction: a quasi-cyclic lifting of a random base graph
 * (a protograph) with circulant shifts chosen so that the lifted graph has
 * no cycle of length 4 (girth at least 6).
 *
 *  - Base graph: nb columns (variable blocks) and mb = round(nb (1 - R))
 *    rows, column degrees apportioned from the ladder entry's distribution,
 *    row degrees as even as possible. The degree-2 columns form a zigzag
 *    over a random order of the rows (a path: no cycle made of degree-2
 *    nodes only, in the base or, since lifting a forest gives a forest, in
 *    the lifted graph; the structure of IRA codes, Jin, Khandekar, McEliece
 *    2000); every other edge joins a random row socket (configuration model)
 *    without repeating an edge.
 *  - Lifting by Z: base edge (a, c) becomes the Z×Z circulant P^s (check
 *    a·Z + i joins variable ((i + s) mod Z)·nb + c). A 4-cycle of the lifted
 *    graph projects onto base rows a, b and columns c, d with
 *    s_ac - s_ad + s_bd - s_bc = 0 (mod Z) (Fossorier, "Quasi-cyclic
 *    low-density parity-check codes from circulant permutation matrices",
 *    IEEE Trans. Inf. Theory 50(8), 2004, Theorem 2); each shift is drawn
 *    at random among the values that close no such cycle with the shifts
 *    already chosen.
 * Variables are numbered copy-major (copy k of column c is k·nb + c), so
 * that the consecutive bits the multidimensional mapping ties together
 * (the 8 bits of one vector share its norm) lie in different columns:
 * numbered column-major, copies of one column in one vector would close a
 * short cycle through that dependence wherever a 4-cycle's shift sum falls
 * within ±7 of 0 (not measurable at the default link: a precaution).
 * Girth 6 rules out the weight-3 codewords the `ldpc1` construction has:
 * two variables share at most one check, so three variables cover at most
 * three checks twice, which needs three degree-2 variables on a cycle.
 * Z is the largest power of two dividing n with at least 256 base columns,
 * so the rate is 1 - mb/nb, within 1/(2 nb) of the nominal one.
 */
import type { NodeDegrees } from './density-evolution.ts';
import type { Xoshiro128 } from './prng.ts';

export const MIN_BASE_COLUMNS = 256;

export interface LiftedShape {
  readonly z: number;
  readonly nb: number;
  readonly mb: number;
}

export function liftedShape(n: number, rate: number): LiftedShape {
  let z = 1;
  while (n % (z * 2) === 0 && n / (z * 2) >= MIN_BASE_COLUMNS) z *= 2;
  const nb = n / z;
  return { z, nb, mb: Math.round(nb * (1 - rate)) };
}

/** Splits `total` items into integer counts proportional to the fractions, summing exactly to `total`. */
export function apportion(fractions: NodeDegrees, total: number): number[] {
  const sum = fractions.reduce((s, [, f]) => s + f, 0);
  const exact = fractions.map(([, f]) => (f / sum) * total);
  const counts = exact.map(Math.floor);
  let left = total - counts.reduce((s, c) => s + c, 0);
  const order = exact.map((x, i) => [x - counts[i]!, i] as const).sort((a, b) => b[0] - a[0]);
  for (let k = 0; k < order.length && left > 0; k = (k + 1) % order.length, left--) counts[order[k]![1]]! += 1;
  return counts;
}

/** Compressed check rows of the lifted matrix: the variables of check c are checkVars[checkPtr[c] .. checkPtr[c+1]). */
export function liftedMatrix(variables: NodeDegrees, rate: number, n: number, rng: Xoshiro128): { m: number; checkPtr: Int32Array; checkVars: Int32Array } {
  const { z, nb, mb } = liftedShape(n, rate);
  // Column degrees, ascending; a degree above mb cannot be placed without repeats and is capped.
  const counts = apportion(variables, nb);
  const columnDegree: number[] = [];
  variables.forEach(([d], i) => {
    for (let k = 0; k < counts[i]!; k++) columnDegree.push(Math.min(d, mb));
  });
  const edges = columnDegree.reduce((s, d) => s + d, 0);
  const rowFree = Int32Array.from({ length: mb }, (_, r) => Math.floor(edges / mb) + (r < edges % mb ? 1 : 0));
  const rowOrder = Int32Array.from({ length: mb }, (_, i) => i);
  rng.shuffle(rowOrder);
  // base[r * nb + c] = 1 when row r and column c are joined.
  const base = new Uint8Array(mb * nb);
  const columnRows: number[][] = columnDegree.map(() => []);
  const join = (r: number, c: number) => {
    base[r * nb + c] = 1;
    columnRows[c]!.push(r);
    rowFree[r]!--;
  };
  let chained = 0;
  columnDegree.forEach((d, c) => {
    if (d !== 2 || chained + 1 >= mb) return;
    join(rowOrder[chained]!, c);
    join(rowOrder[chained + 1]!, c);
    chained++;
  });
  const sockets: number[] = [];
  for (let r = 0; r < mb; r++) for (let f = 0; f < rowFree[r]!; f++) sockets.push(r);
  const pool = Int32Array.from(sockets);
  rng.shuffle(pool);
  let next = 0;
  columnDegree.forEach((d, c) => {
    while (columnRows[c]!.length < d && next < pool.length) {
      // Swap in a later socket when this one would repeat an edge of the column.
      for (let tries = 0; tries < 64 && base[pool[next]! * nb + c]; tries++) {
        const j = next + rng.below(pool.length - next);
        const t = pool[next]!;
        pool[next] = pool[j]!;
        pool[j] = t;
      }
      const r = pool[next++]!;
      if (!base[r * nb + c]) join(r, c);
    }
  });

  // Shifts, column by column; shift[r * nb + c] = -1 while unassigned.
  const shift = new Int32Array(mb * nb).fill(-1);
  const rowColumns: number[][] = Array.from({ length: mb }, () => []);
  const forbidden = new Uint8Array(z);
  for (let c = 0; c < nb; c++) {
    for (const a of columnRows[c]!) {
      forbidden.fill(0);
      // A 4-cycle a-c-b-d: rows a, b both on columns c, d, the other three shifts already known.
      for (const b of columnRows[c]!) {
        const sbc = shift[b * nb + c]!;
        if (b === a || sbc < 0) continue;
        for (const d of rowColumns[a]!) {
          const sbd = shift[b * nb + d]!;
          if (sbd < 0) continue;
          forbidden[(((shift[a * nb + d]! - sbd + sbc) % z) + z) % z] = 1;
        }
      }
      let s = rng.below(z);
      for (let tries = 0; tries < 32 && forbidden[s]; tries++) s = rng.below(z);
      for (let k = 0; k < z && forbidden[s]; k++) s = (s + 1) % z;
      shift[a * nb + c] = s;
      rowColumns[a]!.push(c);
    }
  }

  const m = mb * z;
  const checkPtr = new Int32Array(m + 1);
  let total = 0;
  for (let a = 0; a < mb; a++) total += rowColumns[a]!.length * z;
  const checkVars = new Int32Array(total);
  let e = 0;
  for (let a = 0; a < mb; a++) {
    const columns = rowColumns[a]!.slice().sort((x, y) => x - y);
    for (let i = 0; i < z; i++) {
      for (const c of columns) checkVars[e++] = ((i + shift[a * nb + c]!) % z) * nb + c;
      checkPtr[a * z + i + 1] = e;
    }
  }
  return { m, checkPtr, checkVars };
}
