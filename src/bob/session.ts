/**
 * The embeddable Bob driver: one typed method per protocol step, each sent
 * only when Bob's statechart allows it, each resolved with an answer the
 * specification allows or rejected with a typed error. It identifies again
 * and retries once after an authentication loss, retries identification
 * once with a version Alice names, and reconnects after a lost connection.
 */
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { createActor, type Actor, type InspectionEvent, type Observer } from 'xstate';
import type { BobMachine, OutcomeEvent, SendEvent } from '../../machines/bob.ts';
import { bobSessionMachine } from '../../machines/bob-session.ts';
import type { Authenticator } from '../protocol/auth/authenticator.ts';
import { noneAuthenticator } from '../protocol/auth/none.ts';
import type { Inbound } from '../protocol/channel.ts';
import { CODES, describeCode, type MessageName } from '../protocol/codes.ts';
import type { HeaderOrder } from '../protocol/frame.ts';
import { QOSST_VERSIONS } from '../protocol/versions.ts';
import type { JsonObject } from '../protocol/json.ts';
import { validateContent, type ContentOf } from '../protocol/schemas.ts';
import {
  AuthenticationError,
  ConnectionError,
  FrameAbortedError,
  InvalidRequestError,
  InvalidResponseError,
  OutOfOrderError,
  RefusedError,
  VersionError,
} from './errors.ts';
import { Link, type LinkOptions } from './link.ts';

export interface ConnectOptions {
  host?: string;
  port?: number;
  auth?: Authenticator;
  serialNumber?: string;
  /** Compatible protocol versions, the one to try first first (wire notes 11). */
  versions?: readonly string[];
  headerOrder?: HeaderOrder;
  maxContentLength?: number;
  /** How long to wait for an answer before the connection is declared lost. */
  answerTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Reconnection after a lost connection: attempts, first delay, doubling up to the maximum. */
  reconnect?: { attempts: number; initialDelayMs: number; maxDelayMs: number };
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
}

export interface Answer<N extends MessageName = MessageName> {
  name: N;
  content: Record<string, unknown> | null;
}


/** What the session tells listeners: every message in and out, and connection changes. */
export interface SessionEvents {
  message: [{ direction: 'in' | 'out'; name: string; code: number; phase: string }];
  connection: [{ state: 'lost' | 'restored' | 'closed'; reason?: string }];
}

type Settled = { outcome: OutcomeEvent } | { lost: string };

export class BobSession extends EventEmitter<SessionEvents> {
  readonly actor: Actor<BobMachine>;
  private link: Link | null = null;
  private pending: ((settled: Settled) => void) | null = null;
  private version: string;
  private reconnecting: Promise<void> | null = null;
  private closing = false;
  private readonly options: Required<Omit<ConnectOptions, 'inspect' | 'auth'>> & { auth: Authenticator };

  private constructor(options: ConnectOptions) {
    super();
    this.options = {
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 8181,
      auth: options.auth ?? noneAuthenticator,
      serialNumber: options.serialNumber ?? 'QOSST/0002',
      versions: options.versions ?? QOSST_VERSIONS,
      headerOrder: options.headerOrder ?? 'deployed',
      maxContentLength: options.maxContentLength ?? 64 * 1024 * 1024,
      answerTimeoutMs: options.answerTimeoutMs ?? 60_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
      reconnect: options.reconnect ?? { attempts: 5, initialDelayMs: 100, maxDelayMs: 5_000 },
    };
    this.version = this.options.versions[0]!;
    this.actor = createActor(bobSessionMachine, { id: 'bob', ...(options.inspect ? { inspect: options.inspect } : {}) });
    this.actor.on('send', (e) => this.write(e));
    this.actor.on('outcome', (e) => this.settle({ outcome: e }));
    this.actor.start();
  }

  /** Connects to Alice (no message is sent yet: call `identify()` first, or `runFrame`). */
  static async connect(options: ConnectOptions = {}): Promise<BobSession> {
    const session = new BobSession(options);
    await session.openLink();
    return session;
  }

  /** The state of Bob's statechart, as a readable path. */
  get state(): string {
    return JSON.stringify(this.actor.getSnapshot().value);
  }

  get identified(): boolean {
    return this.actor.getSnapshot().context.identified;
  }

  get frameUuid(): string | null {
    return this.actor.getSnapshot().context.frameUuid;
  }

  /** The protocol version in use (after a possible negotiation). */
  get qosstVersion(): string {
    return this.version;
  }

  /** Whether a request may be sent now, by Bob's statechart. */
  can(name: MessageName, content: object | null = null): boolean {
    return this.actor.getSnapshot().can({ type: `request.${name}`, content: content as Record<string, unknown> | null });
  }

  // One method per step.

  async identify(): Promise<Answer<'IDENTIFICATION_RESPONSE'>> {
    const request = () => this.call('IDENTIFICATION_REQUEST', { serial_number: this.options.serialNumber, qosst_version: this.version }, false);
    let answer = await request();
    if (answer.name === 'INVALID_QOSST_VERSION') {
      const named = String(answer.content?.qosst_version);
      if (named === this.version || !this.options.versions.includes(named)) {
        throw new VersionError(`Alice speaks ${named}; we speak ${this.options.versions.join(', ')}`);
      }
      this.version = named;
      answer = await request();
      if (answer.name === 'INVALID_QOSST_VERSION') throw new VersionError(`Alice refused ${named}, the version she named`);
    }
    return answer as Answer<'IDENTIFICATION_RESPONSE'>;
  }

  initialize(parameters: NonNullable<ContentOf<'INITIALIZATION_REQUEST'>>) {
    return this.call('INITIALIZATION_REQUEST', parameters) as Promise<Answer<'INITIALIZATION_ACCEPTED' | 'INITIALIZATION_DENIED' | 'INITIALIZATION_PROPOSAL'>>;
  }

  requestConfig() {
    return this.call('INITIALIZATION_REQUEST_CONFIG', null) as Promise<Answer<'INITIALIZATION_CONFIG'>>;
  }

  /** Polarisation recovery: Alice's classical signal is on while `recover` runs. */
  async polarisationRecovery(recover: () => Promise<void>): Promise<Answer<'POLARISATION_RECOVERY_ENDED'>> {
    await this.call('REQUEST_POLARISATION_RECOVERY', null);
    await this.guarded(recover);
    return this.call('END_POLARISATION_RECOVERY', null) as Promise<Answer<'POLARISATION_RECOVERY_ENDED'>>;
  }

  /** Quantum information exchange: `acquire` runs between QIE_EMISSION_STARTED and QIE_ACQUISITION_ENDED. */
  async qie(acquire: () => Promise<void>, options: { withFrameUuid?: boolean } = {}): Promise<Answer<'QIE_ENDED'>> {
    // The deployed Bob sends no content (wire notes 12); naming the frame is our default.
    await this.call('QIE_REQUEST', options.withFrameUuid === false ? null : { frame_uuid: this.frameUuid! });
    await this.call('QIE_TRIGGER', null);
    await this.guarded(acquire);
    return this.call('QIE_ACQUISITION_ENDED', null) as Promise<Answer<'QIE_ENDED'>>;
  }

  symbols(indices: number[]) {
    return this.call('PE_SYMBOLS_REQUEST', { indices }) as Promise<Answer<'PE_SYMBOLS_RESPONSE' | 'PE_SYMBOLS_ERROR'>>;
  }

  photonNumber() {
    return this.call('PE_NPHOTON_REQUEST', null) as Promise<Answer<'PE_NPHOTON_RESPONSE'>>;
  }

  finishEstimation(estimation: NonNullable<ContentOf<'PE_FINISHED'>>) {
    return this.call('PE_FINISHED', estimation) as Promise<Answer<'PE_APPROVED' | 'PE_DENIED'>>;
  }

  ecInitialize(parameters: NonNullable<ContentOf<'EC_INITIALIZATION'>>) {
    return this.call('EC_INITIALIZATION', parameters) as Promise<Answer<'EC_READY' | 'EC_DENIED'>>;
  }

  /** A block's content, or a bare syndrome. */
  ecBlock(block: NonNullable<ContentOf<'EC_BLOCK'>> | number[]) {
    return this.call('EC_BLOCK', Array.isArray(block) ? { syndrome: block } : block) as Promise<Answer<'EC_BLOCK_ACK' | 'EC_BLOCK_ERROR'>>;
  }

  ecRemaining(parameters: JsonObject) {
    return this.call('EC_REMAINING', parameters) as Promise<Answer<'EC_REMAINING_ACK' | 'EC_REMAINING_ERROR'>>;
  }

  ecVerify(hash: bigint | number) {
    return this.call('EC_VERIFICATION', { hash }) as Promise<Answer<'EC_VERIFICATION_SUCCESS' | 'EC_VERIFICATION_FAIL'>>;
  }

  privacyAmplification(parameters: NonNullable<ContentOf<'PA_REQUEST'>>) {
    return this.call('PA_REQUEST', parameters) as Promise<Answer<'PA_SUCCESS' | 'PA_ERROR'>>;
  }

  endFrame() {
    return this.call('FRAME_ENDED', { frame_uuid: this.frameUuid! }) as Promise<Answer<'FRAME_ENDED_ACK'>>;
  }

  changeParameter(parameter: string, value: unknown) {
    return this.call('CHANGE_PARAMETER_REQUEST', { parameter, value }) as Promise<
      Answer<'PARAMETER_CHANGED' | 'PARAMETER_UNKOWN' | 'PARAMETER_INVALID_VALUE' | 'PARAMETER_UNCHANGED'>
    >;
  }

  abort(message?: string) {
    return this.call('ABORT', message === undefined ? null : { abort_message: message }) as Promise<Answer<'ABORT_ACK'>>;
  }

  /** Ends the session: DISCONNECTION is always sent before the socket is closed. */
  async disconnect(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    try {
      if (this.reconnecting) await this.reconnecting.catch(() => undefined);
      if (this.link?.isOpen && this.can('DISCONNECTION')) await this.call('DISCONNECTION', null);
    } finally {
      this.link?.close();
      this.actor.stop();
      this.emit('connection', { state: 'closed' });
    }
  }

  /**
   * Sends any request the state allows and waits for its answer. After an
   * authentication loss it identifies again and retries once.
   */
  async call(name: MessageName, content: object | null, retryAfterAuthLoss = true): Promise<Answer> {
    if (this.reconnecting) await this.reconnecting;
    if (!this.can(name, content)) throw new OutOfOrderError(name, this.state);
    const valid = validateContent(name, content);
    if (!valid.ok) throw new InvalidRequestError(valid.error);
    const settled = await this.exchange(name, content);
    if ('lost' in settled) throw new FrameAbortedError(`connection lost during ${name}: ${settled.lost}`, false);
    const { outcome } = settled;
    const answer = { name: outcome.answer!, content: outcome.content };
    switch (outcome.kind) {
      case 'answered':
        return answer;
      case 'aborted':
        throw new FrameAbortedError(`Alice aborted the frame: ${String(outcome.content?.abort_message ?? 'no message')}`, true);
      case 'refused':
        throw new RefusedError(name, outcome.answer!, outcome.content?.error_message as string | undefined);
      case 'invalid-response':
        throw new InvalidResponseError(`${name}: ${this.actor.getSnapshot().context.invalid}`);
      case 'authentication-lost':
        if (!retryAfterAuthLoss || name === 'IDENTIFICATION_REQUEST') throw new AuthenticationError(`authentication lost during ${name}`);
        await this.identify();
        return this.call(name, content, false);
      case 'lost':
        throw new FrameAbortedError(`connection lost during ${name}`, false);
    }
  }

  /** Sends a code outside our statechart (for conformance probes): the raw answer, or null on timeout. */
  async raw(code: number, content: object | null): Promise<Inbound | null> {
    if (!this.link?.isOpen) throw new ConnectionError('not connected');
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.rawWaiter = null;
        resolve(null);
      }, this.options.answerTimeoutMs);
      this.rawWaiter = (inbound) => {
        clearTimeout(timer);
        this.rawWaiter = null;
        resolve(inbound);
      };
      this.link!.send(code, content);
      this.emit('message', { direction: 'out', name: describeCode(code), code, phase: 'raw' });
    });
  }

  private rawWaiter: ((inbound: Inbound) => void) | null = null;

  private exchange(name: MessageName, content: object | null): Promise<Settled> {
    return new Promise<Settled>((resolve) => {
      const timer = setTimeout(() => {
        this.settle({ lost: `no answer within ${this.options.answerTimeoutMs} ms` });
        this.link?.close();
      }, this.options.answerTimeoutMs);
      this.pending = (settled) => {
        clearTimeout(timer);
        resolve(settled);
      };
      this.actor.send({ type: `request.${name}`, content: content as Record<string, unknown> | null });
    });
  }

  private settle(settled: Settled): void {
    const pending = this.pending;
    this.pending = null;
    pending?.(settled);
  }

  private write({ name, content }: SendEvent): void {
    const code = CODES[name].code;
    if (!this.link?.isOpen) {
      queueMicrotask(() => this.lost('not connected'));
      return;
    }
    this.link.send(code, content);
    this.emit('message', { direction: 'out', name, code, phase: CODES[name].phase });
  }

  private receive(inbound: Inbound): void {
    if (this.rawWaiter) return this.rawWaiter(inbound);
    switch (inbound.kind) {
      case 'message': {
        const { name, code, content } = inbound.message;
        this.emit('message', { direction: 'in', name, code, phase: CODES[name].phase });
        const valid = validateContent(name, content);
        const reason = valid.ok ? undefined : `malformed ${valid.error}`;
        this.actor.send({ type: valid.ok ? `answer.${name}` : 'answer.malformed', name, content: content as Record<string, unknown> | null, reason });
        return;
      }
      case 'authentication-failure':
        this.actor.send({ type: 'link.authentication-failure', reason: inbound.reason });
        return;
      case 'unknown-code':
      case 'invalid-frame': {
        const reason = inbound.kind === 'unknown-code' ? `code ${inbound.code} is not a QOSST code` : inbound.reason;
        this.actor.send({ type: 'answer.malformed', name: 'UNKOWN_COMMAND', content: null, reason });
        return;
      }
      case 'fatal':
        this.link?.close();
    }
  }

  private async openLink(): Promise<void> {
    const options: LinkOptions = {
      host: this.options.host,
      port: this.options.port,
      auth: this.options.auth,
      frame: { headerOrder: this.options.headerOrder, maxContentLength: this.options.maxContentLength },
      connectTimeoutMs: this.options.connectTimeoutMs,
    };
    this.link = await Link.connect(options, (i) => this.receive(i), () => this.lost('connection closed'));
  }

  private async guarded(work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      if (this.can('ABORT')) await this.abort(`Bob: ${(error as Error).message}`).catch(() => undefined);
      throw error;
    }
  }

  /** The connection is gone: the frame is over; reconnect with backoff and identify again. */
  private lost(reason: string): void {
    this.settle({ lost: reason });
    if (this.closing || this.reconnecting) return;
    if (this.actor.getSnapshot().status === 'active') this.actor.send({ type: 'link.lost' });
    this.emit('connection', { state: 'lost', reason });
    this.reconnecting = this.restore(reason).finally(() => {
      this.reconnecting = null;
    });
    this.reconnecting.catch(() => undefined);
  }

  private async restore(reason: string): Promise<void> {
    const { attempts, initialDelayMs, maxDelayMs } = this.options.reconnect;
    let delay = initialDelayMs;
    for (let attempt = 1; attempt <= attempts && !this.closing; attempt++) {
      await sleep(delay);
      delay = Math.min(delay * 2, maxDelayMs);
      try {
        await this.openLink();
      } catch {
        continue;
      }
      this.reconnecting = null;
      await this.identify();
      this.emit('connection', { state: 'restored' });
      return;
    }
    throw new ConnectionError(`connection lost (${reason}) and not restored after ${attempts} attempts`);
  }
}

export const connect = (options: ConnectOptions = {}) => BobSession.connect(options);
