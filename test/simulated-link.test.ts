/**
 * The simulated link piece by piece (fibre model, TCP and in-memory
 * transports, detector), Alice's estimation policy, and whole frames over
 * TCP (control channel and fibre) whose verdict comes from what Bob measured.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { reviewEstimation } from '../src/alice/estimation-policy.ts';
import { BobSession } from '../src/bob/session.ts';
import { runFrame } from '../src/bob/run-frame.ts';
import { validateContent } from '../src/protocol/schemas.ts';
import { createSimulatedAlice } from '../src/sim/alice-sim.ts';
import { createSimulatedBob } from '../src/sim/bob-sim.ts';
import { createDetector } from '../src/sim/detector.ts';
import { memoryFibre } from '../src/sim/fibre-link.ts';
import { describeFibre, propagate } from '../src/sim/fibre.ts';
import { connectFibre, FibreServer, parseFibreAddress } from '../src/sim/fibre-tcp.ts';
import { createRandomSource } from '../src/sim/gaussian-source.ts';
import { parseJsonText } from '../src/protocol/json.ts';
import { FRAME_UUID, startTcpFibreAlice, startTestAlice, tcpTestReceiver } from './support/alice.ts';
import { RawClient } from './support/raw-client.ts';
import { readVector } from './support/vectors.ts';

const variance = (xs: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]! * xs[i]!;
  return s / xs.length;
};
const covariance = (xs: ArrayLike<number>, ys: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]! * ys[i]!;
  return s / xs.length;
};

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('the fibre', () => {
  it('passes sqrt(T)·x and adds T·xi of noise per quadrature', () => {
    const random = createRandomSource('test', 'fibre');
    const fibre = describeFibre({ distanceKm: 25, excessNoise: 0.2 });
    expect(fibre.transmittance).toBeCloseTo(10 ** -0.5, 12);
    const x = { real: random.normals(200_000, 4), imag: random.normals(200_000, 4) };
    const light = propagate(FRAME_UUID, x, fibre, random);
    expect(light.frameUuid).toBe(FRAME_UUID);
    // Cov(x, out) = sqrt(T)·Va; Var(out) = T·Va + T·xi (standard errors about 0.3 %).
    expect(covariance(x.real, light.real) / 4).toBeCloseTo(Math.sqrt(fibre.transmittance), 2);
    expect(variance(light.imag) / (fibre.transmittance * 4.2)).toBeCloseTo(1, 1);
  });

  it('in memory: what is sent is received by UUID, whatever its case; a missing frame times out', async () => {
    const { input, output } = memoryFibre();
    input.announce(describeFibre({ distanceKm: 10, excessNoise: 0.01 }));
    expect(output.description).toMatchObject({ distanceKm: 10, lossDbPerKm: 0.2, excessNoise: 0.01 });
    input.send({ frameUuid: FRAME_UUID.toUpperCase(), real: Float64Array.of(1), imag: Float64Array.of(2) });
    expect(await output.receive(FRAME_UUID, 100)).toMatchObject({ real: Float64Array.of(1), imag: Float64Array.of(2) });
    await expect(output.receive(FRAME_UUID, 20)).rejects.toThrow(/no light for frame .* within 20 ms/);
    await output.close();
    await expect(output.receive(FRAME_UUID, 1000)).rejects.toThrow(/closed/);
  });

  it('over TCP: the label on connection, frames bit for bit whatever the chunking, light without a receiver lost', async () => {
    const server = await FibreServer.listen('127.0.0.1', 0);
    cleanups.push(() => server.close());
    server.announce(describeFibre({ distanceKm: 5, lossDbPerKm: 0.25, excessNoise: 0.02 }));
    server.send({ frameUuid: 'lost-before-anyone-listened', real: Float64Array.of(1), imag: Float64Array.of(1) });
    const output = await connectFibre('127.0.0.1', server.port);
    cleanups.push(() => output.close());
    await expect.poll(() => server.receivers).toBe(1);
    await expect.poll(() => output.description).toMatchObject({ distanceKm: 5, lossDbPerKm: 0.25 });
    const random = createRandomSource('test', 'tcp');
    // Large enough to arrive in many chunks; odd values to check every bit.
    const real = random.normals(300_001, 1);
    const imag = random.normals(300_001, 1);
    imag[300_000] = Number.MIN_VALUE;
    const waiting = output.receive(FRAME_UUID, 5000);
    server.send({ frameUuid: FRAME_UUID, real, imag });
    server.send({ frameUuid: '00000000-0000-4000-8000-000000000000', real: new Float64Array(0), imag: new Float64Array(0) });
    const light = await waiting;
    expect(light.real).toEqual(real);
    expect(light.imag).toEqual(imag);
    expect((await output.receive('00000000-0000-4000-8000-000000000000', 5000)).real).toHaveLength(0);
    await expect(output.receive('lost-before-anyone-listened', 50)).rejects.toThrow(/no light/);
  });

  it('over TCP: a closed fibre fails the wait at once, with the reason', async () => {
    const server = await FibreServer.listen('127.0.0.1', 0);
    const output = await connectFibre('127.0.0.1', server.port);
    cleanups.push(() => output.close());
    const waiting = output.receive(FRAME_UUID, 10_000);
    await server.close();
    await expect(waiting).rejects.toThrow(/was disconnected/);
    await expect(connectFibre('127.0.0.1', server.port, 1000)).rejects.toThrow(/cannot connect to the fibre/);
  });

  it('addresses: HOST:PORT or PORT', () => {
    expect(parseFibreAddress('10.0.0.2:8182')).toEqual({ host: '10.0.0.2', port: 8182 });
    expect(parseFibreAddress('8182')).toEqual({ host: '127.0.0.1', port: 8182 });
    expect(() => parseFibreAddress('host:0')).toThrow(/HOST:PORT/);
    expect(() => parseFibreAddress('host')).toThrow(/HOST:PORT/);
  });
});

describe("Bob's detector", () => {
  it('measures sqrt(N0)·(sqrt(eta/2)·field + n), n of variance 1 + Vel; calibrations N0·(1 + Vel) and N0·Vel', () => {
    const random = createRandomSource('test', 'detector');
    const detector = createDetector({ efficiency: 0.5, electronicNoise: 0.1, shotNoise: 3 }, random);
    const field = random.normals(200_000, 4);
    const m = detector.measure({ frameUuid: FRAME_UUID, real: field, imag: new Float64Array(200_000) });
    expect(covariance(field, m.real) / 4 / Math.sqrt(3 * 0.25)).toBeCloseTo(1, 1);
    expect(variance(m.imag) / (3 * 1.1)).toBeCloseTo(1, 1);
    const c = detector.calibrate(200_000);
    expect(variance(c.shotNoise) / 3.3).toBeCloseTo(1, 1);
    expect(variance(c.electronicNoise) / 0.3).toBeCloseTo(1, 1);
    expect(() => createDetector({ efficiency: 0, electronicNoise: 0 }, random)).toThrow(/efficiency/);
    expect(() => createDetector({ efficiency: 0.5, electronicNoise: -1 }, random)).toThrow(/electronic noise/);
  });
});

describe('one seed on both sides', () => {
  it("gives Alice's symbols and Bob's detector noise that are uncorrelated", async () => {
    // A lossless, noiseless fibre: Bob's noise is exactly his measurement minus sqrt(N0)·sqrt(eta/2)·x.
    const n = 200_000;
    const { input, output } = memoryFibre();
    const alice = createSimulatedAlice({ symbols: n, distanceKm: 0, excessNoise: 0, seed: 'same' }, input);
    const bob = createSimulatedBob({ fibre: output, symbols: n, efficiency: 0.5, electronicNoise: 0.1, shotNoise: 1, seed: 'same' });
    const s = alice.openSession({ id: 's', peer: 'p' });
    await s.initialize({ frame_uuid: FRAME_UUID });
    await s.prepareFrame(FRAME_UUID);
    await s.startEmission();
    await bob.acquire(FRAME_UUID);
    const x = alice.frame(FRAME_UUID)!;
    const m = bob.currentFrame()!.measurement;
    for (const [xs, ms] of [[x.real, m.real], [x.imag, m.imag]] as const) {
      const noise = ms.map((v, i) => v - Math.sqrt(0.5 / 2) * xs[i]!);
      expect(variance(noise)).toBeCloseTo(1.1, 1);
      // Correlation coefficient of independent samples: standard deviation 1/sqrt(n) = 0.0022; the bound is 9 of them.
      // Drawn from one stream (the bug), the first samples of both were the same Gaussian draws: correlation near 1.
      const rho = covariance(xs, noise) / Math.sqrt(variance(xs) * variance(noise));
      expect(Math.abs(rho)).toBeLessThan(0.02);
    }
    await bob.close();
  });
});

describe("Alice's emitter and the fibre", () => {
  it('the light of a frame leaves when the emission starts, and only Alice holds the symbols', async () => {
    const { input, output } = memoryFibre();
    const alice = createSimulatedAlice({ symbols: 50_000, distanceKm: 15, excessNoise: 0 }, input);
    expect(output.description?.transmittance).toBeCloseTo(10 ** -0.3, 12);
    const s = alice.openSession({ id: 's', peer: 'p' });
    await s.initialize({ frame_uuid: FRAME_UUID });
    await s.prepareFrame(FRAME_UUID);
    await expect(output.receive(FRAME_UUID, 20)).rejects.toThrow(/no light/);
    await s.startEmission();
    const light = await output.receive(FRAME_UUID, 100);
    const frame = alice.frame(FRAME_UUID)!;
    // No excess noise: the light is exactly sqrt(T)·x.
    expect(light.real[7]).toBeCloseTo(Math.sqrt(10 ** -0.3) * frame.real[7]!, 12);
    expect(light.imag[49_999]).toBeCloseTo(Math.sqrt(10 ** -0.3) * frame.imag[49_999]!, 12);
    // Another emitter, unseeded, draws other symbols for the same frame UUID: nothing derives them from it.
    const other = createSimulatedAlice({ symbols: 50_000 });
    const t = other.openSession({ id: 't', peer: 'p' });
    await t.initialize({ frame_uuid: FRAME_UUID });
    await t.prepareFrame(FRAME_UUID);
    expect(other.frame(FRAME_UUID)!.real[7]).not.toBe(frame.real[7]);
  });
});

describe("Alice's estimation policy", () => {
  const policy = { modulationVariance: 4, beta: 0.95, maxExcessNoise: 0.2 };
  const good = { n_photon: 2, transmittance: 0.6, excess_noise: 0.05, electronic_noise: 0.05, eta: 0.6, key_rate: 0.1 };

  it('approves a positive recomputed rate', () => {
    expect(reviewEstimation(good, policy)).toEqual({ ok: true });
    // Without eta and electronic_noise: the conservative reading still gives a rate here.
    expect(reviewEstimation({ transmittance: 0.6, excess_noise: 0.05, key_rate: 0.1 }, policy)).toEqual({ ok: true });
  });

  it.each([
    [{ transmittance: Number.NaN }, /transmittance is NaN, not a finite number/],
    [{ excess_noise: Number.POSITIVE_INFINITY }, /excess_noise is Infinity/],
    [{ key_rate: Number.NEGATIVE_INFINITY }, /key_rate is -Infinity/],
    [{ electronic_noise: Number.NaN }, /electronic_noise is NaN/],
    [{ transmittance: 0 }, /Transmittance 0 is outside \(0, 1\]/],
    [{ transmittance: 1.01 }, /outside \(0, 1\]/],
    [{ excess_noise: -0.01 }, /Excess noise -0.01 is negative/],
    [{ electronic_noise: -0.01 }, /Electronic noise -0.01 is negative/],
    [{ eta: 1.5 }, /efficiency 1.5/],
    [{ n_photon: -1 }, /Photon number -1/],
    [{ excess_noise: 0.21 }, /above the maximum 0.2/],
    // Physically possible, but Eve knows too much: the recomputed rate is 0.
    [{ transmittance: 0.01, excess_noise: 0.15 }, /key rate from Bob's values .* is not positive/],
  ])('denies %j', (change, reason) => {
    const verdict = reviewEstimation({ ...good, ...change }, policy);
    expect(verdict.ok).toBe(false);
    expect(verdict).toMatchObject({ message: expect.stringMatching(reason) });
  });

  it('NaN and the infinities pass the schema (not INVALID_CONTENT) and the simulated emitter denies them', async () => {
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const content = { ...good, transmittance: value, excess_noise: value };
      expect(validateContent('PE_FINISHED', content)).toEqual({ ok: true, content });
      const s = createSimulatedAlice({ symbols: 10 }).openSession({ id: 's', peer: 'p' });
      expect(await s.approveEstimation(content)).toMatchObject({ ok: false, message: expect.stringMatching(/not a finite number/) });
    }
    expect(validateContent('PE_FINISHED', { ...good, transmittance: '0.5' })).toMatchObject({ ok: false, error: expect.stringContaining('transmittance') });
  });
});

describe('non-finite numbers in PE_FINISHED over TCP', () => {
  const estimation = { n_photon: 2, transmittance: 0.6, excess_noise: 0.05, electronic_noise: 0.05, eta: 0.6, key_rate: 0.1 };
  const deployed = (readVector('frames-deployed-extra.json').frames as unknown as { name: string; content_text: string }[])
    .filter((f) => f.name === 'PE_FINISHED')
    .map((f) => f.content_text);

  it.each([
    ['NaN transmittance', JSON.stringify(estimation).replace('"transmittance":0.6', '"transmittance": NaN'), /transmittance is NaN, not a finite number/],
    ['Infinity excess noise', JSON.stringify(estimation).replace('"excess_noise":0.05', '"excess_noise": Infinity'), /excess_noise is Infinity/],
    ['-Infinity electronic noise', JSON.stringify(estimation).replace('"electronic_noise":0.05', '"electronic_noise": -Infinity'), /electronic_noise is -Infinity/],
    ["the deployed Bob's, 0 photons", deployed[0]!, /key_rate <= 0/],
    ["the deployed Bob's, NaN estimates", deployed[1]!, /key_rate <= 0/],
  ])('%s: decoded, then PE_DENIED (not INVALID_CONTENT)', async (_what, text, reason) => {
    const parsed = parseJsonText(text);
    expect(parsed.ok).toBe(true);
    const alice = await startTestAlice();
    cleanups.push(() => alice.close());
    const client = await RawClient.connect(alice.port);
    cleanups.push(async () => client.close());
    await client.identify();
    expect((await client.request('INITIALIZATION_REQUEST', { frame_uuid: FRAME_UUID })).name).toBe('INITIALIZATION_ACCEPTED');
    for (const step of ['QIE_REQUEST', 'QIE_TRIGGER', 'QIE_ACQUISITION_ENDED'] as const) await client.request(step);
    const answer = await client.request('PE_FINISHED', (parsed as { value: object }).value);
    expect(answer).toMatchObject({ name: 'PE_DENIED', content: { deny_message: expect.stringMatching(reason) } });
  });
});

describe('whole frames over TCP, control channel and fibre', () => {
  async function frameOver(sim: Record<string, unknown>, receiver: Parameters<typeof tcpTestReceiver>[1] = {}) {
    const alice = await startTcpFibreAlice({ sim });
    cleanups.push(() => alice.close());
    const session = await BobSession.connect({ port: alice.port });
    cleanups.push(() => session.disconnect().catch(() => undefined));
    const bob = await tcpTestReceiver(alice, receiver);
    cleanups.push(() => bob.close());
    return runFrame(session, bob);
  }

  it('a clean link: approved, and the estimates near the truth', async () => {
    const result = await frameOver({});
    expect(result.status).toBe('completed');
    const report = result.estimation!.report!;
    expect(report.transmittance.low).toBeLessThanOrEqual(1);
    expect(report.transmittance.high).toBeGreaterThanOrEqual(0.95);
    expect(report.excessNoise.low).toBeLessThanOrEqual(0);
    expect(result.estimation!.sent.key_rate).toBeGreaterThan(0);
  });

  it('a fibre whose excess noise is above the threshold: PE_DENIED for that physical reason', async () => {
    // Frames long enough for Bob's worst case to keep a positive rate: the verdict is then Alice's policy alone.
    const result = await frameOver({ excess_noise: 0.1, max_excess_noise: 0.05, symbols: 100_000 }, { symbols: 100_000, estimationSymbols: 50_000, calibrationSamples: 200_000 });
    expect(result.status).toBe('denied');
    expect(result.message).toMatch(/Excess noise 0\.\d+ is above the maximum 0\.05/);
    const sent = result.estimation!.sent;
    expect(sent.excess_noise).toBeGreaterThan(0.05);
    // Bob's own rate was positive: the denial is Alice's policy, on what he measured.
    expect(sent.key_rate).toBeGreaterThan(0);
    expect(result.estimation!.report!.excessNoise.estimate).toBeGreaterThan(0.05);
  });
});
