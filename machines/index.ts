/**
 * `qosst-control/machines`: the protocol as data (one definition per phase,
 * the session layout) and the statecharts built from it, Alice's and Bob's.
 * What is not listed here is internal.
 */
export {
  EFFECTS,
  GENERIC_ANSWERS,
  REFUSALS,
  definePhase,
  type AnswerDef,
  type EffectName,
  type PhaseDef,
  type RefusalName,
  type RequestDef,
  type WaitingState,
} from './phase.ts';
export { BACK, END, type Layout, type Mount, type Stage } from './layout.ts';
export { identification, identificationMachine } from './identification.ts';
export { initialization, initializationMachine } from './initialization.ts';
export { parameterChange, parameterChangeMachine } from './parameter-change.ts';
export { polarisationRecovery, polarisationRecoveryMachine } from './polarisation-recovery.ts';
export { quantumInformationExchange, quantumInformationExchangeMachine } from './quantum-information-exchange.ts';
export { parameterEstimation, parameterEstimationMachine } from './parameter-estimation.ts';
export { errorCorrection, errorCorrectionMachine } from './error-correction.ts';
export { privacyAmplification, privacyAmplificationMachine } from './privacy-amplification.ts';
export { endOfFrame, endOfFrameMachine } from './end-of-frame.ts';
export { endOfCommunication, endOfCommunicationMachine } from './end-of-communication.ts';
export { generic, genericMachine } from './generic.ts';
export {
  buildAliceMachine,
  phaseMachine,
  type AliceContext,
  type AliceEvent,
  type AliceInput,
  type AliceEffectsLogic,
  type AliceMachine,
  type AnswerEvent,
  type EffectFunction,
  type EffectInput,
  type EffectOutput,
} from './alice.ts';
export { SESSION_LAYOUT, aliceSessionMachine } from './alice-session.ts';
export { buildBobMachine, type BobContext, type BobEvent, type BobMachine } from './bob.ts';
export { bobSessionMachine } from './bob-session.ts';
