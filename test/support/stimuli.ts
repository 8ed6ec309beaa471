/**
 * For each (request, answer) edge of the session machine: a content that
 * makes the simulated emitter give that answer. Test data for walking the
 * machine's graph over TCP; the edges themselves come from the machine.
 */
import type { MessageName } from '../../src/protocol/codes.ts';
import { keyHash } from '../../src/sim/key-bits.ts';
import { FRAME_UUID, TEST_SIM } from './alice.ts';

export const SIM_SYMBOLS = TEST_SIM.symbols;

const PA = { seed: [1, 0, 1, 1, 0], secret_key_length: 200, subblock_length: 5, feedback_polynomial: [1, 1, 1, 0, 0] };
const PE = { n_photon: 1.54, transmittance: 0.5, excess_noise: 0.1, electronic_noise: 0.05, eta: 0.8, key_rate: 200 };

/** The key hash after EC blocks that carry no key bits (the stimuli's): the empty key's. */
export function emptyKeyHash(): bigint {
  return keyHash(new Uint8Array());
}

export const STIMULI: Partial<Record<MessageName, Partial<Record<MessageName, () => object | null>>>> = {
  INITIALIZATION_REQUEST: {
    INITIALIZATION_ACCEPTED: () => ({ frame_uuid: FRAME_UUID }),
    INITIALIZATION_DENIED: () => ({ frame_uuid: FRAME_UUID, roll_off: 2 }),
    INITIALIZATION_PROPOSAL: () => ({ frame_uuid: FRAME_UUID, roll_off: 0.3 }),
  },
  INITIALIZATION_REQUEST_CONFIG: { INITIALIZATION_CONFIG: () => null },
  REQUEST_POLARISATION_RECOVERY: { POLARISATION_RECOVERY_ACK: () => null },
  END_POLARISATION_RECOVERY: { POLARISATION_RECOVERY_ENDED: () => null },
  CHANGE_PARAMETER_REQUEST: {
    PARAMETER_CHANGED: () => ({ parameter: 'qi.frame.roll_off', value: 0.5 }),
    PARAMETER_UNKOWN: () => ({ parameter: 'qi.frame.roll_olf', value: 0.5 }),
    PARAMETER_INVALID_VALUE: () => ({ parameter: 'qi.frame.roll_off', value: 7 }),
    PARAMETER_UNCHANGED: () => ({ parameter: 'qi.emitter.serial_number', value: 'X' }),
  },
  QIE_REQUEST: { QIE_READY: () => null },
  QIE_TRIGGER: { QIE_EMISSION_STARTED: () => null },
  QIE_ACQUISITION_ENDED: { QIE_ENDED: () => null },
  PE_SYMBOLS_REQUEST: { PE_SYMBOLS_RESPONSE: () => ({ indices: [0, 1] }), PE_SYMBOLS_ERROR: () => ({ indices: [SIM_SYMBOLS] }) },
  PE_NPHOTON_REQUEST: { PE_NPHOTON_RESPONSE: () => null },
  PE_FINISHED: { PE_APPROVED: () => PE, PE_DENIED: () => ({ ...PE, key_rate: 0 }) },
  EC_INITIALIZATION: { EC_READY: () => ({ matrix: [[1, 1], [1, 1]], noise: 0.1 }), EC_DENIED: () => ({ matrix: [], noise: 0.1 }) },
  EC_BLOCK: { EC_BLOCK_ACK: () => ({ syndrome: [1.87, 5.67] }), EC_BLOCK_ERROR: () => ({ syndrome: [] }) },
  EC_REMAINING: { EC_REMAINING_ACK: () => ({ some_parameter: 1 }) },
  EC_VERIFICATION: { EC_VERIFICATION_SUCCESS: () => ({ hash: emptyKeyHash() }), EC_VERIFICATION_FAIL: () => ({ hash: 1 }) },
  PA_REQUEST: { PA_SUCCESS: () => PA, PA_ERROR: () => ({ ...PA, feedback_polynomial: [1] }) },
  FRAME_ENDED: { FRAME_ENDED_ACK: () => ({ frame_uuid: FRAME_UUID }) },
};

export function stimulus(request: MessageName, answer: MessageName): (() => object | null) | undefined {
  return STIMULI[request]?.[answer];
}
