/**
 * Runs frames one after the other with `runFrame` and a Bob backend, counts
 * how each ended, and reports progress; shared by `qosst-bob run` and
 * `npm start`. A frame that fails is counted as aborted and the next one
 * starts; an interruption (the signal) lets the current frame finish.
 */
import { distanceFromTransmittance, DEFAULT_LOSS_DB_PER_KM } from '../physics/fibre-loss.ts';
import type { BobBackend } from './backend.ts';
import { ConnectionError, FrameAbortedError, VersionError } from './errors.ts';
import { runFrame, type FramePhase, type FrameResult, type RunFrameOptions } from './run-frame.ts';
import type { BobSession } from './session.ts';

export type ProgressPhase = FramePhase | 'identification' | 'completed' | 'denied' | 'aborted';

export interface FrameProgress {
  /** 1-based frame number. */
  frame: number;
  /** Frames asked for; 0 = until interrupted. */
  frames: number;
  phase: ProgressPhase;
  /** Time since the frame started. */
  elapsedMs: number;
  /** Key bits of a completed frame. */
  keyBits?: number;
  /** Why a frame was denied or aborted. */
  message?: string;
  /** What Bob measured, once estimated. */
  measured?: FrameMeasurement;
}

/**
 * One frame's estimation as users see it (`--json` keys): point estimates
 * with their confidence intervals, what PE_FINISHED carried (the worst case)
 * and the theoretical rate of the configured link. Rates in bits per symbol.
 */
export interface FrameMeasurement {
  transmittance: number;
  transmittance_interval?: [number, number];
  /** The fibre length the estimated transmittance implies. */
  distance_km?: number;
  excess_noise: number;
  excess_noise_interval?: [number, number];
  electronic_noise?: number;
  /** The key rate sent in PE_FINISHED: at the worst case of the confidence region. */
  key_rate: number;
  /** At the point estimates. */
  key_rate_estimate?: number;
  /** The configured link's rate with this detector. */
  theoretical_key_rate?: number;
  revealed_symbols?: number;
  epsilon_pe?: number;
  /** The PE_FINISHED content as sent. */
  sent: Record<string, number>;
}

export interface FrameSummary {
  frame: number;
  frame_uuid: string | null;
  status: 'completed' | 'denied' | 'aborted';
  key_bits: number;
  message?: string;
  measured?: FrameMeasurement;
}

function measurementOf(estimation: FrameResult['estimation']): FrameMeasurement | undefined {
  if (!estimation) return undefined;
  const { sent, report } = estimation;
  if (!report) return { transmittance: sent.transmittance, excess_noise: sent.excess_noise, electronic_noise: sent.electronic_noise, key_rate: sent.key_rate, sent };
  const T = report.transmittance.estimate;
  const loss = report.lossDbPerKm ?? DEFAULT_LOSS_DB_PER_KM;
  return {
    transmittance: T,
    transmittance_interval: [report.transmittance.low, report.transmittance.high],
    ...(T > 0 && T <= 1 ? { distance_km: distanceFromTransmittance(T, loss) } : {}),
    excess_noise: report.excessNoise.estimate,
    excess_noise_interval: [report.excessNoise.low, report.excessNoise.high],
    electronic_noise: report.electronicNoise.estimate,
    key_rate: sent.key_rate,
    key_rate_estimate: report.keyRateAtEstimate,
    ...(report.theoreticalKeyRate === undefined ? {} : { theoretical_key_rate: report.theoreticalKeyRate }),
    revealed_symbols: report.revealed,
    epsilon_pe: report.epsilonPE,
    sent,
  };
}

export interface FrameError {
  frame: number;
  /** The phase the frame was in. */
  phase: ProgressPhase;
  /** The error's class: FrameAbortedError, FrameFailedError, RefusedError, ... */
  error: string;
  message: string;
}

export interface RunSummary {
  counts: { attempted: number; completed: number; denied: number; aborted: number };
  frames: FrameSummary[];
  keyBits: number;
  errors: FrameError[];
  /** The run stopped on the signal before all frames were run. */
  interrupted: boolean;
  elapsedMs: number;
}

export interface RunFramesOptions {
  /** Frames to run (default 1); 0 runs until the signal is aborted. */
  frames?: number;
  onProgress?: (progress: FrameProgress) => void;
  /** Once aborted, no new frame starts; the current one finishes. */
  signal?: AbortSignal;
  identifyEachFrame?: boolean;
  onFinalKey?: RunFrameOptions['onFinalKey'];
}

/** Errors after which no further frame can succeed on this session. */
function isFatal(error: unknown): boolean {
  return error instanceof ConnectionError || error instanceof VersionError;
}

export async function runFrames(session: BobSession, backend: BobBackend, options: RunFramesOptions = {}): Promise<RunSummary> {
  const frames = options.frames ?? 1;
  const started = Date.now();
  const summary: RunSummary = {
    counts: { attempted: 0, completed: 0, denied: 0, aborted: 0 },
    frames: [],
    keyBits: 0,
    errors: [],
    interrupted: false,
    elapsedMs: 0,
  };
  for (let frame = 1; frames === 0 || frame <= frames; frame++) {
    if (options.signal?.aborted) {
      summary.interrupted = true;
      break;
    }
    summary.counts.attempted++;
    const frameStart = Date.now();
    let phase: ProgressPhase = 'initialization';
    let measured: FrameMeasurement | undefined;
    const report = (p: ProgressPhase, extra: Partial<FrameProgress> = {}) => {
      phase = p;
      options.onProgress?.({ frame, frames, phase: p, elapsedMs: Date.now() - frameStart, ...(measured ? { measured } : {}), ...extra });
    };
    const record = (status: FrameSummary['status'], frameUuid: string | null, keyBits: number, message?: string) =>
      summary.frames.push({ frame, frame_uuid: frameUuid, status, key_bits: keyBits, ...(message === undefined ? {} : { message }), ...(measured ? { measured } : {}) });
    if (!session.identified || options.identifyEachFrame) report('identification');
    try {
      const result = await runFrame(session, backend, {
        onPhase: (p) => report(p),
        identifyEachFrame: options.identifyEachFrame,
        onFinalKey: options.onFinalKey,
        onEstimation: (e) => {
          measured = measurementOf(e);
        },
      });
      if (result.status === 'completed') {
        summary.counts.completed++;
        summary.keyBits += result.keyBits;
        record('completed', result.frameUuid, result.keyBits);
        report('completed', { keyBits: result.keyBits });
      } else {
        summary.counts.denied++;
        record('denied', result.frameUuid, 0, result.message);
        report('denied', result.message === undefined ? {} : { message: result.message });
      }
    } catch (error) {
      const err = error as Error;
      summary.counts.aborted++;
      summary.errors.push({ frame, phase, error: err?.name ?? 'Error', message: err?.message ?? String(error) });
      record('aborted', session.frameUuid, 0, err?.message ?? String(error));
      report('aborted', { message: err?.message ?? String(error) });
      if (isFatal(error)) break;
      // Tell Alice to discard the frame she still holds (unless she aborted it herself).
      if (!(error instanceof FrameAbortedError) && session.frameUuid !== null && session.can('ABORT')) {
        await session.abort(`Bob: ${err.message}`).catch(() => undefined);
      }
    }
  }
  summary.elapsedMs = Date.now() - started;
  return summary;
}

/** Exit status of a run: 0 only if every frame attempted completed. */
export function runExitCode(summary: RunSummary): number {
  const { attempted, completed } = summary.counts;
  return completed === attempted && summary.errors.length === 0 ? 0 : 1;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

const fixed = (x: number | undefined, digits: number) => (x === undefined ? '?' : Number.isFinite(x) ? x.toFixed(digits) : String(x));

/** One line: T (distance), xi, Vel, the key rate sent and the rates to compare it with. */
export function formatMeasurement(m: FrameMeasurement): string {
  const interval = (i: [number, number] | undefined, digits: number) => (i ? ` [${fixed(i[0], digits)}, ${fixed(i[1], digits)}]` : '');
  const distance = m.distance_km === undefined ? '' : ` (${fixed(m.distance_km, 1)} km)`;
  let line = `T ${fixed(m.transmittance, 4)}${interval(m.transmittance_interval, 4)}${distance}`;
  line += `  xi ${fixed(m.excess_noise, 4)}${interval(m.excess_noise_interval, 3)}`;
  if (m.electronic_noise !== undefined) line += `  Vel ${fixed(m.electronic_noise, 4)}`;
  line += `  key rate ${fixed(m.key_rate, 4)} b/sym (worst case)`;
  if (m.key_rate_estimate !== undefined) line += `, ${fixed(m.key_rate_estimate, 4)} at the estimates`;
  if (m.theoretical_key_rate !== undefined) line += `, theory ${fixed(m.theoretical_key_rate, 4)}`;
  return line;
}

function progressLine(p: FrameProgress): string {
  const frame = p.frames > 0 ? `frame ${p.frame}/${p.frames}` : `frame ${p.frame}`;
  let line = `${frame}  ${p.phase.padEnd(28)}  ${seconds(p.elapsedMs).padStart(8)}`;
  if (p.keyBits !== undefined) line += `  ${p.keyBits} key bits`;
  if (p.message) line += `  ${p.message}`;
  if (p.measured && ENDS.includes(p.phase)) line += `\n    ${formatMeasurement(p.measured)}`;
  return line;
}

const ENDS: readonly ProgressPhase[] = ['completed', 'denied', 'aborted'];

/**
 * Prints progress: on a terminal one line per frame, rewritten in place at
 * each phase and as the time goes; otherwise one line per phase.
 */
export function progressPrinter(
  stream: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout,
  options: { tickMs?: number } = {},
): (p: FrameProgress) => void {
  let ticker: NodeJS.Timeout | null = null;
  const draw = (p: FrameProgress) => stream.write(`\r\x1b[K${progressLine(p)}`);
  return (p) => {
    if (!stream.isTTY) {
      stream.write(`${progressLine(p)}\n`);
      return;
    }
    if (ticker) clearInterval(ticker);
    ticker = null;
    draw(p);
    if (ENDS.includes(p.phase)) {
      stream.write('\n');
      return;
    }
    const since = Date.now();
    ticker = setInterval(() => draw({ ...p, elapsedMs: p.elapsedMs + Date.now() - since }), options.tickMs ?? 200);
    ticker.unref();
  };
}

/** The summary as a table. */
export function formatSummary(summary: RunSummary): string {
  const { counts } = summary;
  const rows: [string, string][] = [
    ['frames attempted', String(counts.attempted)],
    ['completed', String(counts.completed)],
    ['denied', String(counts.denied)],
    ['aborted', String(counts.aborted)],
    ['key bits', String(summary.keyBits)],
    ['errors', String(summary.errors.length)],
    ['elapsed', seconds(summary.elapsedMs)],
  ];
  if (summary.interrupted) rows.push(['interrupted', 'yes']);
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = ['', 'Summary', ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)];
  for (const e of summary.errors) lines.push(`  frame ${e.frame} (${e.phase}): ${e.error}: ${e.message}`);
  for (const f of summary.frames) if (f.measured) lines.push(`  frame ${f.frame} ${f.status}: ${formatMeasurement(f.measured)}`);
  return lines.join('\n');
}
