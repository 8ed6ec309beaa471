/**
 * One client connection: bytes -> decode -> authenticate -> challenge ->
 * validate content -> session machine -> answers -> bytes. It holds no
 * protocol logic beyond mapping the low layers' error values to answers.
 * Requests are handled one at a time, in order: the next is not read
 * before the current one is answered. A large content is read, and a large
 * answer written, by the worker pool; the connection waits for it as for
 * any answer, so the order holds.
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { createActor, type Actor, type InspectionEvent, type Observer, type StateValue } from 'xstate';
import type { AliceMachine, AnswerEvent } from '../../machines/alice.ts';
import type { Authenticator } from '../protocol/auth/authenticator.ts';
import { Channel } from '../protocol/channel.ts';
import { CODES, codeName, describeCode, type MessageName } from '../protocol/codes.ts';
import { FrameDecoder, type FrameOptions, type RawFrame } from '../protocol/frame.ts';
import type { Inbound } from '../protocol/channel.ts';
import { validateContent } from '../protocol/schemas.ts';
import type { AliceSessionBackend } from './backend.ts';
import type { EffectsContext } from './effects.ts';
import type { BudgetMember, BufferBudget } from './buffer-budget.ts';
import { boundAnswer, cut } from './echo.ts';
import type { EmitterLock } from './emitter-lock.ts';
import type { FailureVerdict } from './suspects.ts';
import type { Outbox, OutboxMember } from './outbox.ts';
import { packContent, type DecodedContent } from './offload-tasks.ts';
import { PoolBusyError, PoolClosedError, type WorkerPool } from './worker-pool.ts';
import { lineLogger } from '../log.ts';

export interface ConnectionSettings {
  auth: Authenticator;
  frame: FrameOptions;
  serialNumber: string;
  versions: readonly string[];
  emitterWaitMs: number;
  limits: ConnectionLimits;
  /** Reads large contents and writes large answers off the event loop. */
  pool: WorkerPool;
}

/** Per-connection bounds (README, "Limits"); each is logged when it fires. */
export interface ConnectionLimits {
  /** Content limit until the client is identified (`frame.maxContentLength` afterwards). */
  maxContentLengthUnidentified: number;
  /** Bytes of decoded frames waiting behind the request being answered before the socket is paused. */
  readAheadBytes: number;
  frameTimeoutMs: number;
  identifyTimeoutMs: number;
  /** 0: none. */
  idleTimeoutMs: number;
  /** A session holding the emitter must send its next request within this time. */
  emitterProgressMs: number;
  /** Largest answer content (PE_SYMBOLS_RESPONSE is refused beyond it). */
  maxAnswerLength: number;
}

export interface MessageEvent {
  session: string;
  direction: 'in' | 'out';
  name: string;
  code: number;
  phase: string;
  time: number;
}

/** Who watches the sessions (the review page); absent when nobody does, so that it costs nothing. */
export interface SessionObserver {
  opened(session: string, peer: string): void;
  message(event: MessageEvent): void;
  state(session: string, value: unknown): void;
  closed(session: string): void;
}

export interface ConnectionHooks {
  /** An authentication failure from this connection's address: counted across connections. */
  onAuthFailure(address: string): FailureVerdict;
  /** Every connection's buffered bytes share one budget. */
  budget: BufferBudget;
  /** Every connection's answers go out together at the end of the event-loop turn. */
  outbox: Outbox;
  onClosed(connection: AliceConnection): void;
  observer?: SessionObserver;
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
}

/** Frames read ahead while a request is being answered; beyond it (or beyond the byte bound) the socket is paused. */
const READ_AHEAD = 16;

/**
 * Contents above this many bytes are read (parsed, validated) by the worker
 * pool. Below it reading costs the event loop at most about 50 ms (a quiet
 * machine), and less than handing the bytes over and the value back: an
 * EC_BLOCK of 2^16 bits (about 1.5 MB) is read in place.
 */
export const READ_OFF_THREAD_BYTES = 2 * 1024 * 1024;

/** Answers with this many values in their lists (PE_SYMBOLS_RESPONSE) are written by the worker pool. */
export const WRITE_OFF_THREAD_VALUES = 16_384;

/**
 * A frame as delimited, read when its turn comes (a large content by the
 * worker pool); or why the stream cannot go on.
 */
type Queued = RawFrame | { ok: false; reason: string };

const frameSize = (q: Queued) => ('ok' in q ? 0 : q.contentBytes.length + 4);

function heavyAnswer(content: object | null): boolean {
  if (content === null) return false;
  let values = 0;
  for (const key in content) {
    const v: unknown = (content as Record<string, unknown>)[key];
    if (Array.isArray(v)) values += v.length;
  }
  return values >= WRITE_OFF_THREAD_VALUES;
}

/** Whether two state values name the same states, whatever their keys' order (no string made per answer). */
export function sameState(a: StateValue, b: StateValue): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  let keys = 0;
  for (const key in a) {
    const x = a[key];
    const y = b[key];
    if (x === undefined || y === undefined || !sameState(x, y)) return false;
    keys++;
  }
  return keys === Object.keys(b).length;
}

type Validity = { ok: true; content: unknown } | { ok: false; error: string };

export class AliceConnection implements BudgetMember, OutboxMember {
  readonly actor: Actor<AliceMachine>;
  private readonly decoder: FrameDecoder;
  private readonly channel: Channel;
  private readonly queue: Queued[] = [];
  /** Answers made in this event-loop turn, written at its end (outbox.ts). */
  private readonly outgoing: Buffer[] = [];
  private awaitingAnswer = false;
  private draining = false;
  private closed = false;
  private finished = false;
  /** Set when Alice has decided to close: nothing queued behind the decision is processed. */
  private closing = false;
  private queuedBytes = 0;
  /** What the shared budget last heard from this connection: told again only when it changes. */
  private accounted = -1;
  /** A content being read by the pool: still held for the daemon (the budget counts it). */
  private readingBytes = 0;
  private everIdentified = false;
  frameStartedAt: number | null = null;
  /** The session's state when its emitter timer was armed; null when it does not hold the emitter. */
  private emitterState: StateValue | null = null;
  private readonly timers: { identify?: NodeJS.Timeout; frame?: NodeJS.Timeout; emitter?: NodeJS.Timeout } = {};
  readonly peer: string;
  /** One child logger per known message and direction: its line is serialised once, not on every call. */
  private readonly messageLogs = { in: new Map<number, Logger>(), out: new Map<number, Logger>() };

  constructor(
    readonly id: string,
    private readonly socket: Socket,
    machine: AliceMachine,
    readonly backend: AliceSessionBackend,
    private readonly lock: EmitterLock,
    private readonly settings: ConnectionSettings,
    private readonly log: Logger,
    private readonly hooks: ConnectionHooks,
  ) {
    this.peer = `${socket.remoteAddress}:${socket.remotePort}`;
    this.decoder = new FrameDecoder({ ...settings.frame, maxContentLength: settings.limits.maxContentLengthUnidentified });
    this.channel = new Channel('alice', settings.auth, { headerOrder: settings.frame.headerOrder });
    const session: EffectsContext = {
      backend,
      lock,
      owner: id,
      emitterWaitMs: settings.emitterWaitMs,
      closed: () => this.closed,
      maxAnswerLength: settings.limits.maxAnswerLength,
      toJSON: () => `the backend of session ${id}`,
    };
    this.actor = createActor(machine, {
      input: { serialNumber: settings.serialNumber, versions: settings.versions, session },
      id: `alice-${id}`,
      ...(hooks.inspect ? { inspect: hooks.inspect } : {}),
    });
    this.actor.on('answer', (answer) => this.answer(answer));
    const { observer } = hooks;
    if (observer) {
      observer.opened(id, this.peer);
      this.actor.subscribe((snapshot) => observer.state(id, snapshot.value));
    }
    this.actor.start();
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('end', () => this.endOfStream());
    socket.on('error', (error) => this.log.warn({ err: error.message }, 'socket error'));
    socket.on('close', () => void this.close());
    socket.on('timeout', () => this.idle());
    this.timers.identify = setTimeout(
      () => this.shut(`not identified within ${settings.limits.identifyTimeoutMs} ms of connecting (identify_timeout_seconds)`),
      settings.limits.identifyTimeoutMs,
    );
  }

  private readonly closeListeners: (() => void)[] = [];

  /** Ends the connection from our side (the daemon stops). */
  destroy(): void {
    this.flushAnswers();
    this.socket.destroy();
  }

  /** Alice decides to close: logged, frames already queued are dropped, the socket destroyed. */
  private shut(reason: string, level: 'warn' | 'fatal' = 'warn'): void {
    if (this.closing || this.closed) return;
    this.closing = true;
    this.log[level]({ peer: this.peer, reason }, 'closing the connection');
    this.queue.length = 0;
    this.flushAnswers();
    this.socket.destroy();
  }

  evict(reason: string): void {
    this.shut(reason);
  }

  onClosedOnce(listener: () => void): void {
    if (this.finished) listener();
    else this.closeListeners.push(listener);
  }

  private receive(chunk: Buffer): void {
    if (this.closing) return;
    this.decoder.feed(chunk);
    for (let queued = this.decoder.next(); queued !== null; queued = this.decoder.next()) {
      this.queue.push(queued);
      this.queuedBytes += frameSize(queued);
    }
    if ((this.queue.length > READ_AHEAD || this.queuedBytes > this.settings.limits.readAheadBytes) && !this.socket.isPaused()) {
      this.log.info({ frames: this.queue.length, bytes: this.queuedBytes }, 'read-ahead limit reached (max_read_ahead_bytes): socket paused');
      this.socket.pause();
    }
    this.account();
    this.drain();
  }

  /** What this connection buffers, for the shared budget; the frame timer runs while a frame is incomplete. */
  private account(): void {
    if (this.closing || this.closed) return;
    if (this.decoder.inFrame) {
      if (this.frameStartedAt === null) {
        this.frameStartedAt = Date.now();
        this.timers.frame = setTimeout(() => this.frameTimeout(), this.settings.limits.frameTimeoutMs);
      }
    } else if (this.frameStartedAt !== null) {
      this.frameStartedAt = null;
      clearTimeout(this.timers.frame);
    }
    const held = this.decoder.bufferedBytes + this.queuedBytes + this.readingBytes;
    if (held !== this.accounted) {
      this.accounted = held;
      this.hooks.budget.set(this, held);
    }
  }

  private frameTimeout(): void {
    // A frame we stopped reading (read-ahead) is not the client's fault: wait again.
    if (this.socket.isPaused()) {
      this.timers.frame = setTimeout(() => this.frameTimeout(), this.settings.limits.frameTimeoutMs);
      return;
    }
    const { frameTimeoutMs } = this.settings.limits;
    this.shut(`frame not completed within ${frameTimeoutMs} ms of its first byte (${this.decoder.bufferedBytes} bytes received; frame_timeout_seconds)`);
  }

  /** The socket's inactivity timer, armed once identified when idle_timeout_seconds is set. */
  private idle(): void {
    if (this.awaitingAnswer) return;
    this.shut(`identified client silent for ${this.settings.limits.idleTimeoutMs} ms (idle_timeout_seconds)`);
  }

  /** A fault of ours must end this session, never the daemon: the frame is discarded as for a vanished client. */
  private fault(error: unknown): void {
    this.log.error({ err: (error as Error).message, stack: (error as Error).stack }, 'internal error: session closed');
    this.closing = true;
    this.queue.length = 0;
    this.flushAnswers();
    this.socket.destroy();
  }

  private endOfStream(): void {
    for (const decoded of this.decoder.end()) this.queue.push(decoded);
    this.drain();
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      while (!this.awaitingAnswer && !this.closed && !this.closing && this.queue.length > 0) {
        const queued = this.queue.shift()!;
        this.queuedBytes -= frameSize(queued);
        if ('ok' in queued) this.dispatch({ kind: 'fatal', reason: queued.reason });
        else if (queued.contentBytes.length > READ_OFF_THREAD_BYTES) this.readOffThread(queued, queued.contentBytes.length + 4);
        else this.dispatch(this.channel.openFrame(queued));
      }
      this.account();
      if (this.queue.length === 0 && this.socket.isPaused() && !this.closing) this.socket.resume();
    } catch (error) {
      this.fault(error);
    } finally {
      this.draining = false;
    }
  }

  /** A large content: authenticated here (a hash), read by the pool; the connection waits as for an answer. */
  private readOffThread(frame: RawFrame, size: number): void {
    const failure = this.channel.authenticate(frame);
    if (failure !== null) return this.dispatch(failure);
    const { code } = frame.header;
    if (codeName(code) === undefined) return this.dispatch({ kind: 'unknown-code', code, frame });
    this.awaitingAnswer = true;
    this.readingBytes = size;
    const content = frame.contentBytes;
    // A content that owns its memory (any large one: the decoder joined its chunks) moves to the thread, uncopied.
    const own = content.byteOffset === 0 && content.byteLength === content.buffer.byteLength;
    void this.settings.pool
      .run('decodeContent', { code, content }, { transfer: own ? [content.buffer as ArrayBuffer] : [] })
      .catch((error: unknown): DecodedContent => {
        const busy = error instanceof PoolBusyError ? 'Alice is busy, send it again: ' : '';
        return { ok: false, error: 'FRAME_ERROR', reason: `content not read: ${busy}${(error as Error).message}` };
      })
      .then((read) => this.readDone(frame, read));
  }

  private readDone(frame: RawFrame, read: DecodedContent): void {
    if (this.closed || this.closing) return;
    this.awaitingAnswer = false;
    this.readingBytes = 0;
    const { code } = frame.header;
    try {
      if (read.ok) this.dispatch({ kind: 'message', message: { code, name: read.name, content: null }, frame }, read.valid);
      else if (read.error === 'UNKOWN_CODE') this.dispatch({ kind: 'unknown-code', code, frame });
      else this.dispatch({ kind: 'invalid-frame', code, reason: read.reason, frame });
    } catch (error) {
      this.fault(error);
      return;
    }
    this.drain();
  }

  /** `validity`: the content already validated (by the pool) instead of the message's own. */
  private dispatch(inbound: Inbound, validity?: Validity): void {
    switch (inbound.kind) {
      case 'fatal': {
        const key = this.decoder.maxContentLength === this.settings.frame.maxContentLength ? 'max_content_length' : 'max_content_length_unidentified';
        this.shut(`unreadable stream: ${inbound.reason}${inbound.reason.includes('exceeds the limit') ? ` (${key})` : ''}`);
        return;
      }
      case 'authentication-failure': {
        this.logIn(inbound.code);
        const verdict = this.hooks.onAuthFailure(this.socket.remoteAddress ?? '');
        if (verdict.suspected) {
          const refusal = verdict.banMs > 0 ? `address refused for ${verdict.banMs} ms` : 'address on the allow-list: not refused';
          this.shut(`man-in-the-middle suspected: ${verdict.failures} authentication failures from this address (${inbound.reason}); ${refusal}`, 'fatal');
          return;
        }
        this.log.warn({ reason: inbound.reason, failures: verdict.failures }, 'authentication failed');
        this.toMachine({ type: 'AUTHENTICATION_FAILED', code: inbound.code, reason: inbound.reason });
        return;
      }
      case 'unknown-code':
        this.logIn(inbound.code);
        this.send('UNKOWN_COMMAND', { code: inbound.code });
        this.afterAnswer();
        return;
      case 'invalid-frame':
        this.logIn(inbound.code);
        this.log.warn({ code: inbound.code, reason: cut(inbound.reason) }, 'invalid frame');
        this.send('INVALID_CONTENT', { code: inbound.code, error_message: inbound.reason });
        this.afterAnswer();
        return;
      case 'message': {
        const { name, code, content } = inbound.message;
        this.logIn(code);
        const valid = validity ?? validateContent(name, content);
        if (!valid.ok) {
          this.log.warn({ code, error: cut(valid.error) }, 'invalid content');
          this.send('INVALID_CONTENT', { code, error_message: valid.error });
          this.afterAnswer();
          return;
        }
        this.toMachine({ type: name, name, code, content: valid.content as Record<string, unknown> | null });
      }
    }
  }

  private toMachine(event: Parameters<Actor<AliceMachine>['send']>[0]): void {
    this.awaitingAnswer = true;
    this.actor.send(event);
  }

  private answer({ name, content }: AnswerEvent): void {
    const bounded = boundAnswer(name, content);
    if (heavyAnswer(bounded)) {
      void this.answerOffThread(name, bounded!);
      return;
    }
    try {
      this.sendBounded(name, bounded);
    } catch (error) {
      this.fault(error);
      return;
    }
    this.answered();
  }

  /**
   * A large answer, written by the pool (its digest too) and signed here.
   * An answer is owed: it is queued even when the pool's queue is full. A
   * thread that dies writing it ends the session, as any fault of ours.
   */
  private async answerOffThread(name: MessageName, content: object): Promise<void> {
    const packed = packContent(content);
    let frame: Buffer;
    try {
      frame = await this.channel.sealWith(CODES[name].code, packed.content, async (msg, signatureLength, order) => {
        const unsigned = await this.settings.pool.run('encodeAnswer', { msg, signatureLength, order }, { transfer: packed.transfer, owed: true });
        // Buffers come back from a thread as plain Uint8Arrays.
        const buffer = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
        return { frame: buffer(unsigned.frame), digest: buffer(unsigned.digest) };
      });
    } catch (error) {
      if (!(error instanceof PoolClosedError)) this.fault(error);
      return;
    }
    if (this.closed || this.closing) return;
    this.write(name, frame);
    this.answered();
  }

  /** The request is answered: the next may be read. */
  private answered(): void {
    this.awaitingAnswer = false;
    if (this.actor.getSnapshot().status === 'done') {
      // Disconnected: whatever the client sent after DISCONNECTION is not read. The budget is settled first:
      // an answer given at once arrives inside drain(), whose own accounting skips a closing connection.
      this.queue.length = 0;
      this.queuedBytes = 0;
      this.account();
      this.closing = true;
      this.flushAnswers();
      this.socket.end();
      return;
    }
    this.afterAnswer();
    this.drain();
  }

  /** After each answer: the content limit follows identification, and the emitter's holder must keep going. */
  private afterAnswer(): void {
    if (this.closing || this.closed) return;
    const snapshot = this.actor.getSnapshot();
    const { identified } = snapshot.context;
    const { limits } = this.settings;
    this.decoder.maxContentLength = identified ? this.settings.frame.maxContentLength! : limits.maxContentLengthUnidentified;
    if (identified && !this.everIdentified) {
      this.everIdentified = true;
      clearTimeout(this.timers.identify);
      if (limits.idleTimeoutMs > 0) this.socket.setTimeout(limits.idleTimeoutMs);
    }
    // Progress is a change of state: answered requests that leave the frame where it is do not count.
    const state = this.lock.owner === this.id ? snapshot.value : null;
    if (state === null ? this.emitterState !== null : this.emitterState === null || !sameState(state, this.emitterState)) {
      clearTimeout(this.timers.emitter);
      this.emitterState = state;
      if (state !== null) this.timers.emitter = setTimeout(() => this.emitterStalled(), limits.emitterProgressMs);
    }
  }

  /** The emitter's holder made no progress for too long: Alice aborts its frame (emission stopped), freeing the emitter. */
  private emitterStalled(): void {
    if (this.closing || this.closed || this.lock.owner !== this.id) return;
    // The backend is still working on a request: its answer comes first.
    if (this.awaitingAnswer) {
      this.timers.emitter = setTimeout(() => this.emitterStalled(), 100);
      return;
    }
    this.emitterState = null;
    const reason = `no progress for ${this.settings.limits.emitterProgressMs} ms while holding the emitter (emitter_progress_seconds)`;
    this.log.warn({ peer: this.peer, reason }, 'aborting the frame: the emitter is released');
    this.toMachine({ type: 'STALLED', reason });
  }

  private send(name: MessageName, content: object | null): void {
    this.sendBounded(name, boundAnswer(name, content));
  }

  /** `content` already bound (boundAnswer). */
  private sendBounded(name: MessageName, content: object | null): void {
    if (this.closed || this.closing) return;
    this.write(name, this.channel.seal(CODES[name].code, content));
  }

  private write(name: MessageName, frame: Buffer): void {
    const { code, phase } = CODES[name];
    this.logMessage('out', code, name, phase, `→ ${name}`);
    if (this.outgoing.push(frame) === 1) this.hooks.outbox.add(this);
    this.hooks.observer?.message({ session: this.id, direction: 'out', name, code, phase, time: Date.now() });
  }

  private logIn(code: number): void {
    const name = describeCode(code);
    const phase = name in CODES ? CODES[name as MessageName].phase : 'unknown';
    this.logMessage('in', code, name, phase, `← ${name}`);
    this.hooks.observer?.message({ session: this.id, direction: 'in', name, code, phase, time: Date.now() });
  }

  /** A message's line, through its cached child logger; codes that are not QOSST's (any number a client likes) get none. */
  private logMessage(dir: 'in' | 'out', code: number, name: string, phase: string, text: string): void {
    const logs = this.messageLogs[dir];
    let log = logs.get(code);
    if (log === undefined) {
      if (phase === 'unknown') {
        this.log.info({ dir, code, name, phase }, text);
        return;
      }
      log = lineLogger(this.log, { dir, code, name, phase }, text);
      logs.set(code, log);
    }
    log.info(text);
  }

  flushAnswers(): void {
    const { outgoing, socket } = this;
    if (outgoing.length === 0) return;
    if (!socket.destroyed) {
      if (outgoing.length === 1) socket.write(outgoing[0]!);
      else {
        // Several answers of one turn (requests sent ahead): one system call.
        socket.cork();
        for (const frame of outgoing) socket.write(frame);
        socket.uncork();
      }
    }
    outgoing.length = 0;
  }

  /** The client is gone, whatever the state: the frame is discarded and the emitter released. */
  private async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    for (const timer of Object.values(this.timers)) clearTimeout(timer);
    this.hooks.budget.remove(this);
    this.actor.stop();
    try {
      await this.backend.discardFrame();
    } catch (error) {
      this.log.error({ err: (error as Error).message }, 'discarding the frame failed');
    } finally {
      this.lock.release(this.id);
    }
    this.log.info({ peer: this.peer }, 'session closed');
    this.finished = true;
    this.hooks.observer?.closed(this.id);
    this.hooks.onClosed(this);
    for (const listener of this.closeListeners.splice(0)) listener();
  }
}
