/**
 * `qosst-bob sweep` without frames: the distance range parser, the sweep's
 * options, and the SVG plot (well-formed XML, log-scale positions checked
 * against values computed here, zero-key frames marked rather than dropped).
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, helpFor, loadBobConfig, sweepOptions } from '../src/bob/config.ts';
import { DistanceRangeError, MAX_SWEEP_DISTANCES, parseDistanceRange } from '../src/bob/distance-range.ts';
import { finiteSizeRate, spread, theoreticalRate, type ReceiverSettings, type SweepLink } from '../src/bob/sweep.ts';
import { expectedEstimate } from '../src/physics/finite-size.ts';
import { holevoBound, mutualInformation } from '../src/physics/key-rate.ts';
import { distanceTicks, LAYOUT, logDomain, renderKeyRatePlot, X_PADDING, type KeyRatePlot } from '../src/bob/sweep-svg.ts';

const { JSDOM } = await import('jsdom');
const { DOMParser } = new JSDOM('').window;

describe('the distance range START:STOP:STEP', () => {
  it.each([
    ['0:40:5', [0, 5, 10, 15, 20, 25, 30, 35, 40]],
    ['2:2:1', [2]],
    ['0:10:3', [0, 3, 6, 9]],
    ['0:0.3:0.1', [0, 0.1, 0.2, 0.3]],
    ['1.5:4.5:1.5', [1.5, 3, 4.5]],
    [' 10 : 20 : 10 ', [10, 20]],
    ['0:1e1:5', [0, 5, 10]],
  ])('%s gives the distances in km', (text, expected) => {
    expect(parseDistanceRange(text)).toEqual(expected);
  });

  it.each([
    ['', /expected START:STOP:STEP/],
    ['0:40', /expected START:STOP:STEP in km \(e\.g\. 0:40:5\), got "0:40"/],
    ['0:40:5:1', /expected START:STOP:STEP/],
    ['a:40:5', /START "a" of "a:40:5" is not a number of km/],
    ['0::5', /STOP "" of "0::5" is not a number/],
    ['0:40:x', /STEP "x" of "0:40:x" is not a number/],
    ['0:Infinity:5', /STOP "Infinity" .* is not a number/],
    ['0:1e999:5', /STOP "1e999" .* is not a finite number/],
    ['-5:40:5', /START must be a non-negative distance, got -5 km/],
    ['10:0:5', /STOP \(0 km\) must not be below START \(10 km\)/],
    ['0:40:0', /STEP must be a positive number of km, got 0/],
    ['0:40:-5', /STEP must be a positive number of km, got -5/],
    ['0:1000:1', new RegExp(`gives 1001 distances, more than ${MAX_SWEEP_DISTANCES}`)],
  ])('"%s" is refused with a message naming the fault', (text, message) => {
    expect(() => parseDistanceRange(text)).toThrow(DistanceRangeError);
    expect(() => parseDistanceRange(text)).toThrow(message);
  });
});

describe("the sweep's options", () => {
  const load = (...argv: string[]) => loadBobConfig(['sweep', ...argv]);

  it('defaults to 0:40:5 km, one frame per distance, sweep.svg, the daemon default fibre', () => {
    const loaded = load();
    if (loaded.help) throw new Error('help');
    const options = sweepOptions(loaded.config);
    expect(options.distances).toEqual([0, 5, 10, 15, 20, 25, 30, 35, 40]);
    expect(options.frames).toBe(1);
    expect(loaded.config.out).toBe('sweep.svg');
    expect(options.link).toEqual({ variance: 4, lossDbPerKm: 0.2, excessNoise: 0.01, efficiency: 0.6, electronicNoise: 0.05 });
  });

  it('takes the range, frames, plot and the fibre from the command line', () => {
    const out = join(tmpdir(), 'plot.svg');
    const loaded = load('--distances', '0:20:10', '--frames', '3', '--out', out, '--sim-loss-db-per-km', '0.16', '--sim-excess-noise', '0.02', '--sim-symbols', '40000', '--json');
    if (loaded.help) throw new Error('help');
    expect(loaded.json).toBe(true);
    const options = sweepOptions(loaded.config);
    expect(options).toMatchObject({ distances: [0, 10, 20], frames: 3, symbols: 40_000, link: { lossDbPerKm: 0.16, excessNoise: 0.02 } });
    expect(loaded.config.out).toBe(out);
  });

  it.each([
    [['--distances', '0:40'], /distances: expected START:STOP:STEP/],
    [['--distances', '40:0:5'], /distances: STOP \(0 km\) must not be below START/],
    [['--frames', '0'], /"sweep" needs at least 1 frame per distance/],
    [['--frames', 'two'], /--frames: "two" is not a number/],
    [['--out', '/no/such/folder/plot.svg'], /--out: the folder "\/no\/such\/folder" does not exist/],
    [['--host', '10.0.0.1'], /--host does not apply to "sweep"/],
    [['--auth', 'ed25519'], /--auth does not apply to "sweep"/],
    [['--sim-fibre', '127.0.0.1:9'], /--sim-fibre is only valid for "run"/],
    [['--sim-excess-noise=-1'], /sim\.excess_noise/],
  ])('%j is refused', (argv, message) => {
    expect(() => load(...argv)).toThrow(ConfigError);
    expect(() => load(...argv)).toThrow(message);
  });

  it('the sweep-only options are refused elsewhere', () => {
    expect(() => loadBobConfig(['run', '--distances', '0:40:5'])).toThrow(/--distances is only valid for "sweep"/);
    expect(() => loadBobConfig(['probe', '--out', 'x.svg'])).toThrow(/--out is only valid for "sweep"/);
    expect(() => loadBobConfig(['probe', '--frames', '2'])).toThrow(/--frames is only valid for "run" or "sweep"/);
  });

  it('--help explains what is measured and how zero-key frames count', () => {
    expect(loadBobConfig(['sweep', '--help'])).toEqual({ help: true, command: 'sweep' });
    const help = helpFor('sweep');
    expect(help).toMatch(/--distances START:STOP:STEP/);
    expect(help).toMatch(/final key bits \/ the frame's symbols/);
    expect(help).toMatch(/counts as 0/);
    expect(helpFor(null)).toMatch(/sweep {6}measure the secret key rate/);
  });
});

describe('spread over frames', () => {
  it('mean, extremes and the standard error of the mean', () => {
    // Values 1, 2, 3, 6: mean 3, sample variance (4 + 1 + 0 + 9) / 3 = 14/3, standard error sqrt(14/3 / 4).
    const s = spread([1, 2, 3, 6])!;
    expect(s.mean).toBe(3);
    expect([s.min, s.max]).toEqual([1, 6]);
    expect(s.std_error).toBeCloseTo(Math.sqrt(14 / 12), 12);
    expect(spread([0.5])).toEqual({ mean: 0.5, min: 0.5, max: 0.5, std_error: null });
    expect(spread([])).toBeNull();
  });
});

describe('the finite-size theory of a sweep point', () => {
  const link: SweepLink = { variance: 4, lossDbPerKm: 0.2, excessNoise: 0.01, efficiency: 0.6, electronicNoise: 0.05 };
  const receiver: ReceiverSettings = {
    estimationSymbols: 500_000,
    calibrationSamples: 1_000_000,
    epsilonPE: 1e-10,
    epsilonPA: 1e-10,
    blockLength: 65_536,
    marginDb: 0.7,
    assumedBeta: 0.95,
  };

  it("counts what Bob's final key counts: K at the expected worst case over the symbols of whole blocks, less the hash and PA's margin, in bytes", () => {
    // 5 km: T = 10^-0.1. 10^6 symbols, 500 000 revealed: 10^6 reals make 15 blocks of 65 536 bits, 491 520 symbols.
    const T = 10 ** -0.1;
    const w = expectedEstimate({ Va: 4, T, xi: 0.01, eta: 0.6, Vel: 0.05 }, { revealedSymbols: 500_000, calibrationSamples: 1_000_000, epsilonPE: 1e-10, beta: 0.95 }).worstCase;
    const worst = { Va: 4, T: w.transmittance, xi: w.excessNoise, eta: 0.6, Vel: w.electronicNoise };
    const K = 0.8 * mutualInformation(worst) - holevoBound(worst);
    expect(K).toBeGreaterThan(0);
    // 64 bits of verification hash, 2·log2(1e10) = 66.44 bits of PA margin.
    const bits = Math.floor(491_520 * K - 64 - 2 * Math.log2(1e10));
    expect(finiteSizeRate(link, 5, 0.8, 1_000_000, receiver)).toBe((bits - (bits % 8)) / 1_000_000);
  });

  it('lies under the asymptotic rate, vanishes where the intervals eat the key, and nears it for huge frames', () => {
    for (const km of [0, 5, 10, 20]) expect(finiteSizeRate(link, km, 0.9, 1_000_000, receiver)).toBeLessThan(theoreticalRate(link, km, 0.9));
    expect(finiteSizeRate(link, 40, 0.9, 100_000, receiver)).toBe(0);
    // 10^10 symbols, 10^9 revealed and 10^10 calibration samples: within 5 % of the asymptotic rate on the 90 % kept.
    const huge = { ...receiver, estimationSymbols: 1e9, calibrationSamples: 1e10 };
    const ratio = finiteSizeRate(link, 5, 0.9, 1e10, huge) / (0.9 * theoreticalRate(link, 5, 0.9));
    expect(ratio).toBeGreaterThan(0.95);
    expect(ratio).toBeLessThan(1);
  });
});

describe('the SVG plot', () => {
  const plot: KeyRatePlot = {
    title: 'Secret key rate vs distance: 3 frames of 40,000 symbols per distance',
    subtitle: 'Va = 4 SNU, \u03be = 0.01 SNU, \u03b7 = 0.6, Vel = 0.05 SNU, fibre 0.2 dB/km & more <here>',
    measured: [
      { distanceKm: 0, mean: 0.05, min: 0.04, max: 0.06, frames: 3, zeroKeyFrames: 0 },
      { distanceKm: 10, mean: 0.01, min: 0, max: 0.02, frames: 3, zeroKeyFrames: 1 },
      { distanceKm: 20, mean: 0, min: 0, max: 0, frames: 3, zeroKeyFrames: 3 },
    ],
    theoryBeta1: [
      [0, 0.5],
      [10, 0.2],
      [20, 0.08],
    ],
    theoryAchieved: [
      { distanceKm: 0, rate: 0.3, beta: 0.8 },
      { distanceKm: 10, rate: 0.1, beta: 0.8 },
      { distanceKm: 20, rate: 0, beta: 0.7 },
    ],
    theoryFiniteSize: [
      { distanceKm: 0, rate: 0.06, beta: 0.8 },
      { distanceKm: 10, rate: 0.015, beta: 0.8 },
      { distanceKm: 20, rate: 0, beta: 0.7 },
    ],
  };
  const svg = renderKeyRatePlot(plot);
  const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
  const all = (selector: string) => [...doc.querySelectorAll(selector)];
  const num = (el: Element, name: string) => Number(el.getAttribute(name));
  const { left, right, top, bottom } = LAYOUT.plot;
  // The positive values span 0.01 .. 0.5: the axis runs over the decades 10^-2 .. 10^0.
  const yOf = (rate: number) => bottom - ((Math.log10(rate) + 2) / 2) * (bottom - top);
  // Distances 0 .. 20 km, padded by X_PADDING of the span on each side.
  const pad = 20 * X_PADDING;
  const xOf = (km: number) => left + ((km + pad) / (20 + 2 * pad)) * (right - left);

  it('is well-formed XML with an svg root, a title and the escaped subtitle', () => {
    expect(svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg ')).toBe(true);
    expect(doc.getElementsByTagName('parsererror')).toHaveLength(0);
    expect(doc.documentElement.tagName).toBe('svg');
    expect(doc.documentElement.getAttribute('xmlns')).toBe('http://www.w3.org/2000/svg');
    expect(doc.querySelector('text.title')!.textContent).toBe(plot.title);
    expect(doc.querySelector('text.subtitle')!.textContent).toBe(plot.subtitle);
    expect(doc.querySelector('text.x-label')!.textContent).toMatch(/distance \(km/);
    expect(doc.querySelector('text.y-label')!.textContent).toMatch(/bits per symbol, log scale/);
  });

  it('puts the decades where a log scale does', () => {
    expect(logDomain([0.01, 0.04, 0.5])).toEqual([-2, 0]);
    const ticks = all('text.y-tick');
    expect(ticks.map((t) => t.getAttribute('data-value'))).toEqual(['1e-2', '1e-1', '1e0']);
    // Text baselines sit 4 px under the tick they label.
    expect(ticks.map((t) => num(t, 'y') - 4)).toEqual([bottom, (bottom + top) / 2, top]);
    expect(all('text.x-tick').map((t) => Number(t.getAttribute('data-value')))).toEqual(distanceTicks(-pad, 20 + pad));
  });

  it('draws each measured mean and its bar at log-scale positions', () => {
    const points = all('circle.measured');
    // Only the distances with a positive mean; the third one has no key at all.
    expect(points.map((p) => num(p, 'data-distance-km'))).toEqual([0, 10]);
    expect(num(points[0]!, 'cx')).toBeCloseTo(xOf(0), 1);
    expect(num(points[0]!, 'cy')).toBeCloseTo(yOf(0.05), 1);
    expect(num(points[1]!, 'cx')).toBeCloseTo(xOf(10), 1);
    expect(num(points[1]!, 'cy')).toBeCloseTo(yOf(0.01), 1);
    // 0.05 lies log10(5) = 0.699 of a decade above 10^-2: 0.699 / 2 of the plot's height above its bottom.
    expect((bottom - num(points[0]!, 'cy')) / (bottom - top)).toBeCloseTo(0.699 / 2, 3);
    const bars = all('line.error-bar');
    expect(num(bars[0]!, 'y1')).toBeCloseTo(yOf(0.04), 1);
    expect(num(bars[0]!, 'y2')).toBeCloseTo(yOf(0.06), 1);
    expect(bars[0]!.getAttribute('stroke-dasharray')).toBeNull();
    // The lowest frame at 10 km had no key: the bar goes down to the axis, dotted.
    expect(num(bars[1]!, 'y1')).toBe(bottom);
    expect(num(bars[1]!, 'y2')).toBeCloseTo(yOf(0.02), 1);
    expect(bars[1]!.getAttribute('stroke-dasharray')).not.toBeNull();
  });

  it('marks frames without a key on the no-key strip instead of dropping them', () => {
    const marks = all('path.no-key');
    expect(marks.map((m) => [num(m, 'data-distance-km'), num(m, 'data-zero-key-frames'), num(m, 'data-frames')])).toEqual([
      [10, 1, 3],
      [20, 3, 3],
    ]);
    expect(all('text.no-key-label').map((t) => t.textContent)).toEqual(['1/3', '3/3']);
    // Below the log axis.
    for (const m of marks) expect(m.getAttribute('d')!.split(' ').map(Number).filter((v, i) => i % 3 === 2)).toSatisfy((ys: number[]) => ys.every((v) => v > bottom));
    expect(doc.querySelector('text.no-key-axis')!.textContent).toBe('no key');
  });

  it('draws the theory at beta = 1 and at the achieved beta on the same scale', () => {
    const [curve] = all('polyline.theory-beta-1');
    const points = curve!.getAttribute('points')!.split(' ').map((p) => p.split(',').map(Number));
    const expected = plot.theoryBeta1.map(([d, r]) => [xOf(d), yOf(r)]);
    points.forEach(([px, py], i) => {
      expect(px).toBeCloseTo(expected[i]![0]!, 1);
      expect(py).toBeCloseTo(expected[i]![1]!, 1);
    });
    const achieved = all('rect.theory-achieved-point');
    expect(achieved.map((r) => num(r, 'data-beta'))).toEqual([0.8, 0.8]);
    expect(num(achieved[1]!, 'y') + 3).toBeCloseTo(yOf(0.1), 1);
    // No key in theory at 20 km at its beta: an open square on the strip.
    const none = all('rect.theory-achieved-no-key');
    expect(none.map((r) => num(r, 'data-distance-km'))).toEqual([20]);
    expect(num(none[0]!, 'y')).toBeGreaterThan(bottom);
  });

  it('draws the finite-size theory as diamonds on a dotted line, an open diamond on the strip where it leaves no key', () => {
    const points = all('path.theory-finite-size-point');
    expect(points.map((p) => num(p, 'data-distance-km'))).toEqual([0, 10]);
    // The path starts at the diamond's top vertex, 5 px above its centre.
    const [, x0, y0] = points[1]!.getAttribute('d')!.split(' ');
    expect(Number(x0)).toBeCloseTo(xOf(10), 1);
    expect(Number(y0) + 5).toBeCloseTo(yOf(0.015), 1);
    const [line] = all('polyline.theory-finite-size');
    expect(line!.getAttribute('stroke-dasharray')).toBe('2 3');
    expect(line!.getAttribute('points')!.split(' ')).toHaveLength(2);
    const none = all('path.theory-finite-size-no-key');
    expect(none.map((p) => num(p, 'data-distance-km'))).toEqual([20]);
    expect(Number(none[0]!.getAttribute('d')!.split(' ')[2])).toBeGreaterThan(bottom);
  });

  it('has a legend naming every series', () => {
    const legend = doc.querySelector('g.legend')!.textContent!;
    for (const words of ['theory, \u03b2 = 1', 'achieved \u03b2', 'finite-size theory', 'measured: mean over the frames', 'without a key']) {
      expect(legend.replace(/\s+/g, ' ')).toContain(words);
    }
  });

  it('keeps at most MAX_DECADES decades and draws an axis when nothing is positive', () => {
    expect(logDomain([1e-12, 0.3])).toEqual([-6, 0]);
    expect(logDomain([0, 0])).toEqual([-4, 0]);
    expect(logDomain([0.01])).toEqual([-2, -1]);
    const empty = renderKeyRatePlot({ ...plot, measured: [{ distanceKm: 5, mean: 0, min: 0, max: 0, frames: 1, zeroKeyFrames: 1 }], theoryBeta1: [[5, 0]], theoryAchieved: [], theoryFiniteSize: [] });
    const parsed = new DOMParser().parseFromString(empty, 'image/svg+xml');
    expect(parsed.getElementsByTagName('parsererror')).toHaveLength(0);
    expect(parsed.querySelectorAll('path.no-key')).toHaveLength(1);
    expect(parsed.querySelectorAll('circle.measured')).toHaveLength(0);
  });
});
