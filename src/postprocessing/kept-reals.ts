/**
 * The reals a frame's reconciliation works on, in the order both sides
 * agree on without any message: the symbols not revealed for parameter
 * estimation, in ascending index order, q then p of each, multiplied by
 * `scale` (Bob divides his detector's values by sqrt(N0) to reach SNU).
 * Block b of length n is reals b·n .. (b+1)·n - 1; the reals after the last
 * whole block are not reconciled.
 */
export function keptReals(real: ArrayLike<number>, imag: ArrayLike<number>, revealed: Iterable<number>, scale = 1): Float64Array {
  const skip = new Uint8Array(real.length);
  let skipped = 0;
  for (const i of revealed) {
    if (Number.isInteger(i) && i >= 0 && i < real.length && skip[i] === 0) {
      skip[i] = 1;
      skipped++;
    }
  }
  const out = new Float64Array(2 * (real.length - skipped));
  let j = 0;
  for (let i = 0; i < real.length; i++) {
    if (skip[i]) continue;
    out[j++] = real[i]! * scale;
    out[j++] = imag[i]! * scale;
  }
  return out;
}
