/** Identification: Bob names himself and his protocol version; Alice answers with her serial number. */
import { definePhase } from './phase.ts';
import { phaseMachine } from './alice.ts';

// Alice answers from her own configuration (her serial number): no backend effect, so the session stays where it was.
const identify = {
  open: true,
  refuse: { guard: 'incompatibleVersion', answer: 'INVALID_QOSST_VERSION' },
  answers: {
    IDENTIFICATION_RESPONSE: { to: 'identified', when: 'version compatible', update: 'identify' },
    INVALID_QOSST_VERSION: { to: 'unidentified', when: 'version not compatible', update: 'forget' },
  },
} as const;

export const identification = definePhase({
  id: 'identification',
  title: 'Identification',
  initial: 'unidentified',
  exits: [],
  states: {
    unidentified: {
      description: 'A fresh client, or one whose authentication failed: only identification is accepted.',
      on: {
        IDENTIFICATION_REQUEST: identify,
      },
    },
    identified: {
      description: 'Identified: the challenge chain is established; identifying again restarts it.',
      on: {
        IDENTIFICATION_REQUEST: identify,
      },
    },
  },
});

export const identificationMachine = phaseMachine(identification);
