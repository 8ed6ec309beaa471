/** Drives one whole frame with a Bob backend, step by step through the session. */
import { randomUUID } from 'node:crypto';
import { finalKeyLength } from '../protocol/pa-request.ts';
import type { ContentOf } from '../protocol/schemas.ts';
import type { BobBackend, EstimationReport } from './backend.ts';
import { BobError } from './errors.ts';
import type { BobSession } from './session.ts';
import type { FinalKeyHook } from '../keys/final-key.ts';

export type FramePhase =
  | 'initialization'
  | 'polarisation-recovery'
  | 'quantum-information-exchange'
  | 'parameter-estimation'
  | 'error-correction'
  | 'privacy-amplification'
  | 'end-of-frame';

export interface FrameResult {
  frameUuid: string;
  /** completed: key distilled; denied: Alice denied initialization or estimation. */
  status: 'completed' | 'denied';
  keyBits: number;
  message?: string;
  /** What Bob sent in PE_FINISHED, and the backend's details, once estimated. */
  estimation?: { sent: NonNullable<ContentOf<'PE_FINISHED'>>; report: EstimationReport | null };
}

/** A step answered with Alice's refusal (EC_DENIED, PA_ERROR, ...): the frame cannot go on. */
export class FrameFailedError extends BobError {
  override name = 'FrameFailedError';
}

function failIf(answer: { name: string; content: Record<string, unknown> | null }, refusal: string): void {
  if (answer.name === refusal) throw new FrameFailedError(`${refusal}: ${String(answer.content?.error_message ?? answer.content?.deny_message ?? '')}`);
}

/** Indices per PE_SYMBOLS_REQUEST: an answer of about 5 MB. */
export const SYMBOLS_PER_REQUEST = 100_000;

export interface RunFrameOptions {
  onPhase?: (phase: FramePhase) => void;
  /** Identify before the frame even when identified (as the deployed Bob does, wire notes 13). */
  identifyEachFrame?: boolean;
  /** Called once the estimation is sent, before Alice's verdict. */
  onEstimation?: (estimation: NonNullable<FrameResult['estimation']>) => void;
  /** Receives the frame's final key (the backend's) after FRAME_ENDED_ACK. */
  onFinalKey?: FinalKeyHook;
}

export async function runFrame(session: BobSession, backend: BobBackend, options: RunFrameOptions = {}): Promise<FrameResult> {
  const phase = options.onPhase ?? (() => undefined);
  if (!session.identified || options.identifyEachFrame) await session.identify();
  const frameUuid = randomUUID();

  phase('initialization');
  let init = await session.initialize({ frame_uuid: frameUuid, ...backend.frameParameters() });
  if (init.name === 'INITIALIZATION_PROPOSAL') {
    backend.adoptConfig((await session.requestConfig()).content?.config);
    init = await session.initialize({ frame_uuid: frameUuid, ...backend.frameParameters() });
  }
  if (init.name !== 'INITIALIZATION_ACCEPTED') {
    return { frameUuid, status: 'denied', keyBits: 0, message: String(init.content?.deny_message ?? init.name) };
  }
  if (backend.polarisationRecovery) {
    phase('polarisation-recovery');
    await session.polarisationRecovery(() => backend.polarisationRecovery!());
  }

  phase('quantum-information-exchange');
  await session.qie(() => backend.acquire(frameUuid));

  phase('parameter-estimation');
  const indices = backend.estimationIndices(frameUuid);
  // In requests of a bounded size (at least one): an Alice bounds her answers (ours at 16 MiB, about 320 000 symbols).
  const symbolsReal: number[] = [];
  const symbolsImag: number[] = [];
  for (let start = 0; start < indices.length || start === 0; start += SYMBOLS_PER_REQUEST) {
    const symbols = await session.symbols(indices.slice(start, start + SYMBOLS_PER_REQUEST));
    failIf(symbols, 'PE_SYMBOLS_ERROR');
    for (const x of symbols.content?.symbols_real as number[]) symbolsReal.push(x);
    for (const x of symbols.content?.symbols_imag as number[]) symbolsImag.push(x);
  }
  const photonNumber = Number((await session.photonNumber()).content?.n_photon);
  const estimation = backend.estimate({ frameUuid, indices, symbolsReal, symbolsImag, photonNumber });
  const measured = { sent: estimation, report: backend.estimationReport?.() ?? null };
  options.onEstimation?.(measured);
  const verdict = await session.finishEstimation(estimation);
  if (verdict.name === 'PE_DENIED') {
    return { frameUuid, status: 'denied', keyBits: 0, message: String(verdict.content?.deny_message), estimation: measured };
  }

  phase('error-correction');
  failIf(await session.ecInitialize(backend.ecParameters()), 'EC_DENIED');
  for (const syndrome of backend.ecBlocks()) failIf(await session.ecBlock(syndrome), 'EC_BLOCK_ERROR');
  const remaining = backend.ecRemaining();
  if (remaining) failIf(await session.ecRemaining(remaining), 'EC_REMAINING_ERROR');
  failIf(await session.ecVerify(backend.keyHash()), 'EC_VERIFICATION_FAIL');

  phase('privacy-amplification');
  const pa = backend.paParameters();
  failIf(await session.privacyAmplification(pa), 'PA_ERROR');

  phase('end-of-frame');
  await session.endFrame();
  // Reached only after EC_VERIFICATION_SUCCESS and FRAME_ENDED_ACK for this frame.
  if (options.onFinalKey) {
    const key = backend.finalKey?.(frameUuid);
    if (key) options.onFinalKey({ frameUuid, key });
  }
  return { frameUuid, status: 'completed', keyBits: finalKeyLength(pa, backend.reconciledLength()), estimation: measured };
}
