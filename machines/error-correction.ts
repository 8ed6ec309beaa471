/** Error correction: initialization, block corrections, remaining errors, then hash verification. */
import { definePhase } from './phase.ts';
import { phaseMachine } from './alice.ts';

const verification = {
  effect: 'ecVerify',
  answers: {
    EC_VERIFICATION_SUCCESS: { to: 'exit:verified', when: 'hashes equal' },
    EC_VERIFICATION_FAIL: { to: 'stay', when: 'hashes differ' },
  },
} as const;

const remaining = {
  effect: 'ecRemaining',
  answers: {
    EC_REMAINING_ACK: { to: 'remaining', when: 'remaining errors corrected' },
    EC_REMAINING_ERROR: { to: 'stay', when: 'correction failed' },
  },
} as const;

export const errorCorrection = definePhase({
  id: 'error-correction',
  title: 'Error correction',
  initial: 'approved',
  exits: ['verified'],
  states: {
    approved: {
      description: 'Estimation approved: waiting for EC_INITIALIZATION.',
      on: {
        EC_INITIALIZATION: {
          effect: 'ecInitialize',
          answers: {
            EC_READY: { to: 'blocks', when: 'parameters accepted' },
            EC_DENIED: { to: 'stay', when: 'parameters refused' },
          },
        },
      },
    },
    blocks: {
      description: 'Correcting block by block; then remaining errors or verification.',
      on: {
        EC_BLOCK: {
          effect: 'ecBlock',
          answers: {
            EC_BLOCK_ACK: { to: 'stay', when: 'block corrected' },
            EC_BLOCK_ERROR: { to: 'stay', when: 'block not corrected' },
          },
        },
        EC_REMAINING: remaining,
        EC_VERIFICATION: verification,
      },
    },
    remaining: {
      description: 'Remaining errors corrected: more of them, or verification.',
      on: { EC_REMAINING: remaining, EC_VERIFICATION: verification },
    },
  },
});

export const errorCorrectionMachine = phaseMachine(errorCorrection);
