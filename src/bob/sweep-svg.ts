/**
 * The picture of a sweep, as a standalone SVG written by hand (no browser,
 * no library: a few dozen elements): the measured secret key rate per
 * symbol against the distance on a logarithmic y axis, with error bars
 * from the lowest to the highest frame, the asymptotic theory at beta = 1
 * (a curve) and at each distance's achieved beta (points joined by a
 * dashed line), the finite-size rate at the achieved beta (diamonds joined
 * by a dotted line: what the frames should measure), and a "no key" strip under the axis for what a log scale
 * cannot show: a marker at each distance where frames ended without a key,
 * labelled with their count. Elements carry their values as data-*
 * attributes, so that the file can be checked (and read) without drawing it.
 */
import type { SweepResult } from './sweep.ts';

/** Pixel layout: the log-scale plot area, the no-key strip under it, the legend to its right. */
export const LAYOUT = {
  width: 980,
  height: 675,
  plot: { left: 90, right: 700, top: 80, bottom: 480 },
  /** The centre line of the no-key strip. */
  noKeyY: 510,
  legendX: 725,
} as const;

/** Room left and right of the distances swept, as a share of their span, so that end points clear the frame. */
export const X_PADDING = 0.03;

/** The y axis never spans more decades than this: theory curves vanishing at a cut-off would squash the rest. */
export const MAX_DECADES = 6;

export interface MeasuredPoint {
  distanceKm: number;
  /** Bits per symbol over all frames, zero-key frames counted as 0. */
  mean: number;
  min: number;
  max: number;
  frames: number;
  zeroKeyFrames: number;
}

export interface KeyRatePlot {
  title: string;
  subtitle: string;
  /** Lines under the axis: how the numbers were made. */
  notes?: string[];
  measured: MeasuredPoint[];
  /** [km, bits/symbol], in order of distance. */
  theoryBeta1: [number, number][];
  /** The theory at each distance's achieved beta. */
  theoryAchieved: { distanceKm: number; rate: number; beta: number }[];
  /** The finite-size rate a frame should measure at each distance's achieved beta. */
  theoryFiniteSize: { distanceKm: number; rate: number; beta: number }[];
}

const esc = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Pixel coordinates to 0.01 px. */
const px = (x: number) => String(Math.round(x * 100) / 100);

/**
 * The y axis: whole decades from the one holding the smallest positive value
 * to the one holding the largest (at most MAX_DECADES, the top kept), 10^-4
 * to 1 when nothing is positive.
 */
export function logDomain(values: readonly number[]): [number, number] {
  const positive = values.filter((v) => v > 0 && Number.isFinite(v));
  if (positive.length === 0) return [-4, 0];
  // + 0 turns -0 (the ceiling of a log of 0.3) into 0.
  let top = Math.ceil(Math.log10(Math.max(...positive))) + 0;
  let bottom = Math.floor(Math.log10(Math.min(...positive))) + 0;
  if (top === bottom) top += 1;
  bottom = Math.max(bottom, top - MAX_DECADES);
  return [bottom, top];
}

/** Ticks every 1, 2 or 5 × 10^k km, about six of them, within [lo, hi]. */
export function distanceTicks(lo: number, hi: number): number[] {
  if (hi <= lo) return [lo];
  const raw = (hi - lo) / 6;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) ticks.push(Math.round(t * 1e9) / 1e9 + 0);
  return ticks;
}

export function renderKeyRatePlot(plot: KeyRatePlot): string {
  const { plot: area, noKeyY, legendX, width, height } = LAYOUT;
  const distances = [...plot.measured.map((m) => m.distanceKm), ...plot.theoryBeta1.map(([d]) => d)];
  let xLo = Math.min(...distances);
  let xHi = Math.max(...distances);
  if (xHi > xLo) {
    const pad = (xHi - xLo) * X_PADDING;
    xLo -= pad;
    xHi += pad;
  } else {
    xLo -= 1;
    xHi += 1;
  }
  const [dLo, dHi] = logDomain([
    ...plot.measured.flatMap((m) => [m.mean, m.min, m.max]),
    ...plot.theoryBeta1.map(([, r]) => r),
    ...plot.theoryAchieved.map((t) => t.rate),
    ...plot.theoryFiniteSize.map((t) => t.rate),
  ]);
  const x = (km: number) => area.left + ((km - xLo) / (xHi - xLo)) * (area.right - area.left);
  /** Null below the axis: not drawable on it. */
  const y = (rate: number): number | null => {
    if (!(rate > 0)) return null;
    const decades = Math.log10(rate);
    if (decades < dLo - 1e-12) return null;
    return area.bottom - ((decades - dLo) / (dHi - dLo)) * (area.bottom - area.top);
  };
  const out: string[] = [];
  out.push(`<?xml version="1.0" encoding="UTF-8"?>`);
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="13" data-y-decades="${dLo}:${dHi}" data-x-range="${xLo}:${xHi}">`,
  );
  out.push(`<title>${esc(plot.title)}</title>`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text class="title" x="${width / 2}" y="28" text-anchor="middle" font-size="17" font-weight="bold">${esc(plot.title)}</text>`);
  out.push(`<text class="subtitle" x="${width / 2}" y="52" text-anchor="middle" font-size="12" fill="#333333">${esc(plot.subtitle)}</text>`);

  // Decade grid and labels, 10^k.
  out.push(`<g class="y-axis" stroke="#000000">`);
  for (let k = dLo; k <= dHi; k++) {
    const yk = y(10 ** k)!;
    out.push(`<line class="grid" x1="${area.left}" x2="${area.right}" y1="${px(yk)}" y2="${px(yk)}" stroke="#dddddd"/>`);
    out.push(`<line x1="${area.left - 6}" x2="${area.left}" y1="${px(yk)}" y2="${px(yk)}"/>`);
    out.push(
      `<text class="y-tick" data-value="1e${k}" x="${area.left - 10}" y="${px(yk + 4)}" text-anchor="end" stroke="none">10<tspan dy="-6" font-size="10">${k < 0 ? `\u2212${-k}` : k}</tspan></text>`,
    );
    if (k < dHi) {
      for (let m = 2; m <= 9; m++) {
        const ym = y(m * 10 ** k)!;
        out.push(`<line x1="${area.left - 3}" x2="${area.left}" y1="${px(ym)}" y2="${px(ym)}"/>`);
      }
    }
  }
  out.push(`</g>`);
  out.push(
    `<text class="y-label" transform="translate(24 ${(area.top + area.bottom) / 2}) rotate(-90)" text-anchor="middle">secret key rate (bits per symbol, log scale)</text>`,
  );

  // The no-key strip and the distance axis under it.
  out.push(`<line x1="${area.left}" x2="${area.right}" y1="${noKeyY}" y2="${noKeyY}" stroke="#bbbbbb" stroke-dasharray="2 3"/>`);
  out.push(`<text class="no-key-axis" x="${area.left - 10}" y="${noKeyY + 4}" text-anchor="end" fill="#b00020">no key</text>`);
  const axisY = noKeyY + 22;
  out.push(`<g class="x-axis" stroke="#000000">`);
  out.push(`<line x1="${area.left}" x2="${area.right}" y1="${axisY}" y2="${axisY}"/>`);
  for (const t of distanceTicks(xLo, xHi)) {
    out.push(`<line x1="${px(x(t))}" x2="${px(x(t))}" y1="${axisY}" y2="${axisY + 6}"/>`);
    out.push(`<line class="grid" x1="${px(x(t))}" x2="${px(x(t))}" y1="${area.top}" y2="${area.bottom}" stroke="#eeeeee"/>`);
    out.push(`<text class="x-tick" data-value="${t}" x="${px(x(t))}" y="${axisY + 20}" text-anchor="middle" stroke="none">${t}</text>`);
  }
  out.push(`</g>`);
  out.push(`<text class="x-label" x="${(area.left + area.right) / 2}" y="${axisY + 44}" text-anchor="middle">distance (km of fibre)</text>`);
  (plot.notes ?? []).forEach((note, i) => {
    out.push(`<text class="note" x="20" y="${axisY + 68 + i * 15}" font-size="11" fill="#444444">${esc(note)}</text>`);
  });
  out.push(`<rect x="${area.left}" y="${area.top}" width="${area.right - area.left}" height="${area.bottom - area.top}" fill="none" stroke="#000000"/>`);

  // Theory at beta = 1: a solid curve, cut where it leaves the axis.
  for (const segment of segments(plot.theoryBeta1.map(([d, r]) => [x(d), y(r)] as const))) {
    out.push(`<polyline class="theory-beta-1" points="${segment}" fill="none" stroke="#1f77b4" stroke-width="2"/>`);
  }
  // Theory at the achieved beta: each distance's own, joined by a dashed line.
  for (const segment of segments(plot.theoryAchieved.map((t) => [x(t.distanceKm), y(t.rate)] as const))) {
    out.push(`<polyline class="theory-achieved" points="${segment}" fill="none" stroke="#ff7f0e" stroke-width="1.5" stroke-dasharray="6 4"/>`);
  }
  for (const t of plot.theoryAchieved) {
    const yt = y(t.rate);
    if (yt === null) {
      // The theory leaves no key at this beta either (or less than the axis shows): an open square on the strip.
      out.push(
        `<rect class="theory-achieved-no-key" data-distance-km="${t.distanceKm}" data-key-rate="${t.rate}" data-beta="${t.beta}" x="${px(x(t.distanceKm) - 4)}" y="${noKeyY + 8}" width="8" height="8" fill="none" stroke="#ff7f0e" stroke-width="1.5"/>`,
      );
      continue;
    }
    out.push(
      `<rect class="theory-achieved-point" data-distance-km="${t.distanceKm}" data-key-rate="${t.rate}" data-beta="${t.beta}" x="${px(x(t.distanceKm) - 3)}" y="${px(yt - 3)}" width="6" height="6" fill="#ff7f0e"/>`,
    );
    out.push(`<text class="beta-label" x="${px(x(t.distanceKm) + 6)}" y="${px(yt - 6)}" font-size="10" fill="#b35900">\u03b2 ${t.beta.toFixed(3)}</text>`);
  }

  // Finite-size theory at the achieved beta: diamonds joined by a dotted line.
  const diamond = (xc: number, yc: number, r: number) => `M ${px(xc)} ${px(yc - r)} L ${px(xc + r)} ${px(yc)} L ${px(xc)} ${px(yc + r)} L ${px(xc - r)} ${px(yc)} Z`;
  for (const segment of segments(plot.theoryFiniteSize.map((t) => [x(t.distanceKm), y(t.rate)] as const))) {
    out.push(`<polyline class="theory-finite-size" points="${segment}" fill="none" stroke="#9467bd" stroke-width="2" stroke-dasharray="2 3"/>`);
  }
  for (const t of plot.theoryFiniteSize) {
    const yt = y(t.rate);
    const data = `data-distance-km="${t.distanceKm}" data-key-rate="${t.rate}" data-beta="${t.beta}"`;
    if (yt === null) {
      // No key at this frame size in theory either: an open diamond on the strip, beside the square.
      out.push(`<path class="theory-finite-size-no-key" ${data} d="${diamond(x(t.distanceKm) + 12, noKeyY + 12, 5)}" fill="none" stroke="#9467bd" stroke-width="1.5"/>`);
      continue;
    }
    out.push(`<path class="theory-finite-size-point" ${data} d="${diamond(x(t.distanceKm), yt, 5)}" fill="#9467bd"/>`);
  }

  // Measured: the mean with bars from the lowest to the highest frame; a bar reaching a zero-key frame goes down to the axis, dotted.
  for (const m of plot.measured) {
    const xm = x(m.distanceKm);
    const yMean = y(m.mean);
    const yMax = y(m.max);
    if (yMean !== null && yMax !== null) {
      const yMin = y(m.min);
      const low = yMin ?? area.bottom;
      out.push(
        `<line class="error-bar" data-distance-km="${m.distanceKm}" data-min="${m.min}" data-max="${m.max}" x1="${px(xm)}" x2="${px(xm)}" y1="${px(low)}" y2="${px(yMax)}" stroke="#2ca02c" stroke-width="1.5"${yMin === null ? ' stroke-dasharray="2 2"' : ''}/>`,
      );
      out.push(`<line x1="${px(xm - 5)}" x2="${px(xm + 5)}" y1="${px(yMax)}" y2="${px(yMax)}" stroke="#2ca02c" stroke-width="1.5"/>`);
      if (yMin !== null) out.push(`<line x1="${px(xm - 5)}" x2="${px(xm + 5)}" y1="${px(yMin)}" y2="${px(yMin)}" stroke="#2ca02c" stroke-width="1.5"/>`);
      out.push(
        `<circle class="measured" data-distance-km="${m.distanceKm}" data-key-rate="${m.mean}" data-frames="${m.frames}" cx="${px(xm)}" cy="${px(yMean)}" r="5" fill="#2ca02c" stroke="#000000" stroke-width="0.8"/>`,
      );
    }
    if (m.zeroKeyFrames > 0) {
      out.push(
        `<path class="no-key" data-distance-km="${m.distanceKm}" data-zero-key-frames="${m.zeroKeyFrames}" data-frames="${m.frames}" d="M ${px(xm - 6)} ${noKeyY - 5} L ${px(xm + 6)} ${noKeyY - 5} L ${px(xm)} ${noKeyY + 6} Z" fill="#b00020"/>`,
      );
      out.push(`<text class="no-key-label" x="${px(xm + 8)}" y="${noKeyY - 6}" font-size="10" fill="#b00020">${m.zeroKeyFrames}/${m.frames}</text>`);
    }
  }

  // Legend: a mark (drawn about its row's centre line) and a wrapped label per row.
  const rows: [(yc: number) => string, string][] = [
    [(yc) => `<line x1="${legendX}" x2="${legendX + 24}" y1="${yc}" y2="${yc}" stroke="#1f77b4" stroke-width="2"/>`, 'theory, \u03b2 = 1'],
    [
      (yc) =>
        `<line x1="${legendX}" x2="${legendX + 24}" y1="${yc}" y2="${yc}" stroke="#ff7f0e" stroke-width="1.5" stroke-dasharray="6 4"/><rect x="${legendX + 9}" y="${yc - 3}" width="6" height="6" fill="#ff7f0e"/>`,
      "asymptotic theory at each distance's achieved \u03b2 (open square on the no-key strip: no key in theory either)",
    ],
    [
      (yc) =>
        `<line x1="${legendX}" x2="${legendX + 24}" y1="${yc}" y2="${yc}" stroke="#9467bd" stroke-width="2" stroke-dasharray="2 3"/><path d="${diamond(legendX + 12, yc, 5)}" fill="#9467bd"/>`,
      'finite-size theory at the achieved \u03b2: what the frames should measure (open diamond on the strip: no key)',
    ],
    [
      (yc) =>
        `<line x1="${legendX + 12}" x2="${legendX + 12}" y1="${yc - 9}" y2="${yc + 9}" stroke="#2ca02c" stroke-width="1.5"/><circle cx="${legendX + 12}" cy="${yc}" r="5" fill="#2ca02c" stroke="#000000" stroke-width="0.8"/>`,
      'measured: mean over the frames, zero-key frames counted as 0 (bar: lowest to highest frame)',
    ],
    [
      (yc) => `<path d="M ${legendX + 6} ${yc - 5} L ${legendX + 18} ${yc - 5} L ${legendX + 12} ${yc + 6} Z" fill="#b00020"/>`,
      'frames that ended without a key (k/n), on the no-key strip',
    ],
  ];
  out.push(`<g class="legend">`);
  let rowY = area.top + 10;
  for (const [mark, label] of rows) {
    out.push(mark(rowY));
    const lines = wrap(label, 34);
    lines.forEach((line, j) => out.push(`<text x="${legendX + 32}" y="${rowY + 4 + j * 15}" font-size="12">${esc(line)}</text>`));
    rowY += lines.length * 15 + 16;
  }
  out.push(`</g>`);
  out.push(`</svg>`);
  return `${out.join('\n')}\n`;
}

/** Runs of drawable points as polyline `points`, broken where a point leaves the axis. */
function segments(points: readonly (readonly [number, number | null])[]): string[] {
  const out: string[] = [];
  let run: string[] = [];
  for (const [xp, yp] of points) {
    if (yp === null) {
      if (run.length > 1) out.push(run.join(' '));
      run = [];
    } else run.push(`${px(xp)},${px(yp)}`);
  }
  if (run.length > 1) out.push(run.join(' '));
  return out;
}

/** Greedy word wrap for the legend. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

const fmt = (v: number) => String(Number(v.toPrecision(3)));

/** The plot of a sweep's result: its title states the link, the frames and the symbols. */
export function sweepPlot(result: SweepResult): KeyRatePlot {
  const { link } = result;
  const frames = result.frames_per_distance;
  return {
    title: `Secret key rate vs distance: ${frames} frame${frames === 1 ? '' : 's'} of ${result.symbols_per_frame.toLocaleString('en-US')} symbols per distance`,
    subtitle:
      `Va = ${fmt(link.variance)} SNU, \u03be = ${fmt(link.excess_noise)} SNU, \u03b7 = ${fmt(link.efficiency)}, ` +
      `Vel = ${fmt(link.electronic_noise)} SNU, fibre ${fmt(link.loss_db_per_km)} dB/km${result.interrupted ? ' (interrupted: partial)' : ''}`,
    notes: [
      `Measured: real frames over loopback TCP; final key bits / symbols at the finite size (${result.receiver.estimation_symbols.toLocaleString('en-US')} symbols revealed, ` +
        `\u03b5_PE = ${result.receiver.epsilon_pe}, worst case),`,
      `less the verification hash and the privacy amplification's margin; LDPC blocks of ${result.receiver.block_length} bits, ${result.receiver.margin_db} dB margin, PE_FINISHED at \u03b2 = ${result.assumed_beta}.`,
      'Theory: the asymptotic key rate of the same link (Fossier et al., J. Phys. B 42, 114014, 2009); finite size: the same key length formula at the worst case',
      'of the confidence region the estimator reaches on average at this frame size (Leverrier et al., PRA 81, 062343, 2010), no block lost.',
    ],
    measured: result.points.map((p) => ({
      distanceKm: p.distance_km,
      mean: p.key_rate.mean,
      min: p.key_rate.min,
      max: p.key_rate.max,
      frames: p.counts.attempted,
      zeroKeyFrames: p.zero_key_frames,
    })),
    theoryBeta1: result.theory_beta_1,
    theoryAchieved: result.points.flatMap((p) =>
      p.beta === null || p.theoretical_key_rate.achieved_beta === null
        ? []
        : [{ distanceKm: p.distance_km, rate: p.theoretical_key_rate.achieved_beta, beta: p.beta.mean }],
    ),
    theoryFiniteSize: result.points.flatMap((p) =>
      p.beta === null || p.theoretical_key_rate.finite_size === null
        ? []
        : [{ distanceKm: p.distance_km, rate: p.theoretical_key_rate.finite_size, beta: p.beta.mean }],
    ),
  };
}

export function sweepSvg(result: SweepResult): string {
  return renderKeyRatePlot(sweepPlot(result));
}
