/** The generic messages: abort and invalid response, accepted from an identified client at any time. */
import { definePhase } from './phase.ts';
import { phaseMachine } from './alice.ts';

export const generic = definePhase({
  id: 'generic',
  title: 'Generic messages',
  initial: 'any',
  exits: ['aborted'],
  states: {
    any: {
      description: 'Any state of an identified session.',
      on: {
        ABORT: {
          effect: 'discardFrame',
          answers: { ABORT_ACK: { to: 'exit:aborted', when: 'frame discarded, emission stopped', update: 'endFrame' } },
        },
        INVALID_RESPONSE: {
          answers: { INVALID_RESPONSE_ACK: { to: 'stay', when: 'always' } },
        },
      },
    },
  },
});

export const genericMachine = phaseMachine(generic);
