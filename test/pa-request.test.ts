/** Wire notes 23: PA_REQUEST as the newer deployed post-processing sends it, `{"seed", "secret_key_ratio"}`, beside the specification's. */
import { afterEach, describe, expect, it } from 'vitest';
import { loadBobConfig, sessionOptions, simulatedReceiver } from '../src/bob/config.ts';
import { runFrame } from '../src/bob/run-frame.ts';
import { runFrames } from '../src/bob/run.ts';
import { BobSession, connect } from '../src/bob/session.ts';
import { finalKeyLength, type PaRequest } from '../src/protocol/pa-request.ts';
import { validateContent } from '../src/protocol/schemas.ts';
import { keyHash } from '../src/sim/key-bits.ts';
import { FRAME_UUID, startTcpFibreAlice, startTestAlice, TEST_SIM, testReceiver, testReceiverArgs, type TestAlice } from './support/alice.ts';
import { RawClient } from './support/raw-client.ts';
import { readVector } from './support/vectors.ts';

const SPEC_FORM = { seed: [1, 0, 1, 1, 0], secret_key_length: 2000, subblock_length: 5, feedback_polynomial: [1, 1, 1, 0, 0] };

describe('PA_REQUEST schema', () => {
  it('accepts both forms, and keeps each as it is', () => {
    expect(validateContent('PA_REQUEST', SPEC_FORM)).toEqual({ ok: true, content: SPEC_FORM });
    const ratio = { seed: [1, 0, 1, 1, 0, 0, 1, 0], secret_key_ratio: 0.125 };
    expect(validateContent('PA_REQUEST', ratio)).toEqual({ ok: true, content: ratio });
    expect(validateContent('PA_REQUEST', { ...ratio, secret_key_ratio: 1 }).ok).toBe(true);
  });

  it('refuses a ratio outside (0, 1] or not a number, naming the field', () => {
    for (const bad of [0, -0.5, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '0.5']) {
      const result = validateContent('PA_REQUEST', { seed: [1, 0], secret_key_ratio: bad });
      expect(result).toMatchObject({ ok: false, error: expect.stringContaining('PA_REQUEST: secret_key_ratio') });
    }
  });

  it('explains a content of neither form by the closest one', () => {
    expect(validateContent('PA_REQUEST', { seed: [1, 2], secret_key_ratio: 0.5 })).toEqual({ ok: false, error: 'PA_REQUEST: seed.1: must be 0 or 1' });
    expect(validateContent('PA_REQUEST', { seed: [1], secret_key_length: 10, subblock_length: 5 })).toEqual({
      ok: false,
      error: 'PA_REQUEST: feedback_polynomial: Invalid input: expected array, received undefined',
    });
  });

  it('final key length: the reconciled length times the ratio, truncated; or the length asked for', () => {
    expect(finalKeyLength({ seed: [1], secret_key_ratio: 0.125 }, 1900)).toBe(237); // 237.5
    expect(finalKeyLength({ seed: [1], secret_key_ratio: 0.5 }, 1901)).toBe(950);
    expect(finalKeyLength({ seed: [1], secret_key_ratio: 1 }, 1901)).toBe(1901);
    expect(finalKeyLength({ seed: [1, 0], secret_key_length: 42, subblock_length: 2, feedback_polynomial: [1, 0] }, 1901)).toBe(42);
  });
});

describe('PA_REQUEST in both forms, over TCP', () => {
  let alice: TestAlice | null = null;
  afterEach(async () => {
    await alice?.close();
    alice = null;
  });

  it("Bob's driver sends either form; both reach PA_SUCCESS with the key length the form implies", async () => {
    alice = await startTestAlice();
    const session = await connect({ host: '127.0.0.1', port: alice.port });
    try {
      for (const paForm of ['specification', 'ratio'] as const) {
        const sim = testReceiver(alice, { paForm });
        const sent: PaRequest[] = [];
        const paParameters = sim.paParameters.bind(sim);
        sim.paParameters = () => {
          const request = paParameters();
          sent.push(request);
          return request;
        };
        const before = alice.sim.emitter.keyBits;
        const frame = await runFrame(session, sim);
        await sim.close();
        expect(frame.status).toBe('completed');
        const request = sent[0]!;
        expect(paForm === 'ratio' ? 'secret_key_ratio' in request : 'secret_key_length' in request).toBe(true);
        // The kept symbols: the frame but the half revealed for estimation.
        const reconciled = TEST_SIM.symbols / 2;
        const rate = frame.estimation!.sent.key_rate;
        expect(rate).toBeGreaterThan(0);
        expect(frame.keyBits).toBe(Math.max(1, Math.floor(reconciled * Math.min(1, rate))));
        expect(frame.keyBits).toBe(finalKeyLength(request, reconciled));
        // Alice's privacy amplification kept as many bits.
        expect(alice.sim.emitter.keyBits - before).toBe(frame.keyBits);
      }
    } finally {
      await session.disconnect();
    }
  });

  it('qosst-bob run --sim-pa-form ratio: the deployed form, frames completed with their key bits', async () => {
    const tcp = await startTcpFibreAlice();
    try {
      const cli = loadBobConfig(['run', '--port', String(tcp.port), ...testReceiverArgs(tcp), '--sim-pa-form', 'ratio', '--frames', '2']);
      if (cli.help) throw new Error('help');
      expect(cli.config.sim.pa_form).toBe('ratio');
      const session = await BobSession.connect(sessionOptions(cli.config));
      const sim = await simulatedReceiver(cli.config);
      try {
        const summary = await runFrames(session, sim, { frames: cli.config.frames });
        expect(summary.counts).toEqual({ attempted: 2, completed: 2, denied: 0, aborted: 0 });
        expect(summary.keyBits).toBeGreaterThan(0);
      } finally {
        await session.disconnect();
        await sim.close();
      }
    } finally {
      await tcp.close();
    }
    expect(() => loadBobConfig(['run', '--sim-pa-form', 'short'])).toThrow(/pa_form/);
  });

  async function reconciledFrame(a: TestAlice, revealed: number[]): Promise<RawClient> {
    const bob = await RawClient.connect(a.port);
    await bob.identify();
    await bob.request('INITIALIZATION_REQUEST', { frame_uuid: FRAME_UUID });
    await bob.request('QIE_REQUEST');
    await bob.request('QIE_TRIGGER');
    await bob.request('QIE_ACQUISITION_ENDED');
    expect((await bob.request('PE_SYMBOLS_REQUEST', { indices: revealed })).name).toBe('PE_SYMBOLS_RESPONSE');
    expect((await bob.request('PE_FINISHED', { n_photon: 2, transmittance: 0.5, excess_noise: 0.1, electronic_noise: 0.05, eta: 0.8, key_rate: 200 })).name).toBe('PE_APPROVED');
    expect((await bob.request('EC_INITIALIZATION', { matrix: [[1, 1], [1, 1]], noise: 0.1 })).name).toBe('EC_READY');
    const bits = [1, 0, 0, 1];
    expect((await bob.request('EC_BLOCK', { syndrome: bits })).name).toBe('EC_BLOCK_ACK');
    expect((await bob.request('EC_VERIFICATION', { hash: keyHash(Uint8Array.from(bits)) })).name).toBe('EC_VERIFICATION_SUCCESS');
    return bob;
  }

  it("the deployed post-processing's own frame (test/vectors/frames-deployed-extra.json) reaches PA_SUCCESS: 1/8 of the reconciled key", async () => {
    alice = await startTestAlice();
    const bob = await reconciledFrame(alice, [0, 1, 2, 3]);
    const frames = readVector('frames-deployed-extra.json').frames as unknown as { name: string; content_text: string }[];
    const content = JSON.parse(frames.find((f) => f.name === 'PA_REQUEST')!.content_text) as object;
    expect(content).toEqual({ seed: [1, 0, 1, 1, 0, 0, 1, 0], secret_key_ratio: 0.125 });
    expect((await bob.request('PA_REQUEST', content)).name).toBe('PA_SUCCESS');
    expect(alice.sim.emitter.keyBits).toBe(2499); // floor(19996 / 8)
    expect((await bob.request('FRAME_ENDED', { frame_uuid: FRAME_UUID })).name).toBe('FRAME_ENDED_ACK');
    await bob.request('DISCONNECTION');
  });

  it('PA_ERROR for a ratio that leaves no key bit; the frame can still be amplified', async () => {
    alice = await startTestAlice();
    const bob = await reconciledFrame(alice, [0, 1]);
    expect(await bob.request('PA_REQUEST', { seed: [1, 0], secret_key_ratio: 0.00001 })).toMatchObject({
      name: 'PA_ERROR',
      content: { error_message: expect.stringContaining('no key bit') },
    });
    expect(await bob.request('PA_REQUEST', { seed: [1, 0], secret_key_ratio: 1.5 })).toMatchObject({
      name: 'INVALID_CONTENT',
      content: { error_message: expect.stringContaining('secret_key_ratio: must be in (0, 1]') },
    });
    expect((await bob.request('PA_REQUEST', { seed: [1, 0], secret_key_ratio: 1 })).name).toBe('PA_SUCCESS');
    expect(alice.sim.emitter.keyBits).toBe(TEST_SIM.symbols - 2);
    await bob.request('DISCONNECTION');
  });
});
