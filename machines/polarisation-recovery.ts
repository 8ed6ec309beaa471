/** Polarisation recovery: Alice emits a classical signal while Bob aligns his polarisation. */
import { definePhase } from './phase.ts';
import { phaseMachine } from './alice.ts';

export const polarisationRecovery = definePhase({
  id: 'polarisation-recovery',
  title: 'Polarisation recovery',
  initial: 'start',
  exits: ['done'],
  states: {
    start: {
      description: 'Between frames, or between initialization and QIE.',
      on: {
        REQUEST_POLARISATION_RECOVERY: {
          effect: 'startPolarisationSignal',
          answers: { POLARISATION_RECOVERY_ACK: { to: 'recovering', when: 'classical signal on' } },
        },
      },
    },
    recovering: {
      description: 'Classical signal on: waiting for the end of Bob\'s recovery.',
      on: {
        END_POLARISATION_RECOVERY: {
          effect: 'stopPolarisationSignal',
          answers: { POLARISATION_RECOVERY_ENDED: { to: 'exit:done', when: 'classical signal off' } },
        },
      },
    },
  },
});

export const polarisationRecoveryMachine = phaseMachine(polarisationRecovery);
