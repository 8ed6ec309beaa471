/** End of communication: the graceful disconnection, accepted at any time. */
import { definePhase } from './phase.ts';
import { phaseMachine } from './alice.ts';

export const endOfCommunication = definePhase({
  id: 'end-of-communication',
  title: 'End of communication',
  initial: 'connected',
  exits: ['disconnected'],
  states: {
    connected: {
      description: 'Connected, whatever the frame: DISCONNECTION is always accepted.',
      on: {
        DISCONNECTION: {
          open: true,
          effect: 'endSession',
          answers: { DISCONNECTION_ACK: { to: 'exit:disconnected', when: 'frame discarded, emission stopped' } },
        },
      },
    },
  },
});

export const endOfCommunicationMachine = phaseMachine(endOfCommunication);
