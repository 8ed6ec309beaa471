/**
 * Alice's TCP server: one session actor per connection, a shared emitter,
 * a shared budget for buffered input, connection caps, and a refusal list
 * for addresses suspected of a man-in-the-middle attack.
 */
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { aliceSessionMachine } from '../../machines/alice-session.ts';
import type { AliceBackend } from './backend.ts';
import { AliceConnection, type ConnectionHooks, type ConnectionSettings, type MessageEvent, type SessionObserver } from './connection.ts';
import { BufferBudget } from './buffer-budget.ts';
import { aliceEffects } from './effects.ts';
import { EmitterLock } from './emitter-lock.ts';
import { Outbox } from './outbox.ts';
import { SuspectList, type SuspectPolicy } from './suspects.ts';

/**
 * The session machine with the daemon's effects, built once for all connections:
 * each session's backend reaches its effects actor through the machine's input.
 */
const sessionMachine = aliceSessionMachine.provide({ actors: { effects: aliceEffects } });

export interface AliceServerOptions extends ConnectionSettings {
  host: string;
  port: number;
  backend: AliceBackend;
  log: Logger;
  /** The man-in-the-middle defence. */
  suspects: SuspectPolicy;
  /** Incoming bytes buffered across all connections. */
  maxBufferedBytes: number;
  maxConnections: number;
  maxConnectionsPerAddress: number;
  observer?: ConnectionHooks['observer'];
  inspect?: ConnectionHooks['inspect'];
}

export type { MessageEvent, SessionObserver };

export class AliceServer {
  private readonly server: Server;
  private readonly lock = new EmitterLock();
  private readonly connections = new Set<AliceConnection>();
  private readonly suspects: SuspectList;
  private readonly budget: BufferBudget;
  private readonly outbox = new Outbox();
  private readonly perAddress = new Map<string, number>();
  private nextId = 1;

  constructor(private readonly options: AliceServerOptions) {
    this.suspects = new SuspectList(options.suspects);
    this.budget = new BufferBudget(options.maxBufferedBytes);
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
    return this.suspects.isBanned(address);
  }

  /** Incoming bytes buffered across all connections now. */
  get bufferedBytes(): number {
    return this.budget.used;
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

  /** Why a new connection from `address` is refused, or null. */
  private refusal(address: string): string | null {
    const { maxConnections, maxConnectionsPerAddress } = this.options;
    if (this.isBanned(address)) return 'address suspected of a man-in-the-middle attack';
    if (this.connections.size >= maxConnections) return `${maxConnections} connections already (max_connections)`;
    const mine = this.perAddress.get(address) ?? 0;
    if (mine >= maxConnectionsPerAddress) return `${mine} connections from this address already (max_connections_per_address)`;
    return null;
  }

  private count(address: string, delta: number): void {
    const n = (this.perAddress.get(address) ?? 0) + delta;
    if (n > 0) this.perAddress.set(address, n);
    else this.perAddress.delete(address);
  }

  private accept(socket: Socket): void {
    const address = socket.remoteAddress ?? '';
    const { log } = this.options;
    const refusal = this.refusal(address);
    if (refusal !== null) {
      log.warn({ peer: `${address}:${socket.remotePort}` }, `connection refused: ${refusal}`);
      socket.destroy();
      return;
    }
    const id = `s${this.nextId++}`;
    const sessionLog = log.child({ session: id });
    const peer = `${address}:${socket.remotePort}`;
    sessionLog.info({ peer }, 'session opened');
    try {
      const backend = this.options.backend.openSession({ id, peer });
      const connection = new AliceConnection(id, socket, sessionMachine, backend, this.lock, this.options, sessionLog, {
        onAuthFailure: (a) => this.suspects.failure(a),
        budget: this.budget,
        outbox: this.outbox,
        onClosed: (c) => {
          this.connections.delete(c);
          this.count(address, -1);
        },
        observer: this.options.observer,
        inspect: this.options.inspect,
      });
      this.connections.add(connection);
      this.count(address, +1);
    } catch (error) {
      sessionLog.error({ err: (error as Error).message }, 'could not open the session');
      socket.destroy();
    }
  }
}
