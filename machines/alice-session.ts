/**
 * Alice's session: identification, then the frame phases in order; a new
 * INITIALIZATION_REQUEST starts a new frame from anywhere; polarisation
 * recovery and parameter change between frames and between initialization
 * and QIE; a repeated QIE from parameter estimation; abort, invalid
 * response, identification and disconnection at any time.
 */
import { buildAliceMachine } from './alice.ts';
import { endOfCommunication } from './end-of-communication.ts';
import { endOfFrame } from './end-of-frame.ts';
import { errorCorrection } from './error-correction.ts';
import { generic } from './generic.ts';
import { identification } from './identification.ts';
import { initialization } from './initialization.ts';
import { BACK, type Layout } from './layout.ts';
import { parameterChange } from './parameter-change.ts';
import { parameterEstimation } from './parameter-estimation.ts';
import { polarisationRecovery } from './polarisation-recovery.ts';
import { privacyAmplification } from './privacy-amplification.ts';
import { quantumInformationExchange } from './quantum-information-exchange.ts';

const interludes = [
  { phase: polarisationRecovery, exits: { done: BACK } },
  { phase: parameterChange, exits: { done: BACK } },
];

export const SESSION_LAYOUT: Layout = {
  id: 'alice',
  stages: [
    { id: 'initialization', mounts: [{ phase: initialization, exits: { accepted: 'quantum-information-exchange' } }, ...interludes] },
    { id: 'quantum-information-exchange', mounts: [{ phase: quantumInformationExchange, exits: { ended: 'parameter-estimation' } }, ...interludes] },
    { id: 'parameter-estimation', mounts: [{ phase: parameterEstimation, exits: { approved: 'error-correction', denied: 'initialization', repeated: 'quantum-information-exchange.ready' } }] },
    { id: 'error-correction', mounts: [{ phase: errorCorrection, exits: { verified: 'privacy-amplification' } }] },
    { id: 'privacy-amplification', mounts: [{ phase: privacyAmplification, exits: { done: 'end-of-frame' } }] },
    { id: 'end-of-frame', mounts: [{ phase: endOfFrame, exits: { ended: 'initialization' } }] },
  ],
  globals: [
    // Identification is accepted in every state: it restarts the challenge chain and leaves the frame as it is.
    { phase: identification, exits: {} },
    { phase: generic, exits: { aborted: 'initialization' } },
    { phase: endOfCommunication, exits: { disconnected: 'end:disconnected' } },
  ],
  renew: { request: 'INITIALIZATION_REQUEST', stage: 'initialization' },
};

export const aliceSessionMachine = buildAliceMachine(SESSION_LAYOUT);
