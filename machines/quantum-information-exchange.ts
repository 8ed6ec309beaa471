/** Quantum information exchange: frame preparation, then emission while Bob acquires. */
import { definePhase } from './phase.ts';
import { phaseMachine } from './alice.ts';

export const quantumInformationExchange = definePhase({
  id: 'quantum-information-exchange',
  title: 'Quantum information exchange',
  initial: 'initialized',
  exits: ['ended'],
  states: {
    initialized: {
      description: 'Frame initialized: waiting for QIE_REQUEST.',
      on: {
        QIE_REQUEST: {
          effect: 'prepareFrame',
          refuse: { guard: 'otherFrame', answer: 'INVALID_CONTENT' },
          answers: { QIE_READY: { to: 'ready', when: 'emitter acquired, DSP done, DAC ready' } },
        },
      },
    },
    ready: {
      description: 'Symbols prepared: waiting for Bob to start his acquisition.',
      on: {
        QIE_TRIGGER: {
          effect: 'startEmission',
          answers: { QIE_EMISSION_STARTED: { to: 'emitting', when: 'emission started' } },
        },
      },
    },
    emitting: {
      description: 'Emitting: waiting for the end of Bob\'s acquisition.',
      on: {
        QIE_ACQUISITION_ENDED: {
          effect: 'stopEmission',
          answers: { QIE_ENDED: { to: 'exit:ended', when: 'emission stopped' } },
        },
      },
    },
  },
});

export const quantumInformationExchangeMachine = phaseMachine(quantumInformationExchange);
