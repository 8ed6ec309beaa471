/** Drives one whole frame with a Bob backend, step by step through the session. */
import { randomUUID } from 'node:crypto';
import type { ContentOf } from '../protocol/schemas.ts';
import type { BobBackend, EstimationReport } from './backend.ts';
import { BobError } from './errors.ts';
import type { BobSession } from './session.ts';

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

export interface RunFrameOptions {
  onPhase?: (phase: FramePhase) => void;
  /** Identify before the frame even when identified (as the deployed Bob does, wire notes 13). */
  identifyEachFrame?: boolean;
  /** Called once the estimation is sent, before Alice's verdict. */
  onEstimation?: (estimation: NonNullable<FrameResult['estimation']>) => void;
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
  const symbols = await session.symbols(indices);
  failIf(symbols, 'PE_SYMBOLS_ERROR');
  const photonNumber = Number((await session.photonNumber()).content?.n_photon);
  const estimation = backend.estimate({
    frameUuid,
    indices,
    symbolsReal: symbols.content?.symbols_real as number[],
    symbolsImag: symbols.content?.symbols_imag as number[],
    photonNumber,
  });
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
  return { frameUuid, status: 'completed', keyBits: pa.secret_key_length, estimation: measured };
}
