/** Wire notes 19: the deployed calibration tools repeat the QIE inside one frame; the deployed Alice emits fresh symbols each time. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../src/bob/session.ts';
import { keyHash } from '../src/sim/key-bits.ts';
import { FRAME_UUID, OTHER_UUID, startTestAlice, TEST_SIM, testReceiver, type TestAlice } from './support/alice.ts';
import { RawClient } from './support/raw-client.ts';

const SYMBOLS = TEST_SIM.symbols;
const ESTIMATION = { n_photon: 2, transmittance: 0.5, excess_noise: 0.1, electronic_noise: 0.05, eta: 0.8, key_rate: 200 };

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
      // The symbols of the frame Alice prepared for this round.
      const frame = alice.sim.frame(FRAME_UUID)!;
      expect(real).toEqual(indices.map((i) => frame.real[i]));
      expect([...frame.revealed].sort((a, b) => a - b)).toEqual([...indices].sort((a, b) => a - b));
      seen.push(real.slice(0, 3));
      const n = await bob.request('PE_NPHOTON_REQUEST');
      // Va = 4 SNU: <n> = Va/2, estimated anew from this round's symbols.
      expect(n.content!.n_photon).toBeCloseTo(2, 1);
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
    expect(alice.sim.emitter.emissionsStarted).toBe(3);

    expect((await bob.request('PE_FINISHED', ESTIMATION)).name).toBe('PE_APPROVED');
    // Once the estimation is approved the QIE is over for this frame.
    expect((await bob.request('QIE_REQUEST')).name).toBe('UNEXPECTED_COMMAND');
    expect((await bob.request('EC_INITIALIZATION', { matrix: [[1, 1], [1, 1]], noise: 0.1 })).name).toBe('EC_READY');
    const bits = [1, 0, 1, 1, 0, 1];
    expect((await bob.request('EC_BLOCK', { syndrome: bits })).name).toBe('EC_BLOCK_ACK');
    expect((await bob.request('EC_VERIFICATION', { hash: keyHash(Uint8Array.from(bits)) })).name).toBe('EC_VERIFICATION_SUCCESS');
    // Earlier rounds' revealed indices were forgotten: the key is the whole last frame but its own revealed symbols.
    const pa = (length: number) => ({ seed: [1, 0, 1, 1, 0], secret_key_length: length, subblock_length: 5, feedback_polynomial: [1, 1, 1, 0, 0] });
    expect((await bob.request('PA_REQUEST', pa(SYMBOLS - reveals[2]!.length + 1))).name).toBe('PA_ERROR');
    expect((await bob.request('PA_REQUEST', pa(SYMBOLS - reveals[2]!.length))).name).toBe('PA_SUCCESS');
    expect(await bob.request('FRAME_ENDED', { frame_uuid: FRAME_UUID })).toMatchObject({ name: 'FRAME_ENDED_ACK' });
    expect((await bob.request('DISCONNECTION')).name).toBe('DISCONNECTION_ACK');
    expect(alice.server.emitterOwner).toBeNull();
  });

  it("Bob's driver repeats the QIE, and his receiver measures each round's light to a key", async () => {
    const session = await connect({ host: '127.0.0.1', port: alice.port });
    const sim = testReceiver(alice);
    try {
      await session.identify();
      const frameUuid = randomUUID();
      expect((await session.initialize({ frame_uuid: frameUuid, ...sim.frameParameters() })).name).toBe('INITIALIZATION_ACCEPTED');
      const measured: number[] = [];
      for (let round = 0; round < 3; round++) {
        expect((await session.qie(() => sim.acquire(frameUuid))).name).toBe('QIE_ENDED');
        expect((await session.symbols([0])).name).toBe('PE_SYMBOLS_RESPONSE');
        measured.push(sim.currentFrame()!.measurement.real[0]!);
      }
      // Each round's light came from fresh symbols.
      expect(new Set(measured).size).toBe(3);
      const indices = sim.estimationIndices(frameUuid);
      const symbols = await session.symbols(indices);
      expect(symbols.name).toBe('PE_SYMBOLS_RESPONSE');
      const photonNumber = Number((await session.photonNumber()).content?.n_photon);
      const estimation = sim.estimate({
        frameUuid,
        indices,
        symbolsReal: symbols.content!.symbols_real as number[],
        symbolsImag: symbols.content!.symbols_imag as number[],
        photonNumber,
      });
      expect((await session.finishEstimation(estimation)).name).toBe('PE_APPROVED');
      expect((await session.ecInitialize(sim.ecParameters())).name).toBe('EC_READY');
      for (const block of sim.ecBlocks()) expect((await session.ecBlock(block)).name).toBe('EC_BLOCK_ACK');
      expect((await session.ecVerify(sim.keyHash())).name).toBe('EC_VERIFICATION_SUCCESS');
      expect((await session.privacyAmplification(sim.paParameters())).name).toBe('PA_SUCCESS');
      expect((await session.endFrame()).name).toBe('FRAME_ENDED_ACK');
    } finally {
      await session.disconnect();
      await sim.close();
    }
  });
});
