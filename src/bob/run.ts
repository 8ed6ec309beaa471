/**
 * Runs frames one after the other with `runFrame` and a Bob backend, counts
 * how each ended, and reports progress; shared by `qosst-bob run` and
 * `npm start`. A frame that fails is counted as aborted and the next one
 * starts; an interruption (the signal) lets the current frame finish.
 */
import type { BobBackend } from './backend.ts';
import { ConnectionError, FrameAbortedError, VersionError } from './errors.ts';
import { runFrame, type FramePhase, type RunFrameOptions } from './run-frame.ts';
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
  frames: { attempted: number; completed: number; denied: number; aborted: number };
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
    frames: { attempted: 0, completed: 0, denied: 0, aborted: 0 },
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
    summary.frames.attempted++;
    const frameStart = Date.now();
    let phase: ProgressPhase = 'initialization';
    const report = (p: ProgressPhase, extra: Partial<FrameProgress> = {}) => {
      phase = p;
      options.onProgress?.({ frame, frames, phase: p, elapsedMs: Date.now() - frameStart, ...extra });
    };
    if (!session.identified || options.identifyEachFrame) report('identification');
    try {
      const result = await runFrame(session, backend, { onPhase: (p) => report(p), identifyEachFrame: options.identifyEachFrame, onFinalKey: options.onFinalKey });
      if (result.status === 'completed') {
        summary.frames.completed++;
        summary.keyBits += result.keyBits;
        report('completed', { keyBits: result.keyBits });
      } else {
        summary.frames.denied++;
        report('denied', result.message === undefined ? {} : { message: result.message });
      }
    } catch (error) {
      const err = error as Error;
      summary.frames.aborted++;
      summary.errors.push({ frame, phase, error: err?.name ?? 'Error', message: err?.message ?? String(error) });
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
  const { attempted, completed } = summary.frames;
  return completed === attempted && summary.errors.length === 0 ? 0 : 1;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function progressLine(p: FrameProgress): string {
  const frame = p.frames > 0 ? `frame ${p.frame}/${p.frames}` : `frame ${p.frame}`;
  let line = `${frame}  ${p.phase.padEnd(28)}  ${seconds(p.elapsedMs).padStart(8)}`;
  if (p.keyBits !== undefined) line += `  ${p.keyBits} key bits`;
  if (p.message) line += `  ${p.message}`;
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
  const { frames } = summary;
  const rows: [string, string][] = [
    ['frames attempted', String(frames.attempted)],
    ['completed', String(frames.completed)],
    ['denied', String(frames.denied)],
    ['aborted', String(frames.aborted)],
    ['key bits', String(summary.keyBits)],
    ['errors', String(summary.errors.length)],
    ['elapsed', seconds(summary.elapsedMs)],
  ];
  if (summary.interrupted) rows.push(['interrupted', 'yes']);
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = ['', 'Summary', ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)];
  for (const e of summary.errors) lines.push(`  frame ${e.frame} (${e.phase}): ${e.error}: ${e.message}`);
  return lines.join('\n');
}
