/**
 * The conformance probe over real TCP: against our daemon every step is
 * allowed; against a stand-in Alice that answers one step wrongly, exactly
 * that step is flagged, the probe goes on and still disconnects.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { probe, simulatedKeyHash, type ProbeResult, type ProbeStep } from '../src/bob/probe.ts';
import { runFrame } from '../src/bob/run-frame.ts';
import { BobSession } from '../src/bob/session.ts';
import { startTestAlice, testReceiver, type TestAlice } from './support/alice.ts';
import { FRAME_SIZE, startWrongAlice, type OverrideFn, type WrongAlice } from './support/wrong-alice.ts';

const FULL_FRAME: [string, string][] = [
  ['IDENTIFICATION_REQUEST', 'IDENTIFICATION_RESPONSE'],
  ['INITIALIZATION_REQUEST', 'INITIALIZATION_ACCEPTED'],
  ['REQUEST_POLARISATION_RECOVERY', 'POLARISATION_RECOVERY_ACK'],
  ['END_POLARISATION_RECOVERY', 'POLARISATION_RECOVERY_ENDED'],
  ['QIE_REQUEST', 'QIE_READY'],
  ['QIE_TRIGGER', 'QIE_EMISSION_STARTED'],
  ['QIE_ACQUISITION_ENDED', 'QIE_ENDED'],
  ['PE_SYMBOLS_REQUEST', 'PE_SYMBOLS_RESPONSE'],
  ['PE_SYMBOLS_REQUEST', 'PE_SYMBOLS_ERROR'],
  ['PE_NPHOTON_REQUEST', 'PE_NPHOTON_RESPONSE'],
  ['QIE_REQUEST', 'QIE_READY'],
  ['QIE_TRIGGER', 'QIE_EMISSION_STARTED'],
  ['QIE_ACQUISITION_ENDED', 'QIE_ENDED'],
  ['PE_SYMBOLS_REQUEST', 'PE_SYMBOLS_RESPONSE'],
  ['PE_FINISHED', 'PE_APPROVED'],
  ['EC_INITIALIZATION', 'EC_READY'],
  ['EC_BLOCK', 'EC_BLOCK_ACK'],
  ['EC_REMAINING', 'EC_REMAINING_ACK'],
];
const END: [string, string][] = [
  ['PA_REQUEST', 'PA_SUCCESS'],
  ['FRAME_ENDED', 'FRAME_ENDED_ACK'],
  ['code 1000', 'UNKOWN_COMMAND'],
  ['DISCONNECTION', 'DISCONNECTION_ACK'],
];

const pairs = (r: ProbeResult) => r.steps.map((s) => [s.request, s.answer]);
const notAllowed = (r: ProbeResult) => r.steps.filter((s) => !s.allowed);
/** Steps Alice answered wrongly (not the ones that could not be sent). */
const wronglyAnswered = (r: ProbeResult) => notAllowed(r).filter((s) => s.answer !== '(not run)');
const step = (r: ProbeResult, request: string, nth = 0): ProbeStep => r.steps.filter((s) => s.request === request)[nth]!;

let alice: TestAlice | null = null;
let wrong: WrongAlice | null = null;
afterEach(async () => {
  await alice?.close();
  await wrong?.close();
  alice = null;
  wrong = null;
});

describe('probe against our daemon', () => {
  it('allows every step; with the receiver key hash, the whole frame is checked', async () => {
    alice = await startTestAlice({ sim: { symbols: 10_000 } });
    const result = await probe(
      { port: alice.port },
      { keyHash: simulatedKeyHash },
    );
    expect(notAllowed(result)).toEqual([]);
    expect(result.ok).toBe(true);
    expect(pairs(result)).toEqual([
      ...FULL_FRAME,
      ['EC_VERIFICATION', 'EC_VERIFICATION_FAIL'],
      ['EC_VERIFICATION', 'EC_VERIFICATION_SUCCESS'],
      ...END,
    ]);
    expect(step(result, 'IDENTIFICATION_REQUEST').note).toContain('version QOSST/0.2');
    expect(step(result, 'code 1000').note).toContain('{"code": 1000}');
  });

  it('without the key hash: EC_VERIFICATION_FAIL is allowed and the steps that cannot follow it are not run', async () => {
    alice = await startTestAlice();
    const result = await probe({ port: alice.port });
    expect(result.ok).toBe(true);
    expect(step(result, 'EC_VERIFICATION')).toMatchObject({ answer: 'EC_VERIFICATION_FAIL', allowed: true });
    for (const name of ['PA_REQUEST', 'FRAME_ENDED']) {
      expect(step(result, name)).toMatchObject({ answer: '(not run)', allowed: true });
      expect(step(result, name).note).toMatch(/^not run: .*EC_VERIFICATION_FAIL/);
    }
    expect(result.steps.at(-1)).toMatchObject({ request: 'DISCONNECTION', answer: 'DISCONNECTION_ACK', allowed: true });
  });

  it('notes the negotiated version', async () => {
    alice = await startTestAlice({ versions: ['QOSST/0.1'] });
    const result = await probe({ port: alice.port });
    expect(result.ok).toBe(true);
    expect(step(result, 'IDENTIFICATION_REQUEST')).toMatchObject({ answer: 'IDENTIFICATION_RESPONSE', allowed: true });
    expect(step(result, 'IDENTIFICATION_REQUEST').note).toMatch(/version QOSST\/0\.1, negotiated: Alice answered INVALID_QOSST_VERSION to QOSST\/0\.2/);
  });

  it('takes a session that already ran a frame, and disconnects it', async () => {
    alice = await startTestAlice();
    const session = await BobSession.connect({ port: alice.port });
    const frame = await runFrame(session, testReceiver(alice));
    expect(frame.status).toBe('completed');
    const closed = new Promise((resolve) => session.on('connection', (e) => e.state === 'closed' && resolve(true)));
    const result = await probe(session);
    expect(result.ok).toBe(true);
    expect(await closed).toBe(true);
    expect(result.steps.at(-1)).toMatchObject({ request: 'DISCONNECTION', answer: 'DISCONNECTION_ACK', allowed: true });
  });
});

describe('probe against a wrong Alice', () => {
  async function probeWrong(override: OverrideFn): Promise<ProbeResult> {
    wrong = await startWrongAlice(override);
    return probe({ port: wrong.port, answerTimeoutMs: 2000 });
  }

  it('the stand-in Alice answers correctly when told nothing: every step allowed', async () => {
    const result = await probeWrong(() => undefined);
    expect(result.ok).toBe(true);
    expect(pairs(result)).toEqual([...FULL_FRAME, ['EC_VERIFICATION', 'EC_VERIFICATION_SUCCESS'], ...END]);
    // The deployed Alice's UNKOWN_COMMAND has no content (wire notes 16): allowed too.
    expect(step(result, 'code 1000').note).toContain('no content');
    expect(wrong!.received.at(-1)).toBe('DISCONNECTION');
  });

  it('QIE_TRIGGER answered with PE_APPROVED: flagged; the rest of the frame is out of order and recorded as not run', async () => {
    const result = await probeWrong((request) => (request === 'QIE_TRIGGER' ? { answer: 'PE_APPROVED' } : undefined));
    expect(result.ok).toBe(false);
    expect(wronglyAnswered(result).map((s) => [s.request, s.answer])).toEqual([['QIE_TRIGGER', 'PE_APPROVED']]);
    expect(step(result, 'QIE_TRIGGER').note).toContain('QIE_EMISSION_STARTED');
    // Bob told Alice her answer was invalid, then went on.
    expect(wrong!.received).toContain('INVALID_RESPONSE');
    const after = result.steps.slice(result.steps.indexOf(step(result, 'QIE_TRIGGER')) + 1);
    expect(after.map((s) => s.request)).toEqual([
      'QIE_ACQUISITION_ENDED',
      'PE_SYMBOLS_REQUEST',
      'PE_SYMBOLS_REQUEST',
      'PE_NPHOTON_REQUEST',
      'QIE_REQUEST',
      'QIE_TRIGGER',
      'QIE_ACQUISITION_ENDED',
      'PE_SYMBOLS_REQUEST',
      'PE_FINISHED',
      'EC_INITIALIZATION',
      'EC_BLOCK',
      'EC_REMAINING',
      'EC_VERIFICATION',
      'PA_REQUEST',
      'FRAME_ENDED',
      'code 1000',
      'DISCONNECTION',
    ]);
    for (const s of after.slice(0, -2)) {
      expect(s).toMatchObject({ answer: '(not run)', allowed: false });
      expect(s.note).toContain('out of order after QIE_TRIGGER answered PE_APPROVED');
    }
    expect(step(result, 'code 1000')).toMatchObject({ answer: 'UNKOWN_COMMAND', allowed: true });
    expect(step(result, 'DISCONNECTION')).toMatchObject({ answer: 'DISCONNECTION_ACK', allowed: true });
    expect(wrong!.received.at(-1)).toBe('DISCONNECTION');
  });

  it('a repeated QIE refused: flagged, its steps not run, and the frame goes on', async () => {
    const result = await probeWrong((request, _content, count) =>
      request === 'QIE_REQUEST' && count === 2 ? { answer: 'UNEXPECTED_COMMAND', content: { code: 140, error_message: 'not now' } } : undefined,
    );
    expect(wronglyAnswered(result).map((s) => [s.request, s.answer])).toEqual([['QIE_REQUEST', 'UNEXPECTED_COMMAND']]);
    expect(step(result, 'QIE_REQUEST', 1).note).toContain('wire notes 19');
    for (const name of ['QIE_TRIGGER', 'QIE_ACQUISITION_ENDED']) {
      expect(step(result, name, 1)).toMatchObject({ answer: '(not run)', allowed: false });
      expect(step(result, name, 1).note).toContain('out of order after QIE_REQUEST answered UNEXPECTED_COMMAND');
    }
    expect(step(result, 'PE_FINISHED')).toMatchObject({ answer: 'PE_APPROVED', allowed: true });
  });

  it('the same symbols after a repeated QIE: flagged as stale data', async () => {
    const result = await probeWrong((request, content) =>
      request === 'PE_SYMBOLS_REQUEST' && (content?.indices as number[])[0] === 0
        ? { answer: 'PE_SYMBOLS_RESPONSE', content: { symbols_real: [0.5, 0.25], symbols_imag: [1, 2] } }
        : undefined,
    );
    expect(wronglyAnswered(result).map((s) => [s.request, s.answer])).toEqual([['PE_SYMBOLS_REQUEST', 'PE_SYMBOLS_RESPONSE']]);
    expect(step(result, 'PE_SYMBOLS_REQUEST', 2).note).toContain('stale data');
  });

  it('PE_FINISHED answered with UNEXPECTED_COMMAND: a refusal of an allowed step is flagged; error correction is not run', async () => {
    const result = await probeWrong((request) =>
      request === 'PE_FINISHED' ? { answer: 'UNEXPECTED_COMMAND', content: { code: 165, error_message: 'not now' } } : undefined,
    );
    expect(wronglyAnswered(result).map((s) => [s.request, s.answer])).toEqual([['PE_FINISHED', 'UNEXPECTED_COMMAND']]);
    expect(step(result, 'PE_FINISHED').note).toContain('not now');
    for (const name of ['EC_INITIALIZATION', 'EC_BLOCK', 'EC_REMAINING', 'EC_VERIFICATION', 'PA_REQUEST', 'FRAME_ENDED']) {
      expect(step(result, name)).toMatchObject({ answer: '(not run)', allowed: false });
    }
    expect(step(result, 'DISCONNECTION')).toMatchObject({ answer: 'DISCONNECTION_ACK', allowed: true });
    expect(wrong!.received).not.toContain('EC_INITIALIZATION');
    expect(wrong!.received.at(-1)).toBe('DISCONNECTION');
  });

  it('symbols for an out-of-bound index: PE_SYMBOLS_RESPONSE is flagged, every other step still allowed', async () => {
    const result = await probeWrong((request, content) =>
      request === 'PE_SYMBOLS_REQUEST' && (content?.indices as number[])[0]! >= FRAME_SIZE
        ? { answer: 'PE_SYMBOLS_RESPONSE', content: { symbols_real: [0], symbols_imag: [0] } }
        : undefined,
    );
    expect(notAllowed(result)).toEqual([step(result, 'PE_SYMBOLS_REQUEST', 1)]);
    expect(step(result, 'PE_SYMBOLS_REQUEST', 1)).toMatchObject({ answer: 'PE_SYMBOLS_RESPONSE', allowed: false });
    expect(step(result, 'PE_SYMBOLS_REQUEST', 1).note).toContain('expected PE_SYMBOLS_ERROR');
    expect(step(result, 'FRAME_ENDED')).toMatchObject({ answer: 'FRAME_ENDED_ACK', allowed: true });
    expect(wrong!.received.at(-1)).toBe('DISCONNECTION');
  });

  it('AUTHENTICATION_INVALID: flagged, Bob identifies again and the frame goes on', async () => {
    const result = await probeWrong((request) => (request === 'EC_BLOCK' ? { answer: 'AUTHENTICATION_INVALID' } : undefined));
    expect(notAllowed(result).map((s) => [s.request, s.answer])).toEqual([['EC_BLOCK', 'AUTHENTICATION_INVALID']]);
    const i = result.steps.indexOf(step(result, 'EC_BLOCK'));
    expect(result.steps[i + 1]).toMatchObject({ request: 'IDENTIFICATION_REQUEST', answer: 'IDENTIFICATION_RESPONSE', allowed: true });
    expect(result.steps[i + 1]!.note).toContain('re-identification after AUTHENTICATION_INVALID');
    expect(step(result, 'EC_REMAINING')).toMatchObject({ answer: 'EC_REMAINING_ACK', allowed: true });
    expect(step(result, 'FRAME_ENDED')).toMatchObject({ answer: 'FRAME_ENDED_ACK', allowed: true });
  });

  it('ABORT: the answer is ABORT, with Alice\'s message', async () => {
    const result = await probeWrong((request) =>
      request === 'EC_INITIALIZATION' ? { answer: 'ABORT', content: { abort_message: 'Physical tempering.' } } : undefined,
    );
    expect(step(result, 'EC_INITIALIZATION')).toMatchObject({ answer: 'ABORT', allowed: false });
    expect(step(result, 'EC_INITIALIZATION').note).toContain('Physical tempering.');
    expect(step(result, 'EC_BLOCK')).toMatchObject({ answer: '(not run)', allowed: false });
    expect(wrong!.received.at(-1)).toBe('DISCONNECTION');
  });

  it('an Alice that closes the connection instead of DISCONNECTION_ACK: flagged, and the probe ends', async () => {
    const result = await probeWrong((request) => (request === 'DISCONNECTION' ? 'close' : undefined));
    expect(notAllowed(result).map((s) => [s.request, s.answer])).toEqual([['DISCONNECTION', '(connection lost)']]);
  });
});
