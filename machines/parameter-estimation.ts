/**
 * Parameter estimation: Bob asks for symbols and the photon number, then
 * reports his estimation. Before that he may repeat the QIE of the same frame
 * (wire notes 19: the deployed calibration tools do, many times): fresh
 * symbols, and the estimation starts over.
 */
import { definePhase } from './phase.ts';
import { phaseMachine } from './alice.ts';

export const parameterEstimation = definePhase({
  id: 'parameter-estimation',
  title: 'Parameter estimation',
  initial: 'estimating',
  exits: ['approved', 'denied', 'repeated'],
  states: {
    estimating: {
      description: 'Emission over: any number of symbol and photon-number requests, then PE_FINISHED; or the QIE again.',
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
        QIE_REQUEST: {
          effect: 'prepareFrame',
          refuse: { guard: 'otherFrame', answer: 'INVALID_CONTENT' },
          answers: { QIE_READY: { to: 'exit:repeated', when: 'the same frame again: fresh symbols, estimation starts over' } },
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
