/** Parameter estimation: Bob asks for symbols and the photon number, then reports his estimation. */
import { definePhase } from './phase.ts';
import { phaseMachine } from './alice.ts';

export const parameterEstimation = definePhase({
  id: 'parameter-estimation',
  title: 'Parameter estimation',
  initial: 'estimating',
  exits: ['approved', 'denied'],
  states: {
    estimating: {
      description: 'Emission over: any number of symbol and photon-number requests, then PE_FINISHED.',
      on: {
        PE_SYMBOLS_REQUEST: {
          effect: 'symbols',
          answers: {
            PE_SYMBOLS_RESPONSE: { to: 'stay', when: 'indices within the frame' },
            PE_SYMBOLS_ERROR: { to: 'stay', when: 'an index is out of bound' },
          },
        },
        PE_NPHOTON_REQUEST: {
          effect: 'photonNumber',
          answers: { PE_NPHOTON_RESPONSE: { to: 'stay', when: 'mean photon number per symbol' } },
        },
        PE_FINISHED: {
          effect: 'approveEstimation',
          refuse: { guard: 'keyRateNotPositive', answer: 'PE_DENIED' },
          answers: {
            PE_APPROVED: { to: 'exit:approved', when: 'Alice goes on with this frame' },
            PE_DENIED: { to: 'exit:denied', when: 'key_rate <= 0 or estimation refused: the frame is over', update: 'endFrame' },
          },
        },
      },
    },
  },
});

export const parameterEstimationMachine = phaseMachine(parameterEstimation);
