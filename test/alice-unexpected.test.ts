/**
 * Every message sent in every waiting state of Alice's session machine that
 * the state does not accept gets UNEXPECTED_COMMAND, and leaves the state as
 * it was. States, accepted requests and the paths to reach them are all read
 * from the machine itself; the messages are the deployed peers' vectors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aliceSessionMachine } from '../machines/alice-session.ts';
import { MESSAGE_NAMES, CODES, type MessageName } from '../src/protocol/codes.ts';
import { startTestAlice, type TestAlice } from './support/alice.ts';
import { accepted, pathsTo, waitingStates } from './support/machine-graph.ts';
import { RawClient } from './support/raw-client.ts';
import { stimulus } from './support/stimuli.ts';
import { vectorFrames } from './support/vectors.ts';

const vectorContent = new Map(vectorFrames('frames-none.json').map((v) => [v.name as MessageName, v.content]));
const paths = pathsTo(aliceSessionMachine, (e) => stimulus(e.request, e.answer) !== undefined);
const states = waitingStates(aliceSessionMachine);

let alice: TestAlice;
beforeAll(async () => {
  alice = await startTestAlice();
});
afterAll(() => alice.close());

function sessionState(): string {
  const [connection] = [...alice.server.sessions];
  return JSON.stringify(connection!.actor.getSnapshot().value);
}

async function walk(bob: RawClient, stateId: string): Promise<void> {
  for (const edge of paths.get(stateId)!) {
    const reply = await bob.request(edge.request, stimulus(edge.request, edge.answer)!());
    expect(reply.name, `${edge.request} on the way to ${stateId}`).toBe(edge.answer);
  }
}

describe('the session machine, read as a graph', () => {
  it('reaches every waiting state with the stimuli we have', () => {
    expect(states.length).toBeGreaterThan(10);
    expect(states.map((s) => s.id).filter((id) => !paths.has(id))).toEqual([]);
  });
});

describe('UNEXPECTED_COMMAND, generated from the machine', () => {
  it('a client that is not identified gets it for everything but identification and disconnection', async () => {
    const bob = await RawClient.connect(alice.port);
    for (const name of MESSAGE_NAMES) {
      if (name === 'IDENTIFICATION_REQUEST' || name === 'DISCONNECTION') continue;
      const reply = await bob.request(name, vectorContent.get(name) ?? null);
      expect(reply, name).toMatchObject({ name: 'UNEXPECTED_COMMAND', content: { code: CODES[name].code, error_message: expect.stringContaining('not identified') } });
    }
    bob.close();
  });

  for (const state of states) {
    const refused = MESSAGE_NAMES.filter((name) => !accepted(aliceSessionMachine, state).has(name));
    it(`${state.id}: ${refused.length} messages refused`, async () => {
      const bob = await RawClient.connect(alice.port);
      await bob.identify();
      await walk(bob, state.id);
      const before = sessionState();
      for (const name of refused) {
        const reply = await bob.request(name, vectorContent.get(name) ?? null);
        expect(reply, `${name} in ${state.id}`).toMatchObject({
          name: 'UNEXPECTED_COMMAND',
          content: { code: CODES[name].code, error_message: expect.stringContaining('expected now:') },
        });
        expect(sessionState()).toBe(before);
      }
      expect((await bob.request('DISCONNECTION')).name).toBe('DISCONNECTION_ACK');
    });
  }
});

describe('a client vanishing in every waiting state', () => {
  for (const state of states) {
    it(`${state.id}: emission stopped, emitter released, next client served`, async () => {
      const bob = await RawClient.connect(alice.port);
      await bob.identify();
      await walk(bob, state.id);
      bob.close();
      await expect.poll(() => alice.server.sessions.size).toBe(0);
      expect(alice.sim.emitter.emitting).toBe(false);
      expect(alice.sim.emitter.classicalSignal).toBe(false);
      expect(alice.server.emitterOwner).toBeNull();

      const next = await RawClient.connect(alice.port);
      await next.identify();
      await walk(next, 'alice.quantum-information-exchange.ready');
      expect((await next.request('QIE_TRIGGER')).name).toBe('QIE_EMISSION_STARTED');
      expect((await next.request('ABORT')).name).toBe('ABORT_ACK');
      next.close();
      await expect.poll(() => alice.server.sessions.size).toBe(0);
    });
  }

  it('while Alice is still preparing the frame (an effect in flight)', async () => {
    const slow = await startTestAlice({ sim: { symbols: 2000, dsp_delay_ms: 150 } });
    try {
      const bob = await RawClient.connect(slow.port);
      await bob.identify();
      await walk(bob, 'alice.quantum-information-exchange.initialized');
      bob.socket.write(bob.channel.seal(CODES.QIE_REQUEST.code, null));
      await new Promise((r) => setTimeout(r, 30));
      expect(slow.server.emitterOwner).not.toBeNull();
      bob.close();
      await expect.poll(() => slow.server.sessions.size).toBe(0);
      await new Promise((r) => setTimeout(r, 200));
      expect(slow.server.emitterOwner).toBeNull();
      expect(slow.sim.emitter.emitting).toBe(false);
    } finally {
      await slow.close();
    }
  });
});
