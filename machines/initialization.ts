/** Initialization: Bob proposes a frame and its parameters; Alice accepts, denies, or proposes her configuration. */
import { definePhase } from './phase.ts';
import { phaseMachine } from './alice.ts';

const request = {
  effect: 'initialize',
  answers: {
    INITIALIZATION_ACCEPTED: { to: 'exit:accepted', when: 'parameters accepted', update: 'startFrame' },
    INITIALIZATION_DENIED: { to: 'denied', when: 'parameters denied' },
    INITIALIZATION_PROPOSAL: { to: 'proposal', when: 'parameters denied, a configuration can be proposed' },
  },
} as const;

export const initialization = definePhase({
  id: 'initialization',
  title: 'Initialization',
  initial: 'idle',
  exits: ['accepted'],
  states: {
    idle: {
      description: 'No frame: waiting for INITIALIZATION_REQUEST.',
      on: { INITIALIZATION_REQUEST: request },
    },
    denied: {
      description: 'Parameters denied: waiting for other parameters.',
      on: { INITIALIZATION_REQUEST: request },
    },
    proposal: {
      description: 'Parameters denied; Alice can propose her configuration.',
      on: {
        INITIALIZATION_REQUEST: request,
        INITIALIZATION_REQUEST_CONFIG: {
          effect: 'proposeConfig',
          answers: { INITIALIZATION_CONFIG: { to: 'proposal', when: 'configuration proposed' } },
        },
      },
    },
  },
});

export const initializationMachine = phaseMachine(initialization);
