/**
 * Every code of the QOSST control protocol, with its phase.
 *
 * Public names keep the specification's spelling, misspellings included
 * (`UNKOWN_COMMAND`, `PARAMETER_UNKOWN`, `UNKOWN_CODE`): they are what the
 * specification, the deployed Python peers and their logs say, so a reader
 * can grep one name across all of them.
 */

export const PHASES = {
  generic: { first: 10, last: 49 },
  'parameter-change': { first: 50, last: 69 },
  'polarisation-recovery': { first: 70, last: 79 },
  identification: { first: 100, last: 119 },
  initialization: { first: 120, last: 139 },
  'quantum-information-exchange': { first: 140, last: 159 },
  'parameter-estimation': { first: 160, last: 179 },
  'error-correction': { first: 180, last: 199 },
  'privacy-amplification': { first: 200, last: 219 },
  // The specification shares 220-229 between end of frame and end of communication.
  'end-of-frame': { first: 220, last: 229 },
  'end-of-communication': { first: 220, last: 229 },
} as const;

export type Phase = keyof typeof PHASES;

/** Which side sends a message: Bob asks, Alice answers; ABORT goes both ways. */
export type Sender = 'bob' | 'alice' | 'both';

interface CodeInfo {
  readonly code: number;
  readonly phase: Phase;
  readonly from: Sender;
}

const def = (code: number, phase: Phase, from: Sender): CodeInfo => ({ code, phase, from });

export const CODES = {
  UNKOWN_COMMAND: def(10, 'generic', 'alice'),
  UNEXPECTED_COMMAND: def(11, 'generic', 'alice'),
  INVALID_CONTENT: def(12, 'generic', 'alice'),
  INVALID_RESPONSE: def(13, 'generic', 'bob'),
  INVALID_RESPONSE_ACK: def(14, 'generic', 'alice'),
  ABORT: def(15, 'generic', 'both'),
  ABORT_ACK: def(16, 'generic', 'alice'),
  AUTHENTICATION_INVALID: def(17, 'generic', 'alice'),

  CHANGE_PARAMETER_REQUEST: def(50, 'parameter-change', 'bob'),
  PARAMETER_CHANGED: def(51, 'parameter-change', 'alice'),
  PARAMETER_UNKOWN: def(52, 'parameter-change', 'alice'),
  PARAMETER_INVALID_VALUE: def(53, 'parameter-change', 'alice'),
  PARAMETER_UNCHANGED: def(54, 'parameter-change', 'alice'),

  REQUEST_POLARISATION_RECOVERY: def(70, 'polarisation-recovery', 'bob'),
  POLARISATION_RECOVERY_ACK: def(71, 'polarisation-recovery', 'alice'),
  END_POLARISATION_RECOVERY: def(72, 'polarisation-recovery', 'bob'),
  POLARISATION_RECOVERY_ENDED: def(73, 'polarisation-recovery', 'alice'),

  IDENTIFICATION_REQUEST: def(100, 'identification', 'bob'),
  IDENTIFICATION_RESPONSE: def(101, 'identification', 'alice'),
  INVALID_QOSST_VERSION: def(102, 'identification', 'alice'),

  INITIALIZATION_REQUEST: def(120, 'initialization', 'bob'),
  INITIALIZATION_ACCEPTED: def(121, 'initialization', 'alice'),
  INITIALIZATION_DENIED: def(122, 'initialization', 'alice'),
  INITIALIZATION_PROPOSAL: def(123, 'initialization', 'alice'),
  INITIALIZATION_REQUEST_CONFIG: def(124, 'initialization', 'bob'),
  INITIALIZATION_CONFIG: def(125, 'initialization', 'alice'),

  QIE_REQUEST: def(140, 'quantum-information-exchange', 'bob'),
  QIE_READY: def(141, 'quantum-information-exchange', 'alice'),
  QIE_TRIGGER: def(142, 'quantum-information-exchange', 'bob'),
  QIE_EMISSION_STARTED: def(143, 'quantum-information-exchange', 'alice'),
  QIE_ACQUISITION_ENDED: def(144, 'quantum-information-exchange', 'bob'),
  QIE_ENDED: def(145, 'quantum-information-exchange', 'alice'),

  PE_SYMBOLS_REQUEST: def(160, 'parameter-estimation', 'bob'),
  PE_SYMBOLS_RESPONSE: def(161, 'parameter-estimation', 'alice'),
  PE_SYMBOLS_ERROR: def(162, 'parameter-estimation', 'alice'),
  PE_NPHOTON_REQUEST: def(163, 'parameter-estimation', 'bob'),
  PE_NPHOTON_RESPONSE: def(164, 'parameter-estimation', 'alice'),
  PE_FINISHED: def(165, 'parameter-estimation', 'bob'),
  PE_APPROVED: def(166, 'parameter-estimation', 'alice'),
  PE_DENIED: def(167, 'parameter-estimation', 'alice'),

  EC_INITIALIZATION: def(180, 'error-correction', 'bob'),
  EC_READY: def(181, 'error-correction', 'alice'),
  EC_DENIED: def(182, 'error-correction', 'alice'),
  EC_BLOCK: def(183, 'error-correction', 'bob'),
  EC_BLOCK_ACK: def(184, 'error-correction', 'alice'),
  EC_BLOCK_ERROR: def(185, 'error-correction', 'alice'),
  EC_REMAINING: def(186, 'error-correction', 'bob'),
  EC_REMAINING_ACK: def(187, 'error-correction', 'alice'),
  EC_REMAINING_ERROR: def(188, 'error-correction', 'alice'),
  EC_VERIFICATION: def(189, 'error-correction', 'bob'),
  EC_VERIFICATION_SUCCESS: def(190, 'error-correction', 'alice'),
  EC_VERIFICATION_FAIL: def(191, 'error-correction', 'alice'),

  PA_REQUEST: def(200, 'privacy-amplification', 'bob'),
  PA_SUCCESS: def(201, 'privacy-amplification', 'alice'),
  PA_ERROR: def(202, 'privacy-amplification', 'alice'),

  FRAME_ENDED: def(220, 'end-of-frame', 'bob'),
  FRAME_ENDED_ACK: def(221, 'end-of-frame', 'alice'),
  DISCONNECTION: def(222, 'end-of-communication', 'bob'),
  DISCONNECTION_ACK: def(223, 'end-of-communication', 'alice'),
} as const satisfies Record<string, CodeInfo>;

export type MessageName = keyof typeof CODES;

/** `Code.QIE_REQUEST === 140`, for readable code at call sites. */
export const Code = Object.fromEntries(
  Object.entries(CODES).map(([name, info]) => [name, info.code]),
) as { readonly [N in MessageName]: (typeof CODES)[N]['code'] };

/**
 * Error codes returned by the low layers as values (never thrown): they are
 * negative so that they can never collide with a message code.
 */
export const ERROR_CODES = {
  SOCKET_DISCONNECTION: -1,
  FRAME_ERROR: -2,
  AUTHENTICATION_FAILURE: -3,
  UNKOWN_CODE: -4,
} as const;

export type ErrorName = keyof typeof ERROR_CODES;

export const MESSAGE_NAMES = Object.keys(CODES) as MessageName[];

const nameByCode = new Map<number, MessageName>(MESSAGE_NAMES.map((n) => [CODES[n].code, n]));

/** The message name of a code, or undefined when the code is not in the specification. */
export function codeName(code: number): MessageName | undefined {
  return nameByCode.get(code);
}

/** A printable name for logs: the message name, or `code <n>` when unknown. */
export function describeCode(code: number): string {
  return nameByCode.get(code) ?? `code ${code}`;
}

export function phaseOf(name: MessageName): Phase {
  return CODES[name].phase;
}
