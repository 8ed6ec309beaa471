/** End of frame: Bob confirms the end of the work on a frame. */
import { definePhase } from './phase.ts';
import { phaseMachine } from './alice.ts';

export const endOfFrame = definePhase({
  id: 'end-of-frame',
  title: 'End of frame',
  initial: 'amplified',
  exits: ['ended'],
  states: {
    amplified: {
      description: 'Key distilled: waiting for FRAME_ENDED.',
      on: {
        FRAME_ENDED: {
          effect: 'endFrame',
          refuse: { guard: 'otherFrame', answer: 'INVALID_CONTENT' },
          answers: { FRAME_ENDED_ACK: { to: 'exit:ended', when: 'frame closed', update: 'endFrame' } },
        },
      },
    },
  },
});

export const endOfFrameMachine = phaseMachine(endOfFrame);
