/**
 * Effects through the session's one effects actor: an answer known at once
 * is given within the request's `send`, nothing is spawned per request, a
 * promise keeps the session in the working state, a failure aborts the frame,
 * and a reply the session no longer waits for is dropped.
 */
import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import type { AnswerEvent, EffectFunction, EffectInput, EffectOutput } from '../machines/alice.ts';
import { aliceSessionMachine } from '../machines/alice-session.ts';
import { fromEffects } from '../machines/effect.ts';
import type { EffectName } from '../machines/phase.ts';
import { CODES, type MessageName } from '../src/protocol/codes.ts';

type Functions = Partial<Record<EffectName, EffectFunction>>;

const changed = (input: EffectInput): EffectOutput => ({
  answer: 'PARAMETER_CHANGED',
  content: { parameter: input.request!.content!.parameter, old_value: 1, new_value: input.request!.content!.value },
});

/** A session whose effects actor runs `functions` (the session input names them, as a connection names its backend). */
function session(functions: Functions) {
  const machine = aliceSessionMachine.provide({ actors: { effects: fromEffects((s) => s as Record<EffectName, EffectFunction>) } });
  const actor = createActor(machine, { input: { serialNumber: 'QOSST/0001', versions: ['QOSST/0.2'], session: functions } });
  const answers: AnswerEvent[] = [];
  actor.on('answer', (a) => answers.push(a));
  actor.start();
  const send = (name: MessageName, content: Record<string, unknown> | null = null) => actor.send({ type: name, name, code: CODES[name].code, content } as never);
  send('IDENTIFICATION_REQUEST', { serial_number: 'QOSST/0002', qosst_version: 'QOSST/0.2' });
  expect(answers.splice(0).map((a) => a.name)).toEqual(['IDENTIFICATION_RESPONSE']);
  return { actor, answers, send };
}

const change = { parameter: 'qi.frame.roll_off', value: 0.5 };

describe("the session's effects actor", () => {
  it('answers at once within send, with the one actor started with the session', () => {
    const { actor, answers, send } = session({ changeParameter: changed });
    const before = JSON.stringify(actor.getSnapshot().value);
    for (let i = 0; i < 3; i++) send('CHANGE_PARAMETER_REQUEST', change);
    expect(answers.map((a) => [a.name, a.content])).toEqual(Array(3).fill(['PARAMETER_CHANGED', { parameter: change.parameter, old_value: 1, new_value: 0.5 }]));
    expect(Object.keys(actor.getSnapshot().children)).toEqual(['effects']);
    expect(JSON.stringify(actor.getSnapshot().value)).toBe(before);
    actor.stop();
  });

  it('waits in the working state for a promise; a request meanwhile is unexpected, naming the one being answered', async () => {
    let resolve!: (o: EffectOutput) => void;
    const { actor, answers, send } = session({ changeParameter: () => new Promise<EffectOutput>((r) => (resolve = r)) });
    send('CHANGE_PARAMETER_REQUEST', change);
    expect(answers).toEqual([]);
    expect(Object.values(actor.getSnapshot().getMeta())).toContainEqual({ working: true, request: 'CHANGE_PARAMETER_REQUEST', effect: 'changeParameter' });
    send('QIE_TRIGGER');
    expect(answers.splice(0)).toMatchObject([
      { name: 'UNEXPECTED_COMMAND', content: { error_message: expect.stringContaining('the answer to CHANGE_PARAMETER_REQUEST is being prepared') } },
    ]);
    resolve({ answer: 'PARAMETER_UNKOWN', content: { parameter: change.parameter } });
    await Promise.resolve();
    expect(answers.map((a) => a.name)).toEqual(['PARAMETER_UNKOWN']);
    actor.stop();
  });

  it('a failing effect aborts the frame, naming the request', () => {
    const discarded: string[] = [];
    const { actor, answers, send } = session({
      changeParameter: () => {
        throw new Error('boom');
      },
      discardFrame: () => {
        discarded.push('frame');
        return { answer: 'ABORT_ACK' };
      },
    });
    send('CHANGE_PARAMETER_REQUEST', change);
    expect(discarded).toEqual(['frame']);
    expect(answers).toEqual([{ type: 'answer', name: 'ABORT', content: { abort_message: 'CHANGE_PARAMETER_REQUEST failed: boom' } }]);
    actor.stop();
  });

  it('an answer the specification does not allow aborts the frame', () => {
    const { actor, answers, send } = session({ changeParameter: () => ({ answer: 'QIE_READY' }), discardFrame: () => ({ answer: 'ABORT_ACK' }) });
    send('CHANGE_PARAMETER_REQUEST', change);
    expect(answers).toMatchObject([{ name: 'ABORT', content: { abort_message: expect.stringContaining('answered QIE_READY to CHANGE_PARAMETER_REQUEST') } }]);
    actor.stop();
  });

  it('drops the reply to a request the session stopped waiting for', async () => {
    let resolve!: (o: EffectOutput) => void;
    const { actor, answers, send } = session({
      changeParameter: () => new Promise<EffectOutput>((r) => (resolve = r)),
      discardFrame: () => ({ answer: 'ABORT_ACK' }),
    });
    send('CHANGE_PARAMETER_REQUEST', change);
    actor.send({ type: 'STALLED', reason: 'no progress' });
    expect(answers.splice(0)).toMatchObject([{ name: 'ABORT', content: { abort_message: 'no progress' } }]);
    const after = JSON.stringify(actor.getSnapshot().value);
    resolve({ answer: 'PARAMETER_CHANGED', content: { parameter: change.parameter, old_value: 1, new_value: 0.5 } });
    await new Promise((r) => setImmediate(r));
    expect(answers).toEqual([]);
    expect(JSON.stringify(actor.getSnapshot().value)).toBe(after);
    actor.stop();
  });

  it('ignores a reply arriving in a waiting state (from effects logic that does not drop late replies)', () => {
    const { actor, answers } = session({});
    const before = JSON.stringify(actor.getSnapshot().value);
    actor.send({ type: 'effect.done', request: null, output: { answer: 'PARAMETER_UNKOWN', content: { parameter: 'x' } } });
    actor.send({ type: 'effect.error', request: null, error: new Error('late') });
    expect(answers).toEqual([]);
    expect(JSON.stringify(actor.getSnapshot().value)).toBe(before);
    actor.stop();
  });

  it('gives each session its own functions from one machine', () => {
    const a = session({ changeParameter: () => ({ answer: 'PARAMETER_UNKOWN', content: { parameter: 'a' } }) });
    const b = session({ changeParameter: () => ({ answer: 'PARAMETER_UNKOWN', content: { parameter: 'b' } }) });
    a.send('CHANGE_PARAMETER_REQUEST', change);
    b.send('CHANGE_PARAMETER_REQUEST', change);
    expect([a.answers[0]?.content, b.answers[0]?.content]).toEqual([{ parameter: 'a' }, { parameter: 'b' }]);
    a.actor.stop();
    b.actor.stop();
  });
});
