/** A whole frame against our daemon over loopback TCP, with each authenticator. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Authenticator } from '../src/protocol/auth/authenticator.ts';
import { keyHash } from '../src/sim/key-bits.ts';
import { FRAME_UUID, startTestAlice, type TestAlice } from './support/alice.ts';
import { KEY_SETUPS } from './support/keys.ts';
import { RawClient } from './support/raw-client.ts';

for (const [algorithm, make] of Object.entries(KEY_SETUPS)) {
  describe(`a whole frame with ${algorithm}`, () => {
    let alice: TestAlice;
    let bobAuth: Authenticator;
    beforeAll(async () => {
      const s = make();
      bobAuth = s.bob;
      alice = await startTestAlice(s.alice);
    });
    afterAll(() => alice.close());

    it('runs from identification to DISCONNECTION_ACK', async () => {
      const bob = await RawClient.connect(alice.port, bobAuth);
      expect(await bob.identify()).toMatchObject({ name: 'IDENTIFICATION_RESPONSE', content: { serial_number: 'QOSST/0001' } });
      expect((await bob.request('INITIALIZATION_REQUEST', { frame_uuid: FRAME_UUID, roll_off: 0.5 })).name).toBe('INITIALIZATION_ACCEPTED');
      expect((await bob.request('REQUEST_POLARISATION_RECOVERY')).name).toBe('POLARISATION_RECOVERY_ACK');
      expect(alice.sim.emitter.classicalSignal).toBe(true);
      expect((await bob.request('END_POLARISATION_RECOVERY')).name).toBe('POLARISATION_RECOVERY_ENDED');
      expect(alice.sim.emitter.classicalSignal).toBe(false);
      // The deployed Bob sends QIE_REQUEST with no content (wire notes 12).
      expect((await bob.request('QIE_REQUEST')).name).toBe('QIE_READY');
      expect((await bob.request('QIE_TRIGGER')).name).toBe('QIE_EMISSION_STARTED');
      expect(alice.sim.emitter.emitting).toBe(true);
      expect((await bob.request('QIE_ACQUISITION_ENDED')).name).toBe('QIE_ENDED');
      expect(alice.sim.emitter.emitting).toBe(false);

      const symbols = alice.sim.frame(FRAME_UUID)!;
      const pe = await bob.request('PE_SYMBOLS_REQUEST', { indices: [0, 2] });
      expect(pe).toMatchObject({ name: 'PE_SYMBOLS_RESPONSE', content: { symbols_real: [symbols.real[0], symbols.real[2]], symbols_imag: [symbols.imag[0], symbols.imag[2]] } });
      expect(await bob.request('PE_SYMBOLS_REQUEST', { indices: [1, 50_000] })).toMatchObject({
        name: 'PE_SYMBOLS_ERROR',
        content: { error_message: expect.stringContaining('50000') },
      });
      const n = await bob.request('PE_NPHOTON_REQUEST');
      expect(n.name).toBe('PE_NPHOTON_RESPONSE');
      // Va = 4 SNU: <n> = Va/2.
      expect(n.content!.n_photon).toBeCloseTo(2, 1);
      expect((await bob.request('PE_FINISHED', { n_photon: 1.54, transmittance: 0.5, excess_noise: 0.1, electronic_noise: 0.05, eta: 0.8, key_rate: 200 })).name).toBe('PE_APPROVED');

      expect((await bob.request('EC_INITIALIZATION', { matrix: [[1, 1], [1, 1]], noise: 0.1 })).name).toBe('EC_READY');
      expect((await bob.request('EC_BLOCK', { syndrome: [1.87, 5.67] })).name).toBe('EC_BLOCK_ACK');
      expect((await bob.request('EC_REMAINING', { some_parameter: 1 })).name).toBe('EC_REMAINING_ACK');
      // The example's syndrome carries no key bits: the reconciled key is empty.
      const hash = keyHash(new Uint8Array());
      expect((await bob.request('EC_VERIFICATION', { hash })).name).toBe('EC_VERIFICATION_SUCCESS');
      expect((await bob.request('PA_REQUEST', { seed: [1, 0, 1, 1, 0], secret_key_length: 200, subblock_length: 5, feedback_polynomial: [1, 1, 1, 0, 0] })).name).toBe('PA_SUCCESS');
      expect(await bob.request('FRAME_ENDED', { frame_uuid: FRAME_UUID })).toMatchObject({ name: 'FRAME_ENDED_ACK', content: { frame_uuid: FRAME_UUID } });
      expect((await bob.request('DISCONNECTION')).name).toBe('DISCONNECTION_ACK');
      expect(await bob.closed()).toBe(true);
      expect(alice.server.emitterOwner).toBeNull();
    });
  });
}
