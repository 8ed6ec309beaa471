/**
 * The distances of `qosst-bob sweep --distances START:STOP:STEP`, in km:
 * START, START + STEP, ... up to STOP inclusive (as `seq` counts; a STOP
 * that the steps do not land on is not reached).
 */

/** Distances one sweep may visit: each costs a daemon and its frames. */
export const MAX_SWEEP_DISTANCES = 100;

export class DistanceRangeError extends Error {
  override name = 'DistanceRangeError';
}

const NUMBER = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/;

function field(text: string, name: string, whole: string): number {
  if (!NUMBER.test(text)) throw new DistanceRangeError(`${name} "${text}" of "${whole}" is not a number of km`);
  const value = Number(text);
  if (!Number.isFinite(value)) throw new DistanceRangeError(`${name} "${text}" of "${whole}" is not a finite number of km`);
  return value;
}

/** Parses START:STOP:STEP; throws DistanceRangeError saying which part is wrong. */
export function parseDistanceRange(text: string): number[] {
  const parts = text.split(':');
  if (parts.length !== 3) {
    throw new DistanceRangeError(`expected START:STOP:STEP in km (e.g. 0:40:5), got "${text}"`);
  }
  const start = field(parts[0]!, 'START', text);
  const stop = field(parts[1]!, 'STOP', text);
  const step = field(parts[2]!, 'STEP', text);
  if (start < 0) throw new DistanceRangeError(`START must be a non-negative distance, got ${start} km in "${text}"`);
  if (stop < start) throw new DistanceRangeError(`STOP (${stop} km) must not be below START (${start} km) in "${text}"`);
  if (!(step > 0)) throw new DistanceRangeError(`STEP must be a positive number of km, got ${step} in "${text}"`);
  // A relative tolerance, so that 0:0.3:0.1 reaches 0.3 despite binary fractions.
  const count = Math.floor((stop - start) / step + 1e-9) + 1;
  if (count > MAX_SWEEP_DISTANCES) {
    throw new DistanceRangeError(`"${text}" gives ${count} distances, more than ${MAX_SWEEP_DISTANCES}: use a larger STEP`);
  }
  // Rounded to a picometre so that 0.1·3 prints as 0.3.
  return Array.from({ length: count }, (_, i) => Math.round((start + i * step) * 1e9) / 1e9);
}
