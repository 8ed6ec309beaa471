/**
 * `qosst-control/bob`: Bob's session driver, to embed in your own Node
 * program with your own backend. What is not listed here is internal.
 */
export { BobSession, connect, type Answer, type ConnectOptions, type SessionEvents } from './session.ts';
export { FrameFailedError, runFrame, type FramePhase, type FrameResult, type RunFrameOptions } from './run-frame.ts';
export {
  formatMeasurement,
  runFrames,
  type FrameError,
  type FrameMeasurement,
  type FrameSummary,
  type FrameProgress,
  type ProgressPhase,
  type RunFramesOptions,
  type RunSummary,
} from './run.ts';
export { probe, type ProbeOptions, type ProbeResult, type ProbeStep } from './probe.ts';
export {
  AuthenticationError,
  BobError,
  ConnectionError,
  FrameAbortedError,
  InvalidRequestError,
  InvalidResponseError,
  OutOfOrderError,
  RefusedError,
  VersionError,
} from './errors.ts';
export type { BobBackend, EstimationInput, EstimationReport } from './backend.ts';
