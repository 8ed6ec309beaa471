/**
 * The minimal remote client of the deployed-daemon benchmark, run in its own
 * process (forked by `bench/deployed.ts`). It shares no code with the
 * project: it builds one `IDENTIFICATION_REQUEST` frame by hand (auth
 * `none`: the signed digest is SHA-256 of header and content, deployed
 * header order) and writes it again and again, one frame per write; an
 * identification restarts the challenge chain, so the same bytes are valid
 * every time. Answers are delimited by their lengths and `content_length`.
 * An echo server sends the same frame back, so both servers are measured
 * through exactly the same code.
 *
 * Protocol with the parent (IPC): `run` -> connect, warm up, `ready`; `go`
 * -> measure, `result`; `exit`.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createConnection, type Socket } from 'node:net';

export interface RunCommand {
  cmd: 'run';
  port: number;
  connections: number;
  /** Round trips per connection before the measurement. */
  warmUp: number;
  /** Round trips per connection measured. */
  count: number;
  /** The answer's code: IDENTIFICATION_RESPONSE from Alice, the request's own from an echo server. */
  expect: 'answer' | 'echo';
}

export interface ClientResult {
  roundTrips: number;
  seconds: number;
  /** Latencies in microseconds. */
  p50: number;
  p99: number;
  /** Answers whose code was not the one expected. */
  unexpected: number;
}

export type ParentMessage = RunCommand | { cmd: 'go' } | { cmd: 'exit' };
export type ChildMessage = { kind: 'ready'; frameSize: number } | { kind: 'result'; result: ClientResult } | { kind: 'error'; message: string };

const IDENTIFICATION_REQUEST = 100;
const IDENTIFICATION_RESPONSE = 101;

function requestFrame(): Buffer {
  const content = Buffer.from('{"serial_number": "QOSST/0002", "qosst_version": "QOSST/0.2"}', 'latin1');
  const header = Buffer.from(
    `{"code": ${IDENTIFICATION_REQUEST}, "content_length": ${content.length}, "challenge": "", "next_challenge": "abcdefghijklmno"}`,
    'latin1',
  );
  const digest = createHash('sha256').update(header).update(content).digest();
  const fixed = Buffer.alloc(4);
  fixed.writeUInt16BE(header.length, 0);
  fixed.writeUInt16BE(digest.length, 2);
  return Buffer.concat([fixed, digest, header, content]);
}

const CODE = /"code": *(-?\d+)/;
const CONTENT_LENGTH = /"content_length": *(\d+)/;

/** One connection doing sequential round trips, timing each. */
class Pinger {
  private pending: Buffer = Buffer.alloc(0);
  private sentAt = 0n;
  private left = 0;
  private done: (() => void) | null = null;
  private recording = false;
  latencies: number[] = [];
  unexpected = 0;

  constructor(
    private readonly socket: Socket,
    private readonly frame: Buffer,
    private readonly expected: number,
  ) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
  }

  run(count: number, record: boolean): Promise<void> {
    this.left = count;
    this.recording = record;
    this.latencies = [];
    return new Promise((resolve) => {
      this.done = resolve;
      this.send();
    });
  }

  private send(): void {
    this.sentAt = process.hrtime.bigint();
    this.socket.write(this.frame);
  }

  private receive(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    for (;;) {
      if (this.pending.length < 4) return;
      const headerLength = this.pending.readUInt16BE(0);
      const sigLength = this.pending.readUInt16BE(2);
      const headerEnd = 4 + sigLength + headerLength;
      if (this.pending.length < headerEnd) return;
      const header = this.pending.toString('latin1', 4 + sigLength, headerEnd);
      const end = headerEnd + Number(CONTENT_LENGTH.exec(header)?.[1] ?? 0);
      if (this.pending.length < end) return;
      if (Number(CODE.exec(header)?.[1]) !== this.expected) this.unexpected++;
      this.pending = this.pending.subarray(end);
      if (this.recording) this.latencies.push(Number(process.hrtime.bigint() - this.sentAt) / 1000);
      if (--this.left > 0) this.send();
      else this.done?.();
    }
  }
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const send = (message: ChildMessage) => process.send!(message);
const nextMessage = () => once(process, 'message').then(([m]) => m as ParentMessage);

async function main(): Promise<void> {
  const frame = requestFrame();
  for (;;) {
    const command = await nextMessage();
    if (command.cmd === 'exit') break;
    if (command.cmd !== 'run') continue;
    const expected = command.expect === 'echo' ? IDENTIFICATION_REQUEST : IDENTIFICATION_RESPONSE;
    const sockets = await Promise.all(
      Array.from({ length: command.connections }, async () => {
        const socket = createConnection(command.port, '127.0.0.1');
        socket.setNoDelay(true);
        // A connection the server closes or refuses fails the run with its reason instead of hanging it.
        socket.on('error', (error) => fail(error));
        await once(socket, 'connect');
        return socket;
      }),
    );
    const pingers = sockets.map((s) => new Pinger(s, frame, expected));
    await Promise.all(pingers.map((p) => p.run(command.warmUp, false)));
    send({ kind: 'ready', frameSize: frame.length });
    if ((await nextMessage()).cmd !== 'go') break;
    const start = process.hrtime.bigint();
    await Promise.all(pingers.map((p) => p.run(command.count, true)));
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const all = Float64Array.from(pingers.flatMap((p) => p.latencies)).sort();
    send({
      kind: 'result',
      result: {
        roundTrips: all.length,
        seconds,
        p50: percentile(all, 50),
        p99: percentile(all, 99),
        unexpected: pingers.reduce((n, p) => n + p.unexpected, 0),
      },
    });
    for (const s of sockets) s.destroy();
  }
  process.disconnect();
}

function fail(error: Error): never {
  send({ kind: 'error', message: error.stack ?? error.message });
  process.exit(1);
}

main().catch(fail);
