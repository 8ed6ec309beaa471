/** Wire notes 19: the deployed calibration tools repeat the QIE inside one frame; the deployed Alice emits fresh symbols each time. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../src/bob/session.ts';
import { createSimulatedBob } from '../src/sim/bob-sim.ts';
import { DEFAULT_SIM_SEED, frameSymbols, keyBits, keyHash } from '../src/sim/frame-symbols.ts';
import { FRAME_UUID, OTHER_UUID, startTestAlice, type TestAlice } from './support/alice.ts';
import { RawClient } from './support/raw-client.ts';

const SYMBOLS = 2000;

describe('a QIE repeated inside one frame, over TCP', () => {
  let alice: TestAlice;
  beforeAll(async () => {
    alice = await startTestAlice();
  });
  afterAll(() => alice.close());

  it('three QIE rounds with symbols after each, then estimation, EC, PA and the end of the frame', async () => {
    const bob = await RawClient.connect(alice.port);
    await bob.identify();
    expect((await bob.request('INITIALIZATION_REQUEST', { frame_uuid: FRAME_UUID })).name).toBe('INITIALIZATION_ACCEPTED');

    const seen: number[][] = [];
    // Each round reveals other indices: only the last round's may be left out of the key.
    const reveals = [[0, 1, 2, 10, 11], [0, 1, 2, 20], [0, 1, 2, 3, 7]];
    for (const [round, indices] of reveals.entries()) {
      // The first round without content, as the deployed Bob sends it; the others naming the frame.
      expect((await bob.request('QIE_REQUEST', round === 0 ? null : { frame_uuid: FRAME_UUID })).name).toBe('QIE_READY');
      expect((await bob.request('QIE_TRIGGER')).name).toBe('QIE_EMISSION_STARTED');
      expect(alice.sim.emitter.emitting).toBe(true);
      expect((await bob.request('QIE_ACQUISITION_ENDED')).name).toBe('QIE_ENDED');
      expect(alice.sim.emitter.emitting).toBe(false);

      const answer = await bob.request('PE_SYMBOLS_REQUEST', { indices });
      expect(answer.name).toBe('PE_SYMBOLS_RESPONSE');
      const real = answer.content!.symbols_real as number[];
      // What Bob's simulator derives for this round of this frame.
      const expected = frameSymbols(FRAME_UUID, SYMBOLS, 3.08, DEFAULT_SIM_SEED, round);
      expect(real).toEqual(indices.map((i) => expected.real[i]));
      seen.push(real.slice(0, 3));
      const n = await bob.request('PE_NPHOTON_REQUEST');
      expect(n.content!.n_photon).toBeCloseTo(1.54, 0);
      // A QIE_REQUEST naming another frame is still refused, and changes nothing.
      if (round === 1) {
        expect(await bob.request('QIE_REQUEST', { frame_uuid: OTHER_UUID })).toMatchObject({
          name: 'INVALID_CONTENT',
          content: { error_message: expect.stringContaining('another frame') },
        });
      }
    }
    // Fresh symbols every round: none of indices 0, 1, 2 repeats a value of an earlier round.
    expect(new Set(seen.flat()).size).toBe(9);
    expect(alice.sim.emitter.framesPrepared).toBe(3);

    expect((await bob.request('PE_FINISHED', { transmittance: 0.5, excess_noise: 0.02, key_rate: 0.1 })).name).toBe('PE_APPROVED');
    // Once the estimation is approved the QIE is over for this frame.
    expect((await bob.request('QIE_REQUEST')).name).toBe('UNEXPECTED_COMMAND');
    expect((await bob.request('EC_INITIALIZATION', { matrix: [[1, 1], [1, 1]], noise: 0.1 })).name).toBe('EC_READY');
    expect((await bob.request('EC_BLOCK', { syndrome: [1, 0] })).name).toBe('EC_BLOCK_ACK');
    // The key is the last round's symbols without the last round's revealed indices.
    const last = frameSymbols(FRAME_UUID, SYMBOLS, 3.08, DEFAULT_SIM_SEED, 2);
    const hash = keyHash(keyBits(last.real, new Set(reveals[2])));
    expect((await bob.request('EC_VERIFICATION', { hash })).name).toBe('EC_VERIFICATION_SUCCESS');
    // Earlier rounds' revealed indices were forgotten: the whole rest of the frame is key.
    const pa = { seed: [1, 0, 1, 1, 0], secret_key_length: SYMBOLS - reveals[2]!.length, subblock_length: 5, feedback_polynomial: [1, 1, 1, 0, 0] };
    expect((await bob.request('PA_REQUEST', pa)).name).toBe('PA_SUCCESS');
    expect(await bob.request('FRAME_ENDED', { frame_uuid: FRAME_UUID })).toMatchObject({ name: 'FRAME_ENDED_ACK' });
    expect((await bob.request('DISCONNECTION')).name).toBe('DISCONNECTION_ACK');
    expect(alice.server.emitterOwner).toBeNull();
  });

  it("Bob's driver repeats the QIE, and his simulator follows the fresh symbols to a key", async () => {
    const session = await connect({ host: '127.0.0.1', port: alice.port });
    try {
      await session.identify();
      const sim = createSimulatedBob({ symbols: SYMBOLS });
      const frameUuid = randomUUID();
      expect((await session.initialize({ frame_uuid: frameUuid, ...sim.frameParameters() })).name).toBe('INITIALIZATION_ACCEPTED');
      for (let round = 0; round < 3; round++) {
        expect((await session.qie(() => sim.acquire(frameUuid))).name).toBe('QIE_ENDED');
        expect((await session.symbols([0])).name).toBe('PE_SYMBOLS_RESPONSE');
      }
      const indices = sim.estimationIndices(frameUuid);
      expect((await session.symbols(indices)).name).toBe('PE_SYMBOLS_RESPONSE');
      const photonNumber = Number((await session.photonNumber()).content?.n_photon);
      const estimation = sim.estimate({ frameUuid, indices, symbolsReal: [], symbolsImag: [], photonNumber });
      expect((await session.finishEstimation(estimation)).name).toBe('PE_APPROVED');
      expect((await session.ecInitialize(sim.ecParameters())).name).toBe('EC_READY');
      expect((await session.ecVerify(sim.keyHash())).name).toBe('EC_VERIFICATION_SUCCESS');
      expect((await session.privacyAmplification(sim.paParameters())).name).toBe('PA_SUCCESS');
      expect((await session.endFrame()).name).toBe('FRAME_ENDED_ACK');
    } finally {
      await session.disconnect();
    }
  });
});
