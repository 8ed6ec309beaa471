/** Parameter change: Bob asks Alice to change one of her parameters. */
import { definePhase } from './phase.ts';
import { phaseMachine } from './alice.ts';

export const parameterChange = definePhase({
  id: 'parameter-change',
  title: 'Parameter change',
  initial: 'start',
  exits: ['done'],
  states: {
    start: {
      description: 'Between frames, or between initialization and QIE.',
      on: {
        CHANGE_PARAMETER_REQUEST: {
          effect: 'changeParameter',
          answers: {
            PARAMETER_CHANGED: { to: 'exit:done', when: 'changed' },
            PARAMETER_UNKOWN: { to: 'exit:done', when: 'no such parameter' },
            PARAMETER_INVALID_VALUE: { to: 'exit:done', when: 'value out of range or meaningless' },
            PARAMETER_UNCHANGED: { to: 'exit:done', when: 'valid, but policy keeps the value' },
          },
        },
      },
    },
  },
});

export const parameterChangeMachine = phaseMachine(parameterChange);
