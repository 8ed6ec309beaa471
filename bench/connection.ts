/**
 * The whole per-request path of the daemon in one process, without the
 * kernel: bytes in -> delimit -> digest checked -> header and content read
 * -> schema -> session machine -> answer encoded and signed -> bytes out,
 * through real AliceConnections (logging silent) on socket stand-ins that
 * only count what is written. 50 sessions, each sent IDENTIFICATION_REQUEST
 * (auth none) once per event-loop turn, as the deployed-daemon benchmark's
 * clients do.
 *
 * Baseline, through the same stand-ins: a bare handler doing what any
 * implementation of the frame must do per request, with native JSON and
 * nothing else: delimit (the same FrameDecoder), SHA-256 of header and
 * content compared with the digest, JSON.parse of header and content, the
 * answer's header and content by JSON.stringify, SHA-256, one write. The
 * ratio is what the Python-exact codec, the schemas, the challenge chain,
 * the statechart and the connection's bookkeeping cost on top of it.
 */
import { hash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { pino } from 'pino';
import { aliceSessionMachine } from '../machines/alice-session.ts';
import { BufferBudget } from '../src/alice/buffer-budget.ts';
import { aliceConfigSchema } from '../src/alice/config.ts';
import { AliceConnection } from '../src/alice/connection.ts';
import { connectionSettings } from '../src/alice/daemon.ts';
import { EmitterLock } from '../src/alice/emitter-lock.ts';
import { Outbox } from '../src/alice/outbox.ts';
import { WorkerPool } from '../src/alice/worker-pool.ts';
import { noneAuthenticator } from '../src/protocol/auth/none.ts';
import { Code } from '../src/protocol/codes.ts';
import { encodeFrame, FrameDecoder } from '../src/protocol/frame.ts';
import { createSimulatedAlice } from '../src/sim/alice-sim.ts';

export interface ConnectionCosts {
  /** CPU µs per request. */
  ours: number;
  bare: number;
  sessions: number;
}

const SESSIONS = 50;

/** What AliceConnection uses of a socket; writes are counted, never sent. */
class CountingSocket extends EventEmitter {
  readonly remoteAddress = '127.0.0.1';
  readonly remotePort: number;
  written = 0;
  destroyed = false;
  private paused = false;

  constructor(port: number) {
    super();
    this.remotePort = port;
  }

  write(_frame: Buffer): boolean {
    this.written++;
    return true;
  }

  cork(): void {}
  uncork(): void {}
  setNoDelay(): void {}
  setTimeout(): void {}
  isPaused(): boolean {
    return this.paused;
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
  end(): void {
    this.destroy();
  }
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.emit('close');
  }
}

/**
 * `count` requests, one from each session per event-loop turn (as 50
 * clients' requests arrive together), each turn ended so that the answers
 * it made are written (outbox.ts). CPU time per request, the best of three
 * rounds: on a shared machine the others' load only ever adds to it.
 */
async function perRequest(sockets: CountingSocket[], count: number, request: Buffer): Promise<number> {
  const turns = async (requests: number) => {
    for (let sent = 0; sent < requests; sent += sockets.length) {
      for (const socket of sockets) socket.emit('data', Buffer.from(request));
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  const written = () => sockets.reduce((n, s) => n + s.written, 0);
  await turns(Math.min(count, 2000));
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    const before = written();
    const start = process.cpuUsage();
    await turns(count);
    const { user, system } = process.cpuUsage(start);
    if (written() - before !== count) throw new Error(`${written() - before} answers to ${count} requests`);
    best = Math.min(best, (user + system) / count);
  }
  return best;
}

/** The bare handler of one stand-in: see the file's comment. */
function bareHandler(socket: CountingSocket): void {
  const decoder = new FrameDecoder();
  socket.on('data', (chunk: Buffer) => {
    decoder.feed(chunk);
    for (let d = decoder.next(); d !== null; d = decoder.next()) {
      if ('ok' in d) throw new Error(d.reason);
      const { signature, headerBytes, contentBytes } = d;
      const signed = Buffer.concat([headerBytes, contentBytes]);
      if (!hash('sha256', signed, 'buffer').equals(signature)) throw new Error('digest');
      const header = JSON.parse(headerBytes.toString('latin1')) as { next_challenge: string };
      const content = JSON.parse(contentBytes.toString('latin1')) as { serial_number: string };
      const answerContent = JSON.stringify({ serial_number: content.serial_number });
      const answerHeader = JSON.stringify({ code: 101, content_length: answerContent.length, challenge: header.next_challenge, next_challenge: 'ABCDEFGHIJKLMNO' });
      const out = Buffer.allocUnsafe(4 + 32 + answerHeader.length + answerContent.length);
      out.writeUInt16BE(answerHeader.length, 0);
      out.writeUInt16BE(32, 2);
      out.write(answerHeader, 36, 'latin1');
      out.write(answerContent, 36 + answerHeader.length, 'latin1');
      out.set(hash('sha256', out.subarray(36), 'buffer'), 4);
      socket.write(out);
    }
  });
}

export async function benchConnection(count: number): Promise<ConnectionCosts> {
  const config = aliceConfigSchema.parse({});
  const log = pino({ level: 'silent' });
  const pool = new WorkerPool({ size: 0, queueLimit: config.worker_queue, log });
  const settings = connectionSettings(config, noneAuthenticator, pool);
  const sim = createSimulatedAlice({});
  const lock = new EmitterLock();
  const budget = new BufferBudget(config.max_buffered_bytes);
  const hooks = { onAuthFailure: () => ({ suspected: false as const, failures: 1 }), budget, outbox: new Outbox(), onClosed: () => {} };
  const ours = Array.from({ length: SESSIONS }, (_, i) => new CountingSocket(40000 + i));
  const connections = ours.map((socket, i) => {
    const id = `bench-${i}`;
    const backend = sim.openSession({ id, peer: `${socket.remoteAddress}:${socket.remotePort}` });
    return new AliceConnection(id, socket as unknown as Socket, aliceSessionMachine, backend, lock, settings, log, hooks);
  });
  const bare = Array.from({ length: SESSIONS }, (_, i) => new CountingSocket(50000 + i));
  for (const socket of bare) bareHandler(socket);

  // The request a fresh client sends first; a session answers it again each time (identification restarts the chain).
  const request = encodeFrame(
    { code: Code.IDENTIFICATION_REQUEST, content: { serial_number: 'QOSST/0002', qosst_version: 'QOSST/0.2' }, challenge: '', nextChallenge: 'abcdefghijklmno' },
    noneAuthenticator,
  );
  count = Math.ceil(count / SESSIONS) * SESSIONS;
  const result = { bare: await perRequest(bare, count, request), ours: await perRequest(ours, count, request), sessions: SESSIONS };
  await Promise.all(connections.map((c) => new Promise<void>((resolve) => {
    c.onClosedOnce(resolve);
    c.destroy();
  })));
  await pool.close();
  return result;
}
