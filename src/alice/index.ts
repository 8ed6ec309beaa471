/**
 * `qosst-control/alice`: host Alice's daemon in your own Node program with
 * your own backend. What is not listed here is internal.
 */
export { startAlice, type AliceDaemon, type StartAliceOptions } from './daemon.ts';
export type { MessageEvent, SessionObserver } from './server.ts';
export type {
  AliceBackend,
  AliceSessionBackend,
  InitializationDecision,
  ParameterChange,
  SessionInfo,
  SymbolsResult,
  Verdict,
} from './backend.ts';
export { toBackend, toDeployed, withDeployedNames, type DeployedParameter, type DeployedParameters } from './deployed-parameters.ts';
export { reviewEstimation, type EstimationPolicy } from './estimation-policy.ts';
export { DEFAULT_PORT, aliceConfigSchema, type AliceConfig, type AliceConfigInput } from './config.ts';
export { ConfigError } from '../config.ts';
