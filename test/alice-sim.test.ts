import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { simulatedBackend } from '../src/alice/daemon.ts';
import { aliceConfigSchema } from '../src/alice/config.ts';
import { WorkerPool } from '../src/alice/worker-pool.ts';
import { validateConfig } from '../src/config.ts';
import { memoryFibre } from '../src/sim/fibre-link.ts';
import { createSimulatedAlice } from '../src/sim/alice-sim.ts';
import type { SimulatedAlice } from '../src/sim/alice-sim.ts';
import { verificationHash } from '../src/postprocessing/verification-hash.ts';
import { createRandomSource } from '../src/sim/gaussian-source.ts';
import type { AliceSessionBackend } from '../src/alice/backend.ts';

const UUID = '9f0b6ea4-9e8c-11ed-8b23-0028f86a9730';
const OTHER_UUID = '0d4e2a7c-5b1f-4c3a-9e8d-7f6a5b4c3d2e';

const PE_OK = { transmittance: 0.5, excess_noise: 0.1, key_rate: 200 };
const PA_OK = { seed: [1, 0, 1, 1, 0] as (0 | 1)[], secret_key_length: 2000, subblock_length: 5, feedback_polynomial: [1, 1, 1, 0, 0] as (0 | 1)[] };

function sampleVariance(xs: Float64Array): number {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length;
}

/** A session with an initialized and prepared frame. */
async function prepared(alice: SimulatedAlice, id = 's1', uuid = UUID): Promise<AliceSessionBackend> {
  const session = alice.openSession({ id, peer: '127.0.0.1:1234' });
  expect(await session.initialize({ frame_uuid: uuid })).toEqual({ outcome: 'accepted' });
  await session.prepareFrame(uuid);
  return session;
}

describe('the random source', () => {
  it('is a fresh CSPRNG stream unless seeded; a seed gives the same stream', () => {
    expect(createRandomSource('test').normals(100, 1)).not.toEqual(createRandomSource('test').normals(100, 1));
    expect(createRandomSource('test', 's').normals(100, 1)).toEqual(createRandomSource('test', 's').normals(100, 1));
    expect(createRandomSource('test', 's').normals(100, 1)).not.toEqual(createRandomSource('test', 't').normals(100, 1));
  });

  it('separates the roles of one seed: different streams, and not a role/seed concatenation', () => {
    expect(createRandomSource('alice', 's').normals(100, 1)).not.toEqual(createRandomSource('bob', 's').normals(100, 1));
    expect(createRandomSource('a', 'b:c').normals(100, 1)).not.toEqual(createRandomSource('a:b', 'c').normals(100, 1));
    expect(() => createRandomSource('', 's')).toThrow(RangeError);
  });

  it('draws centred Gaussian samples of the variance asked for', () => {
    const xs = createRandomSource('test', 'variance').normals(100_001, 4);
    expect(xs).toHaveLength(100_001);
    // Standard error of a sample variance: sqrt(2/n)·4 = 0.018.
    expect(Math.abs(sampleVariance(xs) - 4)).toBeLessThan(0.1);
    expect(Math.abs(xs.reduce((a, b) => a + b, 0) / xs.length)).toBeLessThan(0.03);
  });

  it('draws uniform integers below a bound', () => {
    const random = createRandomSource('test', 'below');
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) counts[random.below(3)]!++;
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(150);
    expect(() => random.below(0)).toThrow(RangeError);
  });
});

describe('frames and light made on a worker thread', () => {
  /** Two QIEs of a seeded emitter (odd symbol counts: the stream's pairs do not line up), their symbols and light. */
  async function twoFrames(pool?: WorkerPool) {
    const fibre = memoryFibre();
    const config = validateConfig(aliceConfigSchema, { sim: { seed: 'same-everywhere', symbols: 1001 } });
    const alice = simulatedBackend(config, fibre.input, pool);
    const out = [];
    for (const [uuid, symbols] of [[UUID, 1001], [OTHER_UUID, 333]] as const) {
      const session = alice.openSession({ id: uuid, peer: '127.0.0.1:1234' });
      expect((await session.changeParameter('qi.frame.num_symbols', symbols)).outcome).toBe('changed');
      expect(await session.initialize({ frame_uuid: uuid })).toEqual({ outcome: 'accepted' });
      await session.prepareFrame(uuid);
      await session.startEmission();
      const frame = alice.frame(uuid)!;
      out.push({ real: frame.real, imag: frame.imag, light: await fibre.output.receive(uuid, 5000) });
      await session.stopEmission();
      await session.endFrame(uuid);
    }
    return out;
  }

  it('are the numbers drawn on the event loop, from the same seed', async () => {
    const pool = new WorkerPool({ size: 1, queueLimit: 4, log: pino({ level: 'silent' }) });
    try {
      const inPlace = await twoFrames();
      const onThread = await twoFrames(pool);
      expect(pool.running).toBe(1);
      expect(onThread).toEqual(inPlace);
      expect(onThread[1]!.real).toHaveLength(333);
    } finally {
      await pool.close();
    }
  });

  it('a thread that fails the symbols fails the QIE_REQUEST; one that fails the light fails QIE_TRIGGER and frees the emitter', async () => {
    const failing = (what: string) => () => Promise.reject(new Error(`${what} failed`));
    const offload = { correctBlock: failing('block'), hashKey: failing('hash'), drawSymbols: failing('drawing'), propagate: failing('light') };
    const alice = createSimulatedAlice({ symbols: 100, seed: 's' }, undefined, offload);
    const session = alice.openSession({ id: 's1', peer: '127.0.0.1:1234' });
    await session.initialize({ frame_uuid: UUID });
    await expect(session.prepareFrame(UUID)).rejects.toThrow("The frame's symbols were not drawn: drawing failed.");
    const drawn = { ...offload, drawSymbols: () => Promise.resolve({ real: new Float64Array(100), imag: new Float64Array(100) }) };
    const second = createSimulatedAlice({ symbols: 100, seed: 's' }, undefined, drawn);
    const s2 = second.openSession({ id: 's2', peer: '127.0.0.1:1234' });
    await s2.initialize({ frame_uuid: UUID });
    await s2.prepareFrame(UUID);
    await expect(s2.startEmission()).rejects.toThrow('Cannot start the emission: the light was not made: light failed.');
    expect(second.emitter.emitting).toBe(false);
  });
});

describe('createSimulatedAlice options', () => {
  it('rejects unknown options and unknown locked parameters', () => {
    expect(() => createSimulatedAlice({ symbol: 5 } as never)).toThrow(/Invalid simulated Alice options/);
    expect(() => createSimulatedAlice({ lockedParameters: ['qi.frame.roll_olf'] })).toThrow(/unknown parameter qi.frame.roll_olf/);
    expect(() => createSimulatedAlice({ variance: -1 })).toThrow(/variance/);
  });

  it('starts the store from the options', async () => {
    const alice = createSimulatedAlice({ symbols: 5000, variance: 2 });
    expect(alice.parameter('qi.frame.num_symbols')).toBe(5000);
    expect(alice.parameter('qi.frame.variance')).toBe(2);
    expect(alice.parameter('qi.frame.roll_off')).toBe(0.5);
    expect(alice.parameter('qi.emitter.serial_number')).toBe('QOSST/0001');
    expect(alice.parameter('nope')).toBeUndefined();
    const session = alice.openSession({ id: 's', peer: 'p' });
    expect(await session.proposeConfig()).toEqual({ frame: { quantum: { num_symbols: 5000, roll_off: 0.5, variance: 2 } } });
  });
});

describe('initialization', () => {
  const session = () => createSimulatedAlice().openSession({ id: 's', peer: 'p' });

  it('accepts no parameters, or parameters equal to its own, by short or full name', async () => {
    expect(await session().initialize({ frame_uuid: UUID })).toEqual({ outcome: 'accepted' });
    expect(await session().initialize({ frame_uuid: UUID, roll_off: 0.5, num_symbols: 10_000, variance: 4 })).toEqual({
      outcome: 'accepted',
    });
    expect(await session().initialize({ frame_uuid: UUID, 'qi.frame.roll_off': 0.5 })).toEqual({ outcome: 'accepted' });
  });

  it('proposes its configuration for an unknown parameter or a different value', async () => {
    expect(await session().initialize({ frame_uuid: UUID, modulation: 'qpsk' })).toEqual({
      outcome: 'proposal',
      message: 'Unknown parameter modulation; ask for the configuration.',
    });
    expect(await session().initialize({ frame_uuid: UUID, roll_off: 0.3 })).toEqual({
      outcome: 'proposal',
      message: 'roll_off is 0.5 here; ask for the configuration.',
    });
  });

  it('denies an impossible value, even beside a mere mismatch', async () => {
    const wrongType = await session().initialize({ frame_uuid: UUID, num_symbols: 'many' });
    expect(wrongType.outcome).toBe('denied');
    expect(wrongType).toMatchObject({ message: expect.stringContaining('num_symbols') });
    expect((await session().initialize({ frame_uuid: UUID, roll_off: 1.5 })).outcome).toBe('denied');
    expect((await session().initialize({ frame_uuid: UUID, num_symbols: 2.5 })).outcome).toBe('denied');
    expect((await session().initialize({ frame_uuid: UUID, roll_off: 0.3, variance: -1 })).outcome).toBe('denied');
  });

  it('prepares only the frame it accepted', async () => {
    const s = session();
    await expect(s.prepareFrame(UUID)).rejects.toThrow(/not initialized/);
    await s.initialize({ frame_uuid: UUID });
    await expect(s.prepareFrame(OTHER_UUID)).rejects.toThrow(/not initialized/);
    expect(await s.initialize({ frame_uuid: OTHER_UUID, roll_off: 0.2 })).toMatchObject({ outcome: 'proposal' });
    // A refused request supersedes the accepted one.
    await expect(s.prepareFrame(UUID)).rejects.toThrow(/not initialized/);
  });
});

describe('quantum information exchange and estimation', () => {
  it('needs a prepared frame to start or stop the emission', async () => {
    const alice = createSimulatedAlice();
    const s = alice.openSession({ id: 's', peer: 'p' });
    await expect(s.startEmission()).rejects.toThrow('Cannot start the emission: no frame has been prepared.');
    await expect(s.stopEmission()).rejects.toThrow(/no frame has been prepared/);
    await expect(s.symbols([0])).rejects.toThrow(/No frame/);
    expect(alice.emitter.emitting).toBe(false);
  });

  it('turns the shared emitter on and off', async () => {
    const alice = createSimulatedAlice();
    const s = await prepared(alice);
    await s.startEmission();
    expect(alice.emitter).toMatchObject({ emitting: true, emittingSession: 's1', framesPrepared: 1, emissionsStarted: 1 });
    await s.stopEmission();
    expect(alice.emitter).toMatchObject({ emitting: false, emittingSession: null });
  });

  it('waits for the simulated DSP', async () => {
    const alice = createSimulatedAlice({ dspDelayMs: 40 });
    const start = performance.now();
    await prepared(alice);
    expect(performance.now() - start).toBeGreaterThanOrEqual(35);
  });

  it('sends the frame symbols, and names the first out-of-bound index and the size', async () => {
    const alice = createSimulatedAlice({ symbols: 5000 });
    const s = await prepared(alice);
    const expected = alice.frame(UUID)!;
    expect(expected.real).toHaveLength(5000);
    expect(Math.abs(sampleVariance(expected.real) - 4)).toBeLessThan(0.5);
    expect(await s.symbols([1, 57, 4999])).toEqual({
      ok: true,
      real: [expected.real[1], expected.real[57], expected.real[4999]],
      imag: [expected.imag[1], expected.imag[57], expected.imag[4999]],
    });
    expect(await s.symbols([3, 10_000, 5000])).toEqual({ ok: false, message: 'Indice 10000 is out of bound for array of size 5000.' });
    expect(await s.symbols([-1])).toEqual({ ok: false, message: 'Indice -1 is out of bound for array of size 5000.' });
  });

  it('measures the mean photon number as Va/2', async () => {
    const s = await prepared(createSimulatedAlice());
    expect(Math.abs((await s.photonNumber()) - 2)).toBeLessThan(0.08);
    const other = await prepared(createSimulatedAlice({ variance: 8 }));
    expect(Math.abs((await other.photonNumber()) - 4)).toBeLessThan(0.15);
  });

  it('approves an estimation within its policy only', async () => {
    const s = await prepared(createSimulatedAlice({ maxExcessNoise: 0.05 }));
    expect(await s.approveEstimation({ ...PE_OK, excess_noise: 0.04 })).toEqual({ ok: true });
    expect(await s.approveEstimation({ ...PE_OK, excess_noise: 0.1 })).toEqual({
      ok: false,
      message: 'Excess noise 0.1 is above the maximum 0.05.',
    });
    expect(await s.approveEstimation({ ...PE_OK, excess_noise: 0, transmittance: 0 })).toMatchObject({ ok: false });
    expect(await s.approveEstimation({ ...PE_OK, excess_noise: 0, transmittance: 1.2 })).toMatchObject({ ok: false });
    expect(await s.approveEstimation({ ...PE_OK, excess_noise: 0, transmittance: 1 })).toEqual({ ok: true });
  });
});

describe('error correction and privacy amplification', () => {
  it('checks the matrix, the noise and the syndrome', async () => {
    const s = await prepared(createSimulatedAlice());
    expect(await s.ecInitialize({ matrix: [[1, 1], [1, 1]], noise: 0.1 })).toEqual({ ok: true });
    expect(await s.ecInitialize({ matrix: [], noise: 0.1 })).toEqual({ ok: false, message: 'Matrix is not valid.' });
    expect(await s.ecInitialize({ matrix: [[]], noise: 0.1 })).toEqual({ ok: false, message: 'Matrix is not valid.' });
    expect(await s.ecInitialize({ matrix: [[1, 1], [1]], noise: 0.1 })).toEqual({ ok: false, message: 'Matrix is not valid.' });
    expect(await s.ecInitialize({ matrix: [[1]], noise: -0.1 })).toMatchObject({ ok: false });
    expect(await s.ecBlock({ syndrome: [1, 0, 1] })).toEqual({ ok: true });
    expect(await s.ecBlock({ syndrome: [] })).toEqual({ ok: false, message: 'Wrong syndrome length.' });
    expect(await s.ecRemaining({ some_parameter: 1 })).toEqual({ ok: true });
  });

  it("the specification's example blocks correct nothing (no key bit leaks through a syndrome): the reconciled key stays empty", async () => {
    const s = await prepared(createSimulatedAlice());
    expect(await s.ecBlock({ syndrome: [1, 0, 1] })).toEqual({ ok: true });
    expect(await s.ecBlock({ syndrome: [1.87, 5.67] })).toEqual({ ok: true });
    expect(await s.ecVerify(verificationHash(new Uint8Array()))).toEqual({ ok: true });
    expect(await s.ecVerify(verificationHash(Uint8Array.from([1, 0, 1])))).toEqual({ ok: false, message: 'Keys are not equal.' });
    expect(await s.ecVerify(385789897481570657n)).toEqual({ ok: false, message: 'Keys are not equal.' });
    expect(await s.ecVerify(12345)).toEqual({ ok: false, message: 'Keys are not equal.' });
  });

  it('denies a code it cannot use, with the reason', async () => {
    const s = await prepared(createSimulatedAlice());
    const code = { noise: 1.1, code_id: 'qosst-ldpc1-R408-N4096', rate: 0.408, block_length: 4096, dimension: 8 as const };
    expect(await s.ecInitialize(code)).toEqual({ ok: false, message: 'Reconciliation needs eta and electronic_noise in PE_FINISHED to model the channel.' });
    await s.approveEstimation({ ...PE_OK, eta: 0.6, electronic_noise: 0.05 });
    expect(await s.ecInitialize({ ...code, code_id: 'qosst-ldpc1-R999-N4096' })).toMatchObject({ ok: false, message: expect.stringMatching(/^Unknown code: no code of rate 999/) });
    expect(await s.ecInitialize({ ...code, dimension: undefined })).toMatchObject({ ok: false, message: expect.stringMatching(/dimension/) });
    expect(await s.ecInitialize({ ...code, block_length: 8192 })).toMatchObject({ ok: false, message: expect.stringMatching(/block_length 8192 is not the length 4096/) });
    expect(await s.ecInitialize({ ...code, rate: 0.5 })).toMatchObject({ ok: false, message: expect.stringMatching(/rate 0.5 is not the rate/) });
    expect(await s.ecInitialize({ ...code, rate: undefined })).toEqual({ ok: true });
    // The frame of 10 000 symbols has 20 000 kept reals: blocks 0-3 exist, block 4 does not; a block needs its side information.
    expect(await s.ecBlock({ syndrome: [1, 0] })).toEqual({ ok: false, message: 'A block of a code needs its side_information.' });
    for (let i = 1; i < 4; i++) await s.ecBlock({ syndrome: [1], side_information: [0] });
    expect(await s.ecBlock({ syndrome: [1], side_information: [0] })).toEqual({ ok: false, message: "Block 4 is beyond the frame's 4 blocks." });
  });

  it('checks the feedback polynomial and the key length', async () => {
    const s = await prepared(createSimulatedAlice());
    await s.symbols([0, 1]);
    expect(await s.privacyAmplification(PA_OK)).toEqual({ ok: true });
    expect(await s.privacyAmplification({ ...PA_OK, subblock_length: 4 })).toEqual({
      ok: false,
      message: 'Invalid value for the feedback polynomial.',
    });
    expect(await s.privacyAmplification({ ...PA_OK, secret_key_length: 9998 })).toEqual({ ok: true });
    expect(await s.privacyAmplification({ ...PA_OK, secret_key_length: 9999 })).toEqual({
      ok: false,
      message: 'Secret key length 9999 exceeds the 9998 key bits.',
    });
  });

  it('ends only the current frame, then needs a new initialization', async () => {
    const s = await prepared(createSimulatedAlice());
    await expect(s.endFrame(OTHER_UUID)).rejects.toThrow(/not the current frame/);
    await s.endFrame(UUID.toUpperCase());
    await expect(s.symbols([0])).rejects.toThrow(/No frame/);
    await expect(s.prepareFrame(UUID)).rejects.toThrow(/not initialized/);
  });
});

describe('parameter change', () => {
  it('answers changed, unknown, invalid and unchanged', async () => {
    const alice = createSimulatedAlice();
    const s = alice.openSession({ id: 's', peer: 'p' });
    expect(await s.changeParameter('qi.frame.roll_off', 0.3)).toEqual({ outcome: 'changed', oldValue: 0.5, newValue: 0.3 });
    expect(await s.changeParameter('qi.frame.roll_olf', 0.3)).toEqual({ outcome: 'unknown' });
    // Short names are for initialization only.
    expect(await s.changeParameter('roll_off', 0.3)).toEqual({ outcome: 'unknown' });
    expect(await s.changeParameter('qi.frame.roll_off', 2)).toMatchObject({ outcome: 'invalid', oldValue: 0.3 });
    expect(await s.changeParameter('qi.frame.num_symbols', '10')).toMatchObject({ outcome: 'invalid', oldValue: 10_000 });
    expect(await s.changeParameter('qi.frame.variance', 0)).toMatchObject({ outcome: 'invalid', oldValue: 4 });
    expect(await s.changeParameter('qi.emitter.serial_number', 'QOSST/9999')).toEqual({
      outcome: 'unchanged',
      oldValue: 'QOSST/0001',
      message: 'qi.emitter.serial_number is locked by policy.',
    });
    // An invalid value for a locked parameter is invalid: policy only refuses valid values.
    expect(await s.changeParameter('qi.emitter.serial_number', 42)).toMatchObject({ outcome: 'invalid' });
    expect(alice.parameter('qi.emitter.serial_number')).toBe('QOSST/0001');
  });

  it('follows the lockedParameters option', async () => {
    const alice = createSimulatedAlice({ lockedParameters: ['qi.frame.roll_off'] });
    const s = alice.openSession({ id: 's', peer: 'p' });
    expect(await s.changeParameter('qi.frame.roll_off', 0.3)).toMatchObject({ outcome: 'unchanged', oldValue: 0.5 });
    expect(await s.changeParameter('qi.emitter.serial_number', 'QOSST/9999')).toMatchObject({ outcome: 'changed' });
  });

  it('shares the store between sessions and uses it for the next frame', async () => {
    const alice = createSimulatedAlice();
    const a = alice.openSession({ id: 'a', peer: 'p' });
    const b = alice.openSession({ id: 'b', peer: 'p' });
    expect(await a.changeParameter('qi.frame.num_symbols', 2000)).toMatchObject({ outcome: 'changed' });
    expect(await b.proposeConfig()).toEqual({ frame: { quantum: { num_symbols: 2000, roll_off: 0.5, variance: 4 } } });
    expect(await b.initialize({ frame_uuid: UUID, num_symbols: 10_000 })).toMatchObject({ outcome: 'proposal' });
    expect(await b.initialize({ frame_uuid: UUID, num_symbols: 2000 })).toEqual({ outcome: 'accepted' });
    await b.prepareFrame(UUID);
    expect(await b.symbols([2000])).toEqual({ ok: false, message: 'Indice 2000 is out of bound for array of size 2000.' });
  });
});

describe('emitter safety', () => {
  it('discardFrame stops the emission and the classical signal, and is idempotent', async () => {
    const alice = createSimulatedAlice();
    const s = await prepared(alice);
    await s.startEmission();
    await s.startPolarisationSignal();
    expect(alice.emitter).toMatchObject({ emitting: true, classicalSignal: true });
    await s.discardFrame();
    expect(alice.emitter).toMatchObject({ emitting: false, classicalSignal: false, emittingSession: null, signalSession: null });
    await s.discardFrame();
    await alice.openSession({ id: 'fresh', peer: 'p' }).discardFrame();
    await expect(s.symbols([0])).rejects.toThrow(/No frame/);
  });

  it('one session cannot take or release the emission of another', async () => {
    const alice = createSimulatedAlice();
    const a = await prepared(alice, 'a');
    const b = await prepared(alice, 'b', OTHER_UUID);
    await a.startEmission();
    await expect(b.startEmission()).rejects.toThrow('Cannot start the emission: the emitter is in use by session a.');
    await b.discardFrame();
    expect(alice.emitter).toMatchObject({ emitting: true, emittingSession: 'a' });
    await a.discardFrame();
    await b.prepareFrame(OTHER_UUID);
    await b.startEmission();
    expect(alice.emitter.emittingSession).toBe('b');
  });

  it('runs the polarisation signal', async () => {
    const alice = createSimulatedAlice();
    const a = alice.openSession({ id: 'a', peer: 'p' });
    const b = alice.openSession({ id: 'b', peer: 'p' });
    await a.startPolarisationSignal();
    expect(alice.emitter).toMatchObject({ classicalSignal: true, signalSession: 'a', classicalSignalsStarted: 1 });
    await expect(b.startPolarisationSignal()).rejects.toThrow(/in use by session a/);
    await b.stopPolarisationSignal();
    expect(alice.emitter.classicalSignal).toBe(true);
    await a.stopPolarisationSignal();
    expect(alice.emitter.classicalSignal).toBe(false);
  });

  it('close turns everything off and refuses new work', async () => {
    const alice = createSimulatedAlice();
    const s = await prepared(alice);
    await s.startEmission();
    await s.startPolarisationSignal();
    await alice.close();
    expect(alice.emitter).toMatchObject({ emitting: false, classicalSignal: false });
    await expect(s.startEmission()).rejects.toThrow(/closed/);
    expect(() => alice.openSession({ id: 'late', peer: 'p' })).toThrow(/closed/);
    await s.discardFrame();
  });

  it('exposes a read-only snapshot', () => {
    const alice = createSimulatedAlice();
    const state = alice.emitter;
    expect(Object.isFrozen(state)).toBe(true);
    expect(() => {
      (state as { emitting: boolean }).emitting = true;
    }).toThrow(TypeError);
    expect(alice.emitter.emitting).toBe(false);
  });
});
