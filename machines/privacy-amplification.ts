/** Privacy amplification: one request, success or error. */
import { definePhase } from './phase.ts';
import { phaseMachine } from './alice.ts';

export const privacyAmplification = definePhase({
  id: 'privacy-amplification',
  title: 'Privacy amplification',
  initial: 'reconciled',
  exits: ['done'],
  states: {
    reconciled: {
      description: 'Keys reconciled: waiting for PA_REQUEST.',
      on: {
        PA_REQUEST: {
          effect: 'privacyAmplification',
          answers: {
            PA_SUCCESS: { to: 'exit:done', when: 'privacy amplification done' },
            PA_ERROR: { to: 'stay', when: 'invalid parameters' },
          },
        },
      },
    },
  },
});

export const privacyAmplificationMachine = phaseMachine(privacyAmplification);
