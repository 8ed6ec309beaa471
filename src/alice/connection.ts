/**
 * One client connection: bytes -> decode -> authenticate -> challenge ->
 * validate content -> session machine -> answers -> bytes. It holds no
 * protocol logic beyond mapping the low layers' error values to answers.
 * Requests are handled one at a time, in order: the next is not read
 * before the current one is answered.
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { createActor, type Actor, type InspectionEvent, type Observer } from 'xstate';
import type { AliceMachine, AnswerEvent } from '../../machines/alice.ts';
import type { Authenticator } from '../protocol/auth/authenticator.ts';
import { Channel } from '../protocol/channel.ts';
import { CODES, describeCode, type MessageName } from '../protocol/codes.ts';
import { FrameDecoder, type Decoded, type FrameOptions } from '../protocol/frame.ts';
import { validateContent } from '../protocol/schemas.ts';
import type { AliceSessionBackend } from './backend.ts';
import { aliceEffects } from './effects.ts';
import type { EmitterLock } from './emitter-lock.ts';

export interface ConnectionSettings {
  auth: Authenticator;
  frame: FrameOptions;
  serialNumber: string;
  versions: readonly string[];
  /** Consecutive authentication failures after which a man-in-the-middle is suspected. */
  maxAuthFailures: number;
  emitterWaitMs: number;
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
  /** A man-in-the-middle is suspected: the server refuses the address for a while. */
  onSuspectedAttack(address: string): void;
  onClosed(connection: AliceConnection): void;
  observer?: SessionObserver;
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
}

/** Frames read ahead while a request is being answered; beyond it the socket is paused. */
const READ_AHEAD = 16;

export class AliceConnection {
  readonly actor: Actor<AliceMachine>;
  private readonly decoder: FrameDecoder;
  private readonly channel: Channel;
  private readonly queue: Decoded[] = [];
  private awaitingAnswer = false;
  private draining = false;
  private closed = false;
  private finished = false;
  private authFailures = 0;
  readonly peer: string;

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
    this.decoder = new FrameDecoder(settings.frame);
    this.channel = new Channel('alice', settings.auth, { headerOrder: settings.frame.headerOrder });
    const effects = aliceEffects({
      backend,
      lock,
      owner: id,
      emitterWaitMs: settings.emitterWaitMs,
      closed: () => this.closed,
    });
    this.actor = createActor(machine.provide({ actors: effects }), {
      input: { serialNumber: settings.serialNumber, versions: settings.versions },
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
  }


  private readonly closeListeners: (() => void)[] = [];

  /** Ends the connection from our side (the daemon stops). */
  destroy(): void {
    this.socket.destroy();
  }

  onClosedOnce(listener: () => void): void {
    if (this.finished) listener();
    else this.closeListeners.push(listener);
  }

  private receive(chunk: Buffer): void {
    for (const decoded of this.decoder.push(chunk)) this.queue.push(decoded);
    if (this.queue.length > READ_AHEAD) this.socket.pause();
    this.drain();
  }

  /** A fault of ours must end this session, never the daemon: the frame is discarded as for a vanished client. */
  private fault(error: unknown): void {
    this.log.error({ err: (error as Error).message, stack: (error as Error).stack }, 'internal error: session closed');
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
      while (!this.awaitingAnswer && !this.closed && this.queue.length > 0) this.handle(this.queue.shift()!);
      if (this.queue.length === 0 && this.socket.isPaused()) this.socket.resume();
    } catch (error) {
      this.fault(error);
    } finally {
      this.draining = false;
    }
  }

  private handle(decoded: Decoded): void {
    const inbound = this.channel.open(decoded);
    switch (inbound.kind) {
      case 'fatal':
        this.log.warn({ reason: inbound.reason }, 'unreadable stream: closing the connection');
        this.socket.destroy();
        return;
      case 'authentication-failure':
        this.logIn(inbound.code);
        this.authFailures++;
        if (this.authFailures >= this.settings.maxAuthFailures) {
          this.log.fatal(
            { peer: this.peer, failures: this.authFailures, reason: inbound.reason },
            'man-in-the-middle suspected: consecutive authentication failures; closing and refusing this address',
          );
          this.hooks.onSuspectedAttack(this.socket.remoteAddress ?? '');
          this.socket.destroy();
          return;
        }
        this.log.warn({ reason: inbound.reason, failures: this.authFailures }, 'authentication failed');
        this.toMachine({ type: 'AUTHENTICATION_FAILED', code: inbound.code, reason: inbound.reason });
        return;
      case 'unknown-code':
        this.authFailures = 0;
        this.logIn(inbound.code);
        this.send('UNKOWN_COMMAND', { code: inbound.code });
        return;
      case 'invalid-frame':
        this.authFailures = 0;
        this.logIn(inbound.code);
        this.log.warn({ code: inbound.code, reason: inbound.reason }, 'invalid frame');
        this.send('INVALID_CONTENT', { code: inbound.code, error_message: inbound.reason });
        return;
      case 'message': {
        this.authFailures = 0;
        const { name, code, content } = inbound.message;
        this.logIn(code);
        const valid = validateContent(name, content);
        if (!valid.ok) {
          this.log.warn({ code, error: valid.error }, 'invalid content');
          this.send('INVALID_CONTENT', { code, error_message: valid.error });
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
    try {
      this.send(name, content);
    } catch (error) {
      this.fault(error);
      return;
    }
    this.awaitingAnswer = false;
    if (this.actor.getSnapshot().status === 'done') {
      this.socket.end();
      return;
    }
    this.drain();
  }

  private send(name: MessageName, content: object | null): void {
    if (this.closed) return;
    const code = CODES[name].code;
    this.socket.write(this.channel.seal(code, content));
    this.log.info({ dir: 'out', code, name, phase: CODES[name].phase }, `→ ${name}`);
    this.hooks.observer?.message({ session: this.id, direction: 'out', name, code, phase: CODES[name].phase, time: Date.now() });
  }

  private logIn(code: number): void {
    const name = describeCode(code);
    const phase = name in CODES ? CODES[name as MessageName].phase : 'unknown';
    this.log.info({ dir: 'in', code, name, phase }, `← ${name}`);
    this.hooks.observer?.message({ session: this.id, direction: 'in', name, code, phase, time: Date.now() });
  }

  /** The client is gone, whatever the state: the frame is discarded and the emitter released. */
  private async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
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
