/**
 * Every path of every phase through Bob's driver, over loopback TCP against
 * our daemon, once per authentication algorithm. The body is one function
 * so that the three runs are identical.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FrameAbortedError, OutOfOrderError } from '../src/bob/errors.ts';
import { runFrame, type FramePhase } from '../src/bob/run-frame.ts';
import { connect, type BobSession, type ConnectOptions } from '../src/bob/session.ts';
import type { Authenticator } from '../src/protocol/auth/authenticator.ts';
import type { MessageName } from '../src/protocol/codes.ts';
import type { ContentOf } from '../src/protocol/schemas.ts';
import { testReceiver } from './support/alice.ts';
import { FRAME_UUID, OTHER_UUID } from './support/alice.ts';
import { startObservedAlice, waitFor, type ObservedAlice } from './support/bob-harness.ts';
import { KEY_SETUPS, type Algorithm, type KeySetup } from './support/keys.ts';
import { RawClient } from './support/raw-client.ts';
import { emptyKeyHash, SIM_SYMBOLS, stimulus } from './support/stimuli.ts';

/** The content stimuli.ts gives for making the simulated Alice answer `answer` to `request`. */
function content<N extends MessageName>(request: N, answer: MessageName): NonNullable<ContentOf<N>> {
  const make = stimulus(request, answer);
  if (!make) throw new Error(`no stimulus for ${request} -> ${answer}`);
  return make() as NonNullable<ContentOf<N>>;
}

const PE_FINISHED_OK = content('PE_FINISHED', 'PE_APPROVED');
/** Bob's statechart waiting for a new frame. */
const INITIALIZATION_IDLE = { session: { initialization: 'idle' } };

function bobPaths(algorithm: Algorithm, make: () => KeySetup): void {
  let alice: ObservedAlice;
  let auth: Authenticator;
  const sessions: BobSession[] = [];

  beforeAll(async () => {
    const setup = make();
    auth = setup.bob;
    // A short emitter wait, for Alice's abort when another session holds the emitter.
    alice = await startObservedAlice({ ...setup.alice, emitter_wait_seconds: 0.2 });
  });

  afterEach(async () => {
    alice.faults.startEmission = null;
    alice.faults.prepareDelayMs = 0;
    for (const s of sessions.splice(0)) await s.disconnect().catch(() => undefined);
    await waitFor(() => alice.server.sessions.size === 0, 5000, 'every session closed');
  });

  afterAll(() => alice.close());

  async function bob(options: ConnectOptions = {}): Promise<BobSession> {
    const session = await connect({ port: alice.port, auth, answerTimeoutMs: 5000, ...options });
    sessions.push(session);
    return session;
  }

  async function identified(): Promise<BobSession> {
    const session = await bob();
    await session.identify();
    return session;
  }

  async function initialized(): Promise<BobSession> {
    const session = await identified();
    expect(await session.initialize({ frame_uuid: FRAME_UUID })).toEqual({ name: 'INITIALIZATION_ACCEPTED', content: null });
    return session;
  }

  it('identification: IDENTIFICATION_RESPONSE with Alice serial number; nothing else before it', async () => {
    const session = await bob();
    expect(session.identified).toBe(false);
    expect(session.can('INITIALIZATION_REQUEST', { frame_uuid: FRAME_UUID })).toBe(false);
    const from = alice.messages.length;
    expect(await session.identify()).toEqual({ name: 'IDENTIFICATION_RESPONSE', content: { serial_number: 'QOSST/0001' } });
    expect(session.identified).toBe(true);
    expect(session.qosstVersion).toBe('QOSST/0.2');
    expect(alice.since(from)).toEqual(['in:IDENTIFICATION_REQUEST', 'out:IDENTIFICATION_RESPONSE']);
    // Identifying again restarts the challenge chain and keeps the session usable.
    expect((await session.identify()).name).toBe('IDENTIFICATION_RESPONSE');
    expect(session.can('INITIALIZATION_REQUEST', { frame_uuid: FRAME_UUID })).toBe(true);
  });

  it('initialization: accepted at once', async () => {
    const session = await identified();
    expect(await session.initialize(content('INITIALIZATION_REQUEST', 'INITIALIZATION_ACCEPTED'))).toEqual({
      name: 'INITIALIZATION_ACCEPTED',
      content: null,
    });
    expect(session.frameUuid).toBe(FRAME_UUID);
    expect(session.can('QIE_REQUEST')).toBe(true);
  });

  it('initialization: denied, then proposal, configuration, accepted', async () => {
    const session = await identified();
    const denied = await session.initialize(content('INITIALIZATION_REQUEST', 'INITIALIZATION_DENIED'));
    expect(denied).toMatchObject({ name: 'INITIALIZATION_DENIED', content: { deny_message: expect.stringContaining('roll_off') } });
    expect(session.frameUuid).toBeNull();
    // After a plain denial there is no configuration to ask for: refused locally.
    await expect(session.requestConfig()).rejects.toBeInstanceOf(OutOfOrderError);

    const proposal = await session.initialize(content('INITIALIZATION_REQUEST', 'INITIALIZATION_PROPOSAL'));
    expect(proposal).toMatchObject({ name: 'INITIALIZATION_PROPOSAL', content: { deny_message: expect.stringContaining('roll_off') } });
    expect(session.frameUuid).toBeNull();
    expect(await session.requestConfig()).toEqual({
      name: 'INITIALIZATION_CONFIG',
      content: { config: { frame: { quantum: { num_symbols: SIM_SYMBOLS, roll_off: 0.5, variance: 4 } } } },
    });
    expect(await session.initialize({ frame_uuid: FRAME_UUID, roll_off: 0.5 })).toEqual({ name: 'INITIALIZATION_ACCEPTED', content: null });
    expect(session.frameUuid).toBe(FRAME_UUID);
  });

  it('parameter change between frames: PARAMETER_CHANGED, _UNKOWN, _INVALID_VALUE, _UNCHANGED', async () => {
    const session = await identified();
    const change = (answer: MessageName) => {
      const { parameter, value } = content('CHANGE_PARAMETER_REQUEST', answer);
      return session.changeParameter(parameter, value);
    };
    expect(await change('PARAMETER_CHANGED')).toEqual({
      name: 'PARAMETER_CHANGED',
      content: { parameter: 'qi.frame.roll_off', old_value: 0.5, new_value: 0.5 },
    });
    expect(await change('PARAMETER_UNKOWN')).toEqual({ name: 'PARAMETER_UNKOWN', content: { parameter: 'qi.frame.roll_olf' } });
    expect(await change('PARAMETER_INVALID_VALUE')).toEqual({
      name: 'PARAMETER_INVALID_VALUE',
      content: { parameter: 'qi.frame.roll_off', old_value: 0.5, error_message: expect.stringContaining('expected') },
    });
    expect(await change('PARAMETER_UNCHANGED')).toEqual({
      name: 'PARAMETER_UNCHANGED',
      content: { parameter: 'qi.emitter.serial_number', old_value: 'QOSST/0001', error_message: expect.stringContaining('locked') },
    });
    expect(alice.sim.parameter('qi.frame.roll_off')).toBe(0.5);
    expect(alice.sim.parameter('qi.emitter.serial_number')).toBe('QOSST/0001');
    // Back where it was: a frame can start.
    expect(session.can('INITIALIZATION_REQUEST', { frame_uuid: FRAME_UUID })).toBe(true);
  });

  it('a whole frame by steps, with every refusal that keeps the frame going', async () => {
    const session = await initialized();

    // Between initialization and QIE: a parameter change and polarisation recovery.
    expect((await session.changeParameter('qi.frame.roll_olf', 1)).name).toBe('PARAMETER_UNKOWN');
    let signalDuringRecovery: boolean | undefined;
    expect(
      await session.polarisationRecovery(async () => {
        signalDuringRecovery = alice.sim.emitter.classicalSignal;
      }),
    ).toEqual({ name: 'POLARISATION_RECOVERY_ENDED', content: null });
    expect(signalDuringRecovery).toBe(true);
    expect(alice.sim.emitter.classicalSignal).toBe(false);

    // QIE: the acquisition runs while Alice emits.
    let emittingDuringAcquisition: boolean | undefined;
    expect(
      await session.qie(async () => {
        emittingDuringAcquisition = alice.sim.emitter.emitting;
      }),
    ).toEqual({ name: 'QIE_ENDED', content: null });
    expect(emittingDuringAcquisition).toBe(true);
    expect(alice.sim.emitter.emitting).toBe(false);
    expect(alice.server.emitterOwner).toBeNull();

    // PE: an out-of-bound index reveals nothing, so the key is the whole frame.
    expect(await session.symbols(content('PE_SYMBOLS_REQUEST', 'PE_SYMBOLS_ERROR').indices)).toEqual({
      name: 'PE_SYMBOLS_ERROR',
      content: { error_message: `Indice ${SIM_SYMBOLS} is out of bound for array of size ${SIM_SYMBOLS}.` },
    });
    const n = await session.photonNumber();
    expect(n.name).toBe('PE_NPHOTON_RESPONSE');
    expect(n.content!.n_photon).toBeCloseTo(1.54, 0);
    expect(await session.finishEstimation(PE_FINISHED_OK)).toEqual({ name: 'PE_APPROVED', content: null });

    // EC: each refusal stays in its state.
    expect(await session.ecInitialize(content('EC_INITIALIZATION', 'EC_DENIED'))).toEqual({
      name: 'EC_DENIED',
      content: { error_message: 'Matrix is not valid.' },
    });
    expect(await session.ecInitialize(content('EC_INITIALIZATION', 'EC_READY'))).toEqual({ name: 'EC_READY', content: null });
    expect(await session.ecBlock(content('EC_BLOCK', 'EC_BLOCK_ERROR').syndrome)).toEqual({
      name: 'EC_BLOCK_ERROR',
      content: { error_message: 'Wrong syndrome length.' },
    });
    expect(await session.ecBlock(content('EC_BLOCK', 'EC_BLOCK_ACK').syndrome)).toEqual({ name: 'EC_BLOCK_ACK', content: null });
    expect(await session.ecRemaining({ some_parameter: 1 })).toEqual({ name: 'EC_REMAINING_ACK', content: null });
    expect(await session.ecVerify(1)).toEqual({ name: 'EC_VERIFICATION_FAIL', content: { error_message: 'Keys are not equal.' } });
    expect(await session.ecVerify(emptyKeyHash())).toEqual({ name: 'EC_VERIFICATION_SUCCESS', content: null });

    // PA: an error stays, success leads to the end of the frame.
    expect(await session.privacyAmplification(content('PA_REQUEST', 'PA_ERROR'))).toEqual({
      name: 'PA_ERROR',
      content: { error_message: 'Invalid value for the feedback polynomial.' },
    });
    expect(await session.privacyAmplification(content('PA_REQUEST', 'PA_SUCCESS'))).toEqual({ name: 'PA_SUCCESS', content: null });

    expect(await session.endFrame()).toEqual({ name: 'FRAME_ENDED_ACK', content: { frame_uuid: FRAME_UUID } });
    expect(session.frameUuid).toBeNull();
    expect(session.can('INITIALIZATION_REQUEST', { frame_uuid: OTHER_UUID })).toBe(true);
    expect(session.can('EC_INITIALIZATION', content('EC_INITIALIZATION', 'EC_READY'))).toBe(false);
  });

  it('PE: symbols as Alice holds them; PE_DENIED for key_rate 0 ends the frame', async () => {
    const session = await initialized();
    // The deployed Bob's QIE_REQUEST without content (wire notes 12).
    expect((await session.qie(async () => undefined, { withFrameUuid: false })).name).toBe('QIE_ENDED');
    const expected = alice.sim.frame(FRAME_UUID)!;
    expect(await session.symbols(content('PE_SYMBOLS_REQUEST', 'PE_SYMBOLS_RESPONSE').indices)).toEqual({
      name: 'PE_SYMBOLS_RESPONSE',
      content: { symbols_real: [expected.real[0], expected.real[1]], symbols_imag: [expected.imag[0], expected.imag[1]] },
    });
    expect(await session.finishEstimation(content('PE_FINISHED', 'PE_DENIED'))).toEqual({
      name: 'PE_DENIED',
      content: { deny_message: expect.stringContaining('key_rate') },
    });
    expect(session.frameUuid).toBeNull();
    await expect(session.ecInitialize(content('EC_INITIALIZATION', 'EC_READY'))).rejects.toBeInstanceOf(OutOfOrderError);
    // The frame is over: a new one starts.
    expect((await session.initialize({ frame_uuid: OTHER_UUID })).name).toBe('INITIALIZATION_ACCEPTED');
  });

  it('abort from Bob: ABORT_ACK, emitter off, back to initialization', async () => {
    const session = await initialized();
    expect((await session.call('QIE_REQUEST', { frame_uuid: FRAME_UUID })).name).toBe('QIE_READY');
    expect((await session.call('QIE_TRIGGER', null)).name).toBe('QIE_EMISSION_STARTED');
    expect(alice.sim.emitter.emitting).toBe(true);
    const from = alice.messages.length;
    expect(await session.abort('Bob stops here')).toEqual({ name: 'ABORT_ACK', content: null });
    expect(alice.since(from)).toEqual(['in:ABORT', 'out:ABORT_ACK']);
    expect(alice.sim.emitter.emitting).toBe(false);
    expect(alice.server.emitterOwner).toBeNull();
    expect(session.frameUuid).toBeNull();
    expect(JSON.parse(session.state)).toEqual(INITIALIZATION_IDLE);
    expect(session.can('QIE_ACQUISITION_ENDED')).toBe(false);
    expect((await session.initialize({ frame_uuid: OTHER_UUID })).name).toBe('INITIALIZATION_ACCEPTED');
  });

  it('abort from Bob when his acquisition fails: the error is rethrown after ABORT_ACK', async () => {
    const session = await initialized();
    const from = alice.messages.length;
    await expect(
      session.qie(async () => {
        throw new Error('detector saturated');
      }),
    ).rejects.toThrow('detector saturated');
    expect(alice.since(from)).toEqual([
      'in:QIE_REQUEST',
      'out:QIE_READY',
      'in:QIE_TRIGGER',
      'out:QIE_EMISSION_STARTED',
      'in:ABORT',
      'out:ABORT_ACK',
    ]);
    expect(alice.sim.emitter.emitting).toBe(false);
    expect(JSON.parse(session.state)).toEqual(INITIALIZATION_IDLE);
  });

  it('abort from Alice: her backend fails to start the emission', async () => {
    const session = await initialized();
    alice.faults.startEmission = 'laser interlock open';
    const error = await session.qie(async () => undefined).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FrameAbortedError);
    expect(error).toMatchObject({ byAlice: true, message: expect.stringContaining('laser interlock open') });
    expect(alice.sim.emitter.emitting).toBe(false);
    expect(alice.server.emitterOwner).toBeNull();
    expect(session.frameUuid).toBeNull();
    expect(JSON.parse(session.state)).toEqual(INITIALIZATION_IDLE);
    alice.faults.startEmission = null;
    // Both sides are back in initialization: a new frame goes through.
    expect((await session.initialize({ frame_uuid: OTHER_UUID })).name).toBe('INITIALIZATION_ACCEPTED');
    expect((await session.qie(async () => undefined)).name).toBe('QIE_ENDED');
  });

  it('abort from Alice: the emitter stays busy past emitter_wait_seconds', async () => {
    const holder = await RawClient.connect(alice.port, auth);
    try {
      expect((await holder.identify()).name).toBe('IDENTIFICATION_RESPONSE');
      expect((await holder.request('INITIALIZATION_REQUEST', { frame_uuid: OTHER_UUID })).name).toBe('INITIALIZATION_ACCEPTED');
      expect((await holder.request('QIE_REQUEST')).name).toBe('QIE_READY');
      const session = await initialized();
      const error = await session.qie(async () => undefined).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FrameAbortedError);
      expect(error).toMatchObject({ byAlice: true, message: expect.stringContaining('the emitter is in use') });
      expect(session.frameUuid).toBeNull();
      expect(session.can('INITIALIZATION_REQUEST', { frame_uuid: FRAME_UUID })).toBe(true);
    } finally {
      holder.close();
    }
  });

  it('runFrame completes a whole frame, and takes a proposal on the way', async () => {
    const session = await bob();
    const phases: FramePhase[] = [];
    const backend = testReceiver(alice, { polarisationRecovery: true });
    const result = await runFrame(session, backend, { onPhase: (p) => phases.push(p) });
    expect(result).toMatchObject({ status: 'completed' });
    // The key length the worst-case key rate allows for the symbols kept.
    expect(result.keyBits).toBe(Math.floor((SIM_SYMBOLS / 2) * result.estimation!.sent.key_rate));
    expect(phases).toEqual([
      'initialization',
      'polarisation-recovery',
      'quantum-information-exchange',
      'parameter-estimation',
      'error-correction',
      'privacy-amplification',
      'end-of-frame',
    ]);
    expect(session.frameUuid).toBeNull();

    // A Bob configured for another frame size: INITIALIZATION_PROPOSAL, then Alice's configuration.
    const from = alice.messages.length;
    const other = await runFrame(session, testReceiver(alice, { symbols: 500 }), { identifyEachFrame: true });
    expect(other).toMatchObject({ status: 'completed' });
    expect(other.keyBits).toBeGreaterThan(0);
    expect(alice.since(from).slice(0, 8)).toEqual([
      'in:IDENTIFICATION_REQUEST',
      'out:IDENTIFICATION_RESPONSE',
      'in:INITIALIZATION_REQUEST',
      'out:INITIALIZATION_PROPOSAL',
      'in:INITIALIZATION_REQUEST_CONFIG',
      'out:INITIALIZATION_CONFIG',
      'in:INITIALIZATION_REQUEST',
      'out:INITIALIZATION_ACCEPTED',
    ]);
    expect(alice.since(from)).toContain('out:EC_VERIFICATION_SUCCESS');
  });

  it('disconnect() sends DISCONNECTION and Alice closes the session', async () => {
    const session = await identified();
    await waitFor(() => alice.server.sessions.size === 1, 2000, 'one session');
    const closed: string[] = [];
    session.on('connection', (e) => closed.push(e.state));
    const from = alice.messages.length;
    await session.disconnect();
    expect(alice.since(from)).toEqual(['in:DISCONNECTION', 'out:DISCONNECTION_ACK']);
    expect(closed).toEqual(['closed']);
    await waitFor(() => alice.server.sessions.size === 0, 2000, 'no session');
    expect(alice.server.emitterOwner).toBeNull();
  });

  it(`signs with ${algorithm}`, () => {
    expect(auth.algorithm).toBe(algorithm);
    expect(alice.config.auth).toBe(algorithm);
  });
}

for (const algorithm of ['none', 'ed25519', 'falcon512'] as const) {
  describe(`Bob's driver against our daemon, authentication ${algorithm}`, () => bobPaths(algorithm, KEY_SETUPS[algorithm]));
}
