/**
 * Alice's TCP server: one session actor per connection, a shared emitter,
 * and a refusal list for addresses suspected of a man-in-the-middle attack.
 */
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { aliceSessionMachine } from '../../machines/alice-session.ts';
import type { AliceBackend } from './backend.ts';
import { AliceConnection, type ConnectionHooks, type ConnectionSettings, type MessageEvent, type SessionObserver } from './connection.ts';
import { EmitterLock } from './emitter-lock.ts';

export interface AliceServerOptions extends ConnectionSettings {
  host: string;
  port: number;
  backend: AliceBackend;
  log: Logger;
  /** How long an address suspected of an attack is refused. */
  banMs: number;
  observer?: ConnectionHooks['observer'];
  inspect?: ConnectionHooks['inspect'];
}

export type { MessageEvent, SessionObserver };

export class AliceServer {
  private readonly server: Server;
  private readonly lock = new EmitterLock();
  private readonly connections = new Set<AliceConnection>();
  private readonly banned = new Map<string, number>();
  private nextId = 1;

  constructor(private readonly options: AliceServerOptions) {
    this.server = createServer((socket) => this.accept(socket));
    this.server.on('error', (error) => options.log.error({ err: error.message }, 'server error'));
  }

  /** Starts listening; resolves with the bound address (port 0 picks a free one). */
  async listen(): Promise<AddressInfo> {
    this.server.listen(this.options.port, this.options.host);
    await Promise.race([once(this.server, 'listening'), once(this.server, 'error').then(([e]) => Promise.reject(e))]);
    const address = this.server.address() as AddressInfo;
    this.options.log.info({ host: address.address, port: address.port }, 'Alice listening');
    return address;
  }

  get sessions(): ReadonlySet<AliceConnection> {
    return this.connections;
  }

  /** Who holds the emitter now. */
  get emitterOwner(): string | null {
    return this.lock.owner;
  }

  isBanned(address: string): boolean {
    const until = this.banned.get(address);
    if (until === undefined) return false;
    if (Date.now() < until) return true;
    this.banned.delete(address);
    return false;
  }

  /** Stops accepting, closes every session (emission stopped), releases the hardware. */
  async close(): Promise<void> {
    const closing = [...this.connections].map((c) => new Promise<void>((resolve) => {
      c.onClosedOnce(resolve);
      c.destroy();
    }));
    await Promise.all([new Promise<void>((resolve) => this.server.close(() => resolve())), ...closing]);
    await this.options.backend.close();
    this.options.log.info('Alice stopped');
  }

  private accept(socket: Socket): void {
    const address = socket.remoteAddress ?? '';
    const { log } = this.options;
    if (this.isBanned(address)) {
      log.warn({ peer: address }, 'connection refused: address suspected of a man-in-the-middle attack');
      socket.destroy();
      return;
    }
    const id = `s${this.nextId++}`;
    const sessionLog = log.child({ session: id });
    const peer = `${address}:${socket.remotePort}`;
    sessionLog.info({ peer }, 'session opened');
    try {
      const backend = this.options.backend.openSession({ id, peer });
      const connection = new AliceConnection(id, socket, aliceSessionMachine, backend, this.lock, this.options, sessionLog, {
        onSuspectedAttack: (a) => this.banned.set(a, Date.now() + this.options.banMs),
        onClosed: (c) => this.connections.delete(c),
        observer: this.options.observer,
        inspect: this.options.inspect,
      });
      this.connections.add(connection);
    } catch (error) {
      sessionLog.error({ err: (error as Error).message }, 'could not open the session');
      socket.destroy();
    }
  }
}
