/**
 * What XState costs per event in Alice's session machine, in one process and
 * without I/O: requests sent straight to the session actor (the simulated
 * emitter answers at once, so each answer is emitted within `send`),
 * against a one-state machine that answers every event with one `emit`:
 * XState's floor for an event in, an answer out. And what a new session
 * costs: its actor created and started from the machine the daemon builds
 * once, against building the machine for the session with `provide()`.
 */
import { createActor, emit, setup } from 'xstate';
import { aliceSessionMachine } from '../machines/alice-session.ts';
import { DEFAULT_LIMITS } from '../src/alice/config.ts';
import { aliceEffects, type EffectsContext } from '../src/alice/effects.ts';
import { EmitterLock } from '../src/alice/emitter-lock.ts';
import { CODES, type MessageName } from '../src/protocol/codes.ts';
import { createSimulatedAlice } from '../src/sim/alice-sim.ts';

export interface MachineCosts {
  /** CPU µs per event. */
  floor: number;
  own: number;
  effect: number;
  identification: number;
  /** CPU µs per session started from the daemon's machine, and with a machine built for it. */
  session: number;
  sessionProvide: number;
}

const floorMachine = setup({ types: { emitted: {} as { type: 'answer' } } }).createMachine({
  on: { '*': { actions: emit({ type: 'answer' as const }) } },
});

/** CPU time per event, the best of three rounds: on a shared machine the others' load only ever adds to it. */
function perEvent(count: number, send: () => void, answered: () => number): number {
  for (let i = 0; i < Math.min(count, 2000); i++) send();
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    const before = answered();
    const start = process.cpuUsage();
    for (let i = 0; i < count; i++) send();
    const { user, system } = process.cpuUsage(start);
    if (answered() - before !== count) throw new Error(`${answered() - before} answers to ${count} requests`);
    best = Math.min(best, (user + system) / count);
  }
  return best;
}

const sessionMachine = aliceSessionMachine.provide({ actors: { effects: aliceEffects } });
const simulated = createSimulatedAlice({});
const lock = new EmitterLock();

/** The session actor as a connection starts it: the session's backend and limits in its input. */
function startSession(machine: typeof sessionMachine, id: string) {
  const session: EffectsContext = {
    backend: simulated.openSession({ id, peer: 'bench' }),
    lock,
    owner: id,
    emitterWaitMs: 1000,
    closed: () => false,
    maxAnswerLength: DEFAULT_LIMITS.max_answer_length,
    toJSON: () => id,
  };
  return createActor(machine, { input: { serialNumber: 'QOSST/0001', versions: ['QOSST/0.2'], session } }).start();
}

export function benchMachine(count: number): MachineCosts {
  let floorAnswers = 0;
  const floor = createActor(floorMachine);
  floor.on('answer', () => floorAnswers++);
  floor.start();

  const alice = startSession(sessionMachine, 's1');
  let answers = 0;
  alice.on('answer', () => answers++);
  const request = (name: MessageName, content: Record<string, unknown> | null) => ({ type: name, name, code: CODES[name].code, content }) as never;
  const identification = request('IDENTIFICATION_REQUEST', { serial_number: 'QOSST/0002', qosst_version: 'QOSST/0.2' });
  const invalidResponse = request('INVALID_RESPONSE', null);
  const change = request('CHANGE_PARAMETER_REQUEST', { parameter: 'qi.frame.roll_off', value: 0.5 });
  const result = {
    floor: perEvent(count, () => floor.send({ type: 'ping' }), () => floorAnswers),
    identification: perEvent(count, () => alice.send(identification), () => answers),
    own: perEvent(count, () => alice.send(invalidResponse), () => answers),
    effect: perEvent(count, () => alice.send(change), () => answers),
  };
  alice.stop();
  floor.stop();
  const sessions = Math.max(50, Math.floor(count / 100));
  let started = 0;
  const session = (machine: () => typeof sessionMachine) => () => {
    startSession(machine(), `b${started}`).stop();
    started++;
  };
  return {
    ...result,
    session: perEvent(sessions, session(() => sessionMachine), () => started),
    sessionProvide: perEvent(sessions, session(() => aliceSessionMachine.provide({ actors: { effects: aliceEffects } })), () => started),
  };
}
