/**
 * `qosst-control`: every public entry in one import, plus logs and the
 * Stately inspector that both parties accept.
 */
export * from './protocol/index.ts';
export * from '../machines/index.ts';
export * from './alice/index.ts';
export * from './bob/index.ts';
export * from './sim/index.ts';
export * from './physics/index.ts';
export { createLogger, LOG_LEVELS, type LogFormat, type LogLevel, type LogOptions } from './log.ts';
export { createInspection, InspectTargetError, type Inspection } from './inspect.ts';
