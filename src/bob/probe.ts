/**
 * A conformance check of any QOSST Alice: one request per step, in the
 * order of a frame, each judged against the answers the specification
 * allows at that point. The allowed answers are read from Bob's statechart
 * (the `meta.answers` of the state that sent the request), itself built
 * from the phase definitions in `machines/`: nothing is copied here.
 *
 * The probe goes on after a failure wherever the session allows
 * (identifying again after an authentication loss); a step that cannot be
 * sent in order is recorded as not run; it always ends with DISCONNECTION.
 */
import { randomUUID } from 'node:crypto';
import type { MessageName } from '../protocol/codes.ts';
import { keyHash } from '../sim/key-bits.ts';
import {
  AuthenticationError,
  FrameAbortedError,
  InvalidResponseError,
  OutOfOrderError,
  RefusedError,
  VersionError,
} from './errors.ts';
import { BobSession, type Answer, type ConnectOptions, type SessionEvents } from './session.ts';

export interface ProbeStep {
  /** The request sent (a message name, or `code 1000` for the unknown code). */
  request: string;
  /** Alice's answer: a message name, or `(not run)`, `(no answer)`, `(connection lost)`... */
  answer: string;
  /** The answer is one the specification allows for that request at that point. */
  allowed: boolean;
  note: string;
}

export interface ProbeResult {
  /** Every step was allowed. */
  ok: boolean;
  steps: ProbeStep[];
}

export interface ProbeOptions {
  /**
   * Bob's key hash for the probe's frame (the symbols at `revealed` are not
   * part of the key; `qieRound` counts the QIEs before the last one). When Alice fails the specification's example hash,
   * EC_VERIFICATION is sent again with this one, so that privacy
   * amplification and the end of frame can be checked too.
   */
  keyHash?: (frame: { frameUuid: string; revealed: readonly number[]; qieRound: number }) => bigint;
}

/** The contents the probe sends: the specification's examples. */
export const PROBE_CONTENTS = {
  symbols: { indices: [0, 1] },
  symbolsOutOfBound: { indices: [10 ** 9] },
  estimation: { n_photon: 1.54, transmittance: 0.5, excess_noise: 0.1, electronic_noise: 0.05, eta: 0.8, key_rate: 200 },
  ecInitialization: { matrix: [[1, 1], [1, 1]], noise: 0.1 },
  ecBlock: { syndrome: [1.87, 5.67] },
  ecRemaining: { some_parameter: 1 },
  ecVerification: { hash: 385789897481570657n },
  pa: { seed: [1, 0, 1, 1, 0] as (0 | 1)[], secret_key_length: 2000, subblock_length: 5, feedback_polynomial: [1, 1, 1, 0, 0] as (0 | 1)[] },
  unknownCode: 1000,
} as const;

/**
 * The key hash of the simulated backends after the example's EC blocks: their
 * syndromes are not key bits (src/sim/alice-sim.ts, ecBlock), so the
 * reconciled key is empty.
 */
export const simulatedKeyHash: NonNullable<ProbeOptions['keyHash']> = () => keyHash(new Uint8Array());

type Meta = { request?: string; answers?: string[] } | undefined;
type NodeLike = { meta?: unknown; states: Record<string, NodeLike> };

/** Every answer Bob's statechart allows for a request, in any state (for notes on steps not run). */
function machineAnswers(session: BobSession, name: string): string[] {
  const out = new Set<string>();
  const walk = (node: NodeLike) => {
    const meta = node.meta as Meta;
    if (meta?.request === name) for (const a of meta.answers ?? []) out.add(a);
    for (const child of Object.values(node.states)) walk(child);
  };
  walk(session.actor.logic.root as unknown as NodeLike);
  return [...out];
}

/**
 * The answers allowed for the request about to be sent, read from the
 * state Bob's statechart enters when it sends it.
 */
function captureAnswers(session: BobSession, name: string): () => string[] {
  let captured: string[] | null = null;
  const subscription = session.actor.subscribe((snapshot) => {
    if (captured) return;
    for (const meta of Object.values(snapshot.getMeta()) as Meta[]) {
      if (meta?.request === name && meta.answers) captured = meta.answers;
    }
  });
  return () => {
    subscription.unsubscribe();
    return captured ?? machineAnswers(session, name);
  };
}

interface Expectation {
  /** The answer that keeps the probe on the path of a frame. */
  progress: MessageName;
  /** Only `progress` is right here (e.g. symbols at valid indices), though the state allows others. */
  only?: boolean;
  /** What the step checks, for the note. */
  what?: string;
  /** A further check of an allowed answer; returns what is wrong. */
  check?: (answer: Answer) => string | null;
}

const messageOf = (content: Record<string, unknown> | null): string | undefined => {
  const m = content?.error_message ?? content?.deny_message ?? content?.abort_message;
  return m === undefined ? undefined : String(m);
};

const join = (...parts: (string | undefined | null | false)[]) => parts.filter(Boolean).join('; ');

class Prober {
  readonly steps: ProbeStep[] = [];
  /** Names of the messages received during the current step. */
  private inbound: string[] = [];
  /** The last step that left the path of a frame, and whether Alice's answer there was allowed. */
  private detour: ProbeStep | null = null;
  private readonly listener = (event: SessionEvents['message'][0]) => {
    if (event.direction === 'in') this.inbound.push(event.name);
  };

  constructor(private readonly session: BobSession) {
    session.on('message', this.listener);
  }

  private record(step: ProbeStep, onPath: boolean): ProbeStep {
    this.steps.push(step);
    if (!onPath) this.detour = step;
    return step;
  }

  /** A step that cannot be sent now: out of order after an earlier answer. */
  skip(request: string): void {
    const expected = machineAnswers(this.session, request).join(' or ');
    const d = this.detour;
    if (d?.allowed) {
      this.record(
        {
          request,
          answer: '(not run)',
          allowed: true,
          note: `not run: ${request} cannot follow ${d.answer} to ${d.request}, an answer the specification allows (nothing to check; expected ${expected})`,
        },
        true,
      );
    } else {
      const after = d ? `${d.request} answered ${d.answer}` : 'an earlier step';
      this.record(
        { request, answer: '(not run)', allowed: false, note: `not run: out of order after ${after} (Bob's state ${this.session.state}; expected ${expected})` },
        true,
      );
    }
  }

  async identify(why?: string): Promise<boolean> {
    const name = 'IDENTIFICATION_REQUEST';
    this.inbound = [];
    const allowedAnswers = captureAnswers(this.session, name);
    const firstVersion = this.session.qosstVersion;
    try {
      const answer = await this.session.identify();
      const answers = allowedAnswers();
      const negotiated = this.inbound.includes('INVALID_QOSST_VERSION');
      const version = negotiated
        ? `version ${this.session.qosstVersion}, negotiated: Alice answered INVALID_QOSST_VERSION to ${firstVersion}`
        : `version ${this.session.qosstVersion}`;
      const allowed = answers.includes(answer.name);
      this.record(
        { request: name, answer: answer.name, allowed, note: join(why, version, `Alice's serial number ${String(answer.content?.serial_number)}`) },
        allowed,
      );
      return allowed;
    } catch (error) {
      const answers = allowedAnswers();
      if (error instanceof VersionError) {
        this.record({ request: name, answer: 'INVALID_QOSST_VERSION', allowed: false, note: join(why, `no common version: ${error.message}`) }, false);
      } else {
        this.failed(name, error, answers, why);
      }
      return false;
    }
  }

  /** Sends one request if the session allows it now, and judges the answer. */
  async request(name: MessageName, content: object | null, expect: Expectation): Promise<Answer | null> {
    if (!this.session.can(name, content)) {
      this.skip(name);
      return null;
    }
    this.inbound = [];
    const allowedAnswers = captureAnswers(this.session, name);
    let answer: Answer;
    try {
      answer = await this.session.call(name, content, false);
    } catch (error) {
      this.failed(name, error, allowedAnswers(), expect.what);
      return null;
    }
    const answers = allowedAnswers();
    let allowed = answers.includes(answer.name);
    const notes: (string | undefined)[] = [expect.what];
    if (!allowed) notes.push(`the specification allows ${answers.join(' or ')} here`);
    if (allowed && expect.only && answer.name !== expect.progress) {
      allowed = false;
      notes.push(`expected ${expect.progress} here`);
    }
    const problem = allowed ? expect.check?.(answer) : null;
    if (problem) {
      allowed = false;
      notes.push(problem);
    }
    const message = messageOf(answer.content);
    if (message !== undefined) notes.push(`"${message}"`);
    if (allowed && answer.name !== expect.progress) notes.push(`allowed, but the frame cannot go on from this answer`);
    this.record({ request: name, answer: answer.name, allowed, note: join(...notes) }, allowed && answer.name === expect.progress);
    return answer;
  }

  /** A step that ended with an error of the driver: never an allowed answer. */
  private failed(name: MessageName, error: unknown, answers: readonly string[], what?: string): void {
    const allowedText = `the specification allows ${answers.join(' or ')} here`;
    const step: ProbeStep = { request: name, answer: '(error)', allowed: false, note: '' };
    if (error instanceof RefusedError) {
      step.answer = error.answer;
      step.note = join(what, `refused${error.detail ? `: "${error.detail}"` : ''}`, allowedText);
    } else if (error instanceof InvalidResponseError) {
      step.answer = this.inbound[0] ?? '(unreadable answer)';
      step.note = join(what, `not an allowed answer (${error.message}); INVALID_RESPONSE sent`, allowedText);
    } else if (error instanceof FrameAbortedError) {
      step.answer = error.byAlice ? 'ABORT' : '(connection lost)';
      step.note = join(what, error.message);
    } else if (error instanceof AuthenticationError) {
      step.answer = this.inbound[0] ?? '(unverified answer)';
      step.note = join(what, `${error.message}: Bob identifies again`);
    } else if (error instanceof OutOfOrderError) {
      this.skip(name);
      return;
    } else {
      step.note = join(what, `${(error as Error)?.name ?? 'Error'}: ${(error as Error)?.message ?? String(error)}`);
    }
    this.record(step, false);
  }

  /** Identifies again if the last step lost the authentication. */
  async recover(): Promise<void> {
    const last = this.steps.at(-1);
    if (last && !this.session.identified && last.request !== 'IDENTIFICATION_REQUEST' && this.session.can('IDENTIFICATION_REQUEST')) {
      await this.identify(`re-identification after ${last.answer} to ${last.request}`);
    }
  }

  /** A code outside the specification: UNKOWN_COMMAND, with `{"code": ...}` or no content (wire notes 16). */
  async unknownCode(code: number): Promise<void> {
    const request = `code ${code}`;
    const expected = 'UNKOWN_COMMAND';
    let inbound;
    try {
      inbound = await this.session.raw(code, null);
    } catch (error) {
      this.record({ request, answer: '(not run)', allowed: false, note: `not sent: ${(error as Error).message}` }, false);
      return;
    }
    if (inbound === null) {
      this.record({ request, answer: '(no answer)', allowed: false, note: `no answer in time; expected ${expected}` }, false);
      return;
    }
    if (inbound.kind !== 'message') {
      const answer = inbound.kind === 'unknown-code' ? `code ${inbound.code}` : inbound.kind === 'fatal' ? '(unreadable frame)' : `(${inbound.kind})`;
      const reason = 'reason' in inbound ? inbound.reason : undefined;
      this.record({ request, answer, allowed: false, note: join(reason, `expected ${expected}`) }, false);
      if (inbound.kind === 'authentication-failure') await this.identify(`re-identification after an unverified answer to ${request}`);
      return;
    }
    const { name, content } = inbound.message;
    const body = content as Record<string, unknown> | null;
    if (name !== expected) {
      this.record({ request, answer: name, allowed: false, note: join(messageOf(body) && `"${messageOf(body)}"`, `expected ${expected}`) }, false);
      if (name === 'AUTHENTICATION_INVALID') await this.identify(`re-identification after AUTHENTICATION_INVALID to ${request}`);
      return;
    }
    if (body === null) {
      this.record({ request, answer: name, allowed: true, note: 'no content, as the deployed Alice (wire notes 16)' }, true);
    } else if (body.code === code) {
      this.record({ request, answer: name, allowed: true, note: `content {"code": ${code}}, as the specification asks` }, true);
    } else {
      this.record({ request, answer: name, allowed: false, note: `content names code ${String(body.code)}, not ${code}` }, false);
    }
  }

  /** DISCONNECTION, always: the session closes the socket even if it cannot be sent. */
  async disconnect(): Promise<void> {
    const name = 'DISCONNECTION';
    const canSend = this.session.can(name);
    this.inbound = [];
    const allowedAnswers = captureAnswers(this.session, name);
    let failure: unknown = null;
    try {
      await this.session.disconnect();
    } catch (error) {
      failure = error;
    } finally {
      this.session.off('message', this.listener);
    }
    const answers = allowedAnswers();
    if (!canSend) {
      this.record({ request: name, answer: '(not run)', allowed: false, note: `DISCONNECTION cannot be sent now (Bob's state ${this.session.state}); socket closed` }, false);
    } else if (failure !== null) {
      this.failed(name, failure, answers);
    } else if (this.inbound[0] === undefined) {
      this.record({ request: name, answer: '(no answer)', allowed: false, note: `the connection was closed before ${answers.join(' or ')}` }, false);
    } else {
      const answer = this.inbound[0];
      const allowed = answers.includes(answer);
      this.record({ request: name, answer, allowed, note: allowed ? 'socket closed' : `the specification allows ${answers.join(' or ')} here` }, allowed);
    }
  }
}

/**
 * Probes an Alice: `target` is a connected session (the probe identifies
 * it again and disconnects it at the end) or the options to connect one.
 */
export async function probe(target: BobSession | ConnectOptions, options: ProbeOptions = {}): Promise<ProbeResult> {
  const session = target instanceof BobSession ? target : await BobSession.connect(target);
  const p = new Prober(session);
  const c = PROBE_CONTENTS;
  try {
    await p.identify();
    const frameUuid = randomUUID();
    await p.request('INITIALIZATION_REQUEST', { frame_uuid: frameUuid }, { progress: 'INITIALIZATION_ACCEPTED', what: 'only frame_uuid' });
    await p.recover();
    await p.request('REQUEST_POLARISATION_RECOVERY', null, { progress: 'POLARISATION_RECOVERY_ACK' });
    await p.recover();
    await p.request('END_POLARISATION_RECOVERY', null, { progress: 'POLARISATION_RECOVERY_ENDED' });
    await p.recover();
    await p.request('QIE_REQUEST', { frame_uuid: frameUuid }, { progress: 'QIE_READY', what: 'naming the frame' });
    await p.recover();
    await p.request('QIE_TRIGGER', null, { progress: 'QIE_EMISSION_STARTED' });
    await p.recover();
    await p.request('QIE_ACQUISITION_ENDED', null, { progress: 'QIE_ENDED' });
    await p.recover();

    let revealed: number[] = [];
    const symbolCount = (a: Answer) => {
      const real = a.content?.symbols_real as unknown[] | undefined;
      return real?.length === c.symbols.indices.length ? null : `${real?.length ?? 0} symbols for ${c.symbols.indices.length} indices`;
    };
    const symbols = await p.request('PE_SYMBOLS_REQUEST', c.symbols, { progress: 'PE_SYMBOLS_RESPONSE', only: true, what: 'valid indices [0, 1]', check: symbolCount });
    if (symbols?.name === 'PE_SYMBOLS_RESPONSE') revealed.push(...c.symbols.indices);
    await p.recover();
    await p.request('PE_SYMBOLS_REQUEST', c.symbolsOutOfBound, { progress: 'PE_SYMBOLS_ERROR', only: true, what: 'index 1000000000, out of bound' });
    await p.recover();
    const photons = await p.request('PE_NPHOTON_REQUEST', null, { progress: 'PE_NPHOTON_RESPONSE' });
    if (photons) p.steps.at(-1)!.note = join(p.steps.at(-1)!.note, `n_photon ${String(photons.content?.n_photon)}`);
    await p.recover();

    // Wire notes 19: the deployed lab tools repeat the QIE inside a frame and rely on fresh symbols.
    let qieRound = 0;
    const again = await p.request('QIE_REQUEST', { frame_uuid: frameUuid }, { progress: 'QIE_READY', what: 'again, same frame (wire notes 19)' });
    await p.recover();
    let repeated: Answer | null = null;
    if (again?.name === 'QIE_READY') {
      await p.request('QIE_TRIGGER', null, { progress: 'QIE_EMISSION_STARTED' });
      await p.recover();
      repeated = await p.request('QIE_ACQUISITION_ENDED', null, { progress: 'QIE_ENDED' });
      await p.recover();
    } else {
      // Not the first QIE's steps, even where Bob's state would let them be sent.
      p.skip('QIE_TRIGGER');
      p.skip('QIE_ACQUISITION_ENDED');
    }
    const stale = JSON.stringify(symbols?.content?.symbols_real ?? null);
    const fresh = await p.request('PE_SYMBOLS_REQUEST', c.symbols, {
      progress: 'PE_SYMBOLS_RESPONSE',
      only: true,
      what: 'indices [0, 1] after the repeated QIE',
      check: (a) => symbolCount(a) ?? (JSON.stringify(a.content?.symbols_real) === stale ? 'the same symbols as before the repeated QIE: stale data' : null),
    });
    if (repeated?.name === 'QIE_ENDED') {
      qieRound = 1;
      revealed = fresh?.name === 'PE_SYMBOLS_RESPONSE' ? [...c.symbols.indices] : [];
    }
    await p.recover();
    await p.request('PE_FINISHED', c.estimation, { progress: 'PE_APPROVED', what: `key_rate ${c.estimation.key_rate} > 0` });
    await p.recover();

    await p.request('EC_INITIALIZATION', c.ecInitialization, { progress: 'EC_READY' });
    await p.recover();
    await p.request('EC_BLOCK', c.ecBlock, { progress: 'EC_BLOCK_ACK' });
    await p.recover();
    await p.request('EC_REMAINING', c.ecRemaining, { progress: 'EC_REMAINING_ACK' });
    await p.recover();
    const verification = await p.request('EC_VERIFICATION', c.ecVerification, {
      progress: 'EC_VERIFICATION_SUCCESS',
      what: `the specification's example hash ${c.ecVerification.hash}`,
    });
    await p.recover();
    if (verification?.name === 'EC_VERIFICATION_FAIL' && options.keyHash) {
      const hash = options.keyHash({ frameUuid, revealed, qieRound });
      await p.request('EC_VERIFICATION', { hash }, { progress: 'EC_VERIFICATION_SUCCESS', what: `Bob's key hash ${hash}` });
      await p.recover();
    }

    await p.request('PA_REQUEST', c.pa, { progress: 'PA_SUCCESS' });
    await p.recover();
    await p.request('FRAME_ENDED', { frame_uuid: session.frameUuid ?? frameUuid }, {
      progress: 'FRAME_ENDED_ACK',
      check: (a) => {
        const echoed = String(a.content?.frame_uuid ?? '');
        return echoed.toLowerCase() === frameUuid.toLowerCase() ? null : `FRAME_ENDED_ACK names frame ${echoed}, not ${frameUuid}`;
      },
    });
    await p.recover();
    await p.unknownCode(c.unknownCode);
  } catch (error) {
    // Not a step's error (those are recorded): note it and still disconnect.
    p.steps.push({ request: '(probe)', answer: '(error)', allowed: false, note: `${(error as Error)?.message ?? String(error)}` });
  } finally {
    await p.disconnect();
  }
  return { ok: p.steps.every((s) => s.allowed), steps: p.steps };
}

/** The steps as a table: request, answer, allowed (yes/no), note. */
export function formatProbe(result: ProbeResult): string {
  const header = { request: 'request', answer: 'answer', allowed: 'allowed', note: 'note' };
  const rows = result.steps.map((s) => ({ request: s.request, answer: s.answer, allowed: s.allowed ? 'yes' : 'NO', note: s.note }));
  const width = (key: 'request' | 'answer' | 'allowed') => Math.max(...[header, ...rows].map((r) => r[key].length));
  const [w1, w2, w3] = [width('request'), width('answer'), width('allowed')];
  const line = (r: typeof header) => `${r.request.padEnd(w1)}  ${r.answer.padEnd(w2)}  ${r.allowed.padEnd(w3)}  ${r.note}`.trimEnd();
  const failed = result.steps.filter((s) => !s.allowed).length;
  return [
    line(header),
    line({ request: '-'.repeat(w1), answer: '-'.repeat(w2), allowed: '-'.repeat(w3), note: '----' }),
    ...rows.map(line),
    '',
    result.ok ? `ok: every one of the ${result.steps.length} steps was allowed` : `NOT ok: ${failed} of ${result.steps.length} steps not allowed`,
  ].join('\n');
}
