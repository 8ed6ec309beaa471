/** `qosst-bob sweep` as text: progress while it runs, then one table row per distance. */
import { progressPrinter } from './run.ts';
import type { Spread, SweepProgress, SweepResult } from './sweep.ts';

/** A line per distance started, then `qosst-bob run`'s progress for each frame. */
export function sweepProgressPrinter(stream: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout): (p: SweepProgress) => void {
  const frames = progressPrinter(stream);
  return (p) => {
    if (p.kind === 'distance') {
      stream.write(`\nDistance ${p.index + 1}/${p.count}: ${p.distance_km} km (T = ${p.transmittance.toFixed(4)}), starting Alice's daemon\n`);
    } else frames(p.progress);
  };
}

const num = (v: number | null | undefined, digits: number) => (v === null || v === undefined ? '-' : v.toFixed(digits));
const rate = (v: number) => (v === 0 ? '0' : v.toExponential(2));
const range = (s: Spread | null, digits: number) => (s === null ? '-' : `${num(s.mean, digits)} [${num(s.min, digits)}, ${num(s.max, digits)}]`);

export function formatSweep(result: SweepResult): string {
  const { link } = result;
  const head = [
    'km',
    'frames',
    'no key',
    'key rate b/sym: mean [min, max]',
    'beta: mean [min, max]',
    'SNR',
    'BLER',
    'theory b=1',
    'theory at beta',
    'finite-size at beta',
  ];
  const rows = result.points.map((p) => [
    String(p.distance_km),
    `${p.counts.completed}/${p.counts.attempted}`,
    String(p.zero_key_frames),
    `${rate(p.key_rate.mean)} [${rate(p.key_rate.min)}, ${rate(p.key_rate.max)}]`,
    range(p.beta, 3),
    num(p.snr?.mean, 3),
    p.block_error_rate === null ? '-' : `${p.block_errors}/${p.blocks}`,
    rate(p.theoretical_key_rate.beta_1),
    p.theoretical_key_rate.achieved_beta === null ? '-' : rate(p.theoretical_key_rate.achieved_beta),
    p.theoretical_key_rate.finite_size === null ? '-' : rate(p.theoretical_key_rate.finite_size),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `  ${cells.map((c, i) => (i === 3 || i === 4 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}`;
  const out = [
    '',
    `Sweep: ${result.frames_per_distance} frame(s) of ${result.symbols_per_frame} symbols per distance; Va ${link.variance} SNU, xi ${link.excess_noise} SNU, ` +
      `eta ${link.efficiency}, Vel ${link.electronic_noise} SNU, ${link.loss_db_per_km} dB/km; ${(result.elapsed_ms / 1000).toFixed(1)} s` +
      (result.interrupted ? ' (interrupted)' : ''),
    'The key rate is final key bits over the frame\'s symbols; frames that ended without a key count as 0 ("no key").',
    'frames = completed/attempted; BLER = blocks answered EC_BLOCK_ERROR / blocks sent; SNR per real at the worst-case estimates.',
    'Theory, bits/symbol: asymptotic at beta = 1 and at the mean achieved beta; finite-size: what a frame should measure at that beta ' +
      `(the estimator's expected worst case for ${result.receiver.estimation_symbols} revealed symbols and ${result.receiver.calibration_samples} calibration samples, ` +
      `epsilon_PE ${result.receiver.epsilon_pe}; whole blocks, no block lost).`,
    '',
    line(head),
    ...rows.map(line),
  ];
  const reasons = new Map<string, number>();
  for (const p of result.points) {
    for (const f of p.frames) {
      if (f.key_bits > 0 || f.message === undefined) continue;
      const key = `${p.distance_km} km: ${f.status}: ${f.message}`;
      reasons.set(key, (reasons.get(key) ?? 0) + 1);
    }
  }
  if (reasons.size > 0) {
    out.push('', 'Frames without a key:');
    for (const [reason, count] of reasons) out.push(`  ${reason}${count > 1 ? ` (x${count})` : ''}`);
  }
  return out.join('\n');
}
