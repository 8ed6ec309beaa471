/** Wire notes 20: CHANGE_PARAMETER_REQUEST by the deployed configuration's paths, in its units. */
import { afterEach, describe, expect, it } from 'vitest';
import { acceptDeployedNames, toBackend, toDeployed, withDeployedNames } from '../src/alice/deployed-parameters.ts';
import { connect } from '../src/bob/session.ts';
import { createSimulatedAlice } from '../src/sim/alice-sim.ts';
import { SIM_DEPLOYED_PARAMETERS, SIM_SNU_PER_DAC_VARIANCE } from '../src/sim/deployed-names.ts';
import { startTestAlice, type TestAlice } from './support/alice.ts';
import { RawClient } from './support/raw-client.ts';
import { readVector } from './support/vectors.ts';

const variance = SIM_DEPLOYED_PARAMETERS['frame.quantum.variance']!;

describe('unit conversion of the simulated emitter', () => {
  it('DAC-range-relative variance to SNU and back: the deployed default 0.01 is Va 4', () => {
    expect(SIM_SNU_PER_DAC_VARIANCE).toBe(400);
    expect(toBackend(variance, 0.01)).toBe(4);
    expect(toDeployed(variance, 4)).toBe(0.01);
    // Rounded to 15 significant digits: no binary noise in what Bob reads back.
    expect(0.07 * 400).not.toBe(28);
    expect(toBackend(variance, 0.07)).toBe(28);
    expect(toDeployed(variance, 28)).toBe(0.07);
    for (const x of [1e-6, 0.0123456789, 0.5, 2]) expect(toDeployed(variance, toBackend(variance, x) as number)).toBe(x);
  });

  it('converts lists of numbers; leaves anything else for the backend to refuse', () => {
    expect(toBackend(variance, [0.01, 0.02])).toEqual([4, 8]);
    expect(toBackend(variance, '0.01')).toBe('0.01');
    expect(toBackend(variance, null)).toBeNull();
    expect(toBackend(SIM_DEPLOYED_PARAMETERS['frame.quantum.roll_off']!, 0.3)).toBe(0.3);
  });

  it('a backend that declares no deployed names is used as it is', async () => {
    const sim = createSimulatedAlice();
    const bare = { openSession: sim.openSession, close: sim.close };
    expect(acceptDeployedNames(bare)).toBe(bare);
    const session = withDeployedNames(sim.openSession({ id: 's', peer: 'p' }), {});
    expect(await session.changeParameter('frame.quantum.variance', 0.02)).toEqual({ outcome: 'unknown' });
  });
});

describe('CHANGE_PARAMETER_REQUEST by deployed names, over TCP', () => {
  let alice: TestAlice | null = null;
  afterEach(async () => {
    await alice?.close();
    alice = null;
  });

  async function client(a: TestAlice): Promise<RawClient> {
    const bob = await RawClient.connect(a.port);
    await bob.identify();
    return bob;
  }

  it('PARAMETER_CHANGED in the deployed units, stored in SNU; both names reach the same parameter', async () => {
    alice = await startTestAlice();
    const bob = await client(alice);
    expect(await bob.request('CHANGE_PARAMETER_REQUEST', { parameter: 'frame.quantum.variance', value: 0.02 })).toMatchObject({
      name: 'PARAMETER_CHANGED',
      content: { parameter: 'frame.quantum.variance', old_value: 0.01, new_value: 0.02 },
    });
    expect(alice.sim.parameter('qi.frame.variance')).toBe(8);
    // The specification's name, in SNU, sees the same value; the deployed name reads it back in its units.
    expect(await bob.request('CHANGE_PARAMETER_REQUEST', { parameter: 'qi.frame.variance', value: 6 })).toMatchObject({
      name: 'PARAMETER_CHANGED',
      content: { parameter: 'qi.frame.variance', old_value: 8, new_value: 6 },
    });
    expect(await bob.request('CHANGE_PARAMETER_REQUEST', { parameter: 'frame.quantum.variance', value: 0.01 })).toMatchObject({
      name: 'PARAMETER_CHANGED',
      content: { old_value: 0.015, new_value: 0.01 },
    });
    expect(alice.sim.parameter('qi.frame.variance')).toBe(4);
    expect(await bob.request('CHANGE_PARAMETER_REQUEST', { parameter: 'frame.pilots.frequencies', value: [210e6, 230e6] })).toMatchObject({
      name: 'PARAMETER_CHANGED',
      content: { parameter: 'frame.pilots.frequencies', old_value: [200e6, 220e6], new_value: [210e6, 230e6] },
    });
    expect(alice.sim.parameter('qi.frame.pilots.frequencies')).toEqual([210e6, 230e6]);
    await bob.request('DISCONNECTION');
  });

  it("the deployed tools' own frames (test/vectors/frames-deployed-extra.json) are PARAMETER_CHANGED", async () => {
    alice = await startTestAlice();
    const bob = await client(alice);
    const frames = readVector('frames-deployed-extra.json').frames as unknown as { name: string; content_text: string }[];
    const requests = frames.filter((f) => f.name === 'CHANGE_PARAMETER_REQUEST').map((f) => JSON.parse(f.content_text) as { parameter: string; value: number });
    expect(requests.map((r) => r.parameter)).toEqual(['frame.quantum.variance', 'frame.quantum.roll_off']);
    for (const request of requests) {
      expect(await bob.request('CHANGE_PARAMETER_REQUEST', request)).toMatchObject({
        name: 'PARAMETER_CHANGED',
        content: { parameter: request.parameter, new_value: request.value },
      });
    }
    expect(alice.sim.parameter('qi.frame.variance')).toBe(4);
    expect(alice.sim.parameter('qi.frame.roll_off')).toBe(0.3);
    await bob.request('DISCONNECTION');
  });

  it('PARAMETER_UNKOWN for a deployed path the emitter does not have', async () => {
    alice = await startTestAlice();
    const bob = await client(alice);
    expect(await bob.request('CHANGE_PARAMETER_REQUEST', { parameter: 'frame.zadoff_chu.root', value: 7 })).toEqual(
      expect.objectContaining({ name: 'PARAMETER_UNKOWN', content: { parameter: 'frame.zadoff_chu.root' } }),
    );
    await bob.request('DISCONNECTION');
  });

  it('PARAMETER_INVALID_VALUE: the old value in the deployed units, and the message says how the names relate', async () => {
    alice = await startTestAlice();
    const bob = await client(alice);
    const answer = await bob.request('CHANGE_PARAMETER_REQUEST', { parameter: 'frame.quantum.variance', value: -0.01 });
    expect(answer).toMatchObject({ name: 'PARAMETER_INVALID_VALUE', content: { parameter: 'frame.quantum.variance', old_value: 0.01 } });
    expect(answer.content!.error_message).toContain('frame.quantum.variance is qi.frame.variance / 400 here');
    expect(await bob.request('CHANGE_PARAMETER_REQUEST', { parameter: 'frame.pilots.amplitudes', value: [0.4, 1.5] })).toMatchObject({
      name: 'PARAMETER_INVALID_VALUE',
      content: { parameter: 'frame.pilots.amplitudes', old_value: [0.4, 0.4] },
    });
    expect(alice.sim.parameter('qi.frame.variance')).toBe(4);
    await bob.request('DISCONNECTION');
  });

  it('PARAMETER_UNCHANGED: a parameter the policy locks, by its deployed name', async () => {
    const backend = createSimulatedAlice({ symbols: 2000, lockedParameters: ['qi.emitter.serial_number', 'qi.frame.variance'] });
    alice = await startTestAlice({}, backend);
    const bob = await client(alice);
    expect(await bob.request('CHANGE_PARAMETER_REQUEST', { parameter: 'frame.quantum.variance', value: 0.02 })).toMatchObject({
      name: 'PARAMETER_UNCHANGED',
      content: { parameter: 'frame.quantum.variance', old_value: 0.01, error_message: expect.stringContaining('locked') },
    });
    expect(await bob.request('CHANGE_PARAMETER_REQUEST', { parameter: 'serial_number', value: 'X' })).toMatchObject({
      name: 'PARAMETER_UNCHANGED',
      content: { parameter: 'serial_number', old_value: 'QOSST/0001' },
    });
    expect(backend.parameter('qi.frame.variance')).toBe(4);
    await bob.request('DISCONNECTION');
  });

  it("Bob's driver sends deployed names as they are", async () => {
    alice = await startTestAlice();
    const session = await connect({ host: '127.0.0.1', port: alice.port });
    try {
      await session.identify();
      expect(await session.changeParameter('frame.quantum.symbol_rate', 250e6)).toMatchObject({
        name: 'PARAMETER_CHANGED',
        content: { parameter: 'frame.quantum.symbol_rate', old_value: 100e6, new_value: 250e6 },
      });
    } finally {
      await session.disconnect();
    }
  });
});
