/**
 * The simulated fibre across processes: Alice's daemon serves the fibre's
 * output on a local TCP port (`FibreServer`, a `FibreInput`), `qosst-bob
 * run` reads it (`connectFibre`, a `FibreOutput`). Each message is one byte
 * of kind, then:
 * - description (1): uint32 length, UTF-8 JSON of the fibre's label;
 * - light (2): the frame UUID (36 ASCII bytes), uint32 symbol count n, then
 *   n real and n imaginary quadratures as float64; little-endian throughout.
 * Light sent while no receiver is connected is lost, as it would be.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { z } from 'zod';
import { LightBuffer, type FibreDescription, type FibreInput, type FibreOutput, type Light } from './fibre-link.ts';

const DESCRIPTION = 1;
const LIGHT = 2;
const UUID_BYTES = 36;
/** Bounds what a receiver buffers for one message (the daemon's frames are at most 50 million symbols). */
export const MAX_FIBRE_SYMBOLS = 50_000_000;
const MAX_DESCRIPTION_BYTES = 4096;

const descriptionSchema = z.object({
  distanceKm: z.number(),
  lossDbPerKm: z.number(),
  transmittance: z.number(),
  excessNoise: z.number(),
});

function encodeDescription(description: FibreDescription): Buffer {
  const json = Buffer.from(JSON.stringify(description), 'utf8');
  const head = Buffer.alloc(5);
  head.writeUInt8(DESCRIPTION, 0);
  head.writeUInt32LE(json.length, 1);
  return Buffer.concat([head, json]);
}

function encodeLight({ frameUuid, real, imag }: Light): Buffer[] {
  const n = real.length;
  const head = Buffer.alloc(1 + UUID_BYTES + 4);
  head.writeUInt8(LIGHT, 0);
  head.write(frameUuid.toLowerCase().padEnd(UUID_BYTES).slice(0, UUID_BYTES), 1, 'latin1');
  head.writeUInt32LE(n, 1 + UUID_BYTES);
  const body = new Float64Array(2 * n);
  body.set(real, 0);
  body.set(imag, n);
  return [head, Buffer.from(body.buffer, body.byteOffset, body.byteLength)];
}

/** Alice's end: serves the fibre's output to every receiver connected. */
export class FibreServer implements FibreInput {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private description: FibreDescription | null = null;

  private constructor(server: Server) {
    this.server = server;
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => socket.destroy());
      // A receiver sends nothing: anything it sends is ignored.
      socket.resume();
      if (this.description) socket.write(encodeDescription(this.description));
    });
  }

  static listen(host: string, port: number): Promise<FibreServer> {
    const server = createServer();
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve(new FibreServer(server));
      });
    });
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  get receivers(): number {
    return this.sockets.size;
  }

  announce(description: FibreDescription): void {
    this.description = description;
    const bytes = encodeDescription(description);
    for (const socket of this.sockets) socket.write(bytes);
  }

  send(light: Light): void {
    if (this.sockets.size === 0) return;
    const parts = encodeLight(light);
    for (const socket of this.sockets) for (const part of parts) socket.write(part);
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Parses the stream, whatever its chunking; throws on a malformed message. */
class FibreDecoder {
  private chunks: Buffer[] = [];
  private length = 0;

  constructor(private readonly onLight: (light: Light) => void, private readonly onDescription: (d: FibreDescription) => void) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
    for (;;) {
      const needed = this.nextLength();
      if (needed === null || this.length < needed) return;
      const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.length);
      this.decode(all.subarray(0, needed));
      const rest = all.subarray(needed);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.length = rest.length;
    }
  }

  private peek(count: number): Buffer | null {
    if (this.length < count) return null;
    const first = this.chunks[0]!;
    return first.length >= count ? first : Buffer.concat(this.chunks, this.length);
  }

  /** The length of the message at the head of the stream, or null if its header has not arrived. */
  private nextLength(): number | null {
    const kind = this.peek(1)?.readUInt8(0);
    if (kind === undefined) return null;
    if (kind === DESCRIPTION) {
      const head = this.peek(5);
      if (head === null) return null;
      const size = head.readUInt32LE(1);
      if (size > MAX_DESCRIPTION_BYTES) throw new Error(`fibre description of ${size} bytes is too long`);
      return 5 + size;
    }
    if (kind === LIGHT) {
      const head = this.peek(1 + UUID_BYTES + 4);
      if (head === null) return null;
      const n = head.readUInt32LE(1 + UUID_BYTES);
      if (n > MAX_FIBRE_SYMBOLS) throw new Error(`fibre frame of ${n} symbols is above ${MAX_FIBRE_SYMBOLS}`);
      return 1 + UUID_BYTES + 4 + 16 * n;
    }
    throw new Error(`unknown fibre message kind ${kind}`);
  }

  private decode(message: Buffer): void {
    if (message.readUInt8(0) === DESCRIPTION) {
      this.onDescription(descriptionSchema.parse(JSON.parse(message.subarray(5).toString('utf8'))));
      return;
    }
    const frameUuid = message.toString('latin1', 1, 1 + UUID_BYTES).trim();
    const n = message.readUInt32LE(1 + UUID_BYTES);
    // Copied out: the message's bytes may not be 8-byte aligned.
    const body = new Float64Array(message.buffer.slice(message.byteOffset + 1 + UUID_BYTES + 4, message.byteOffset + message.length));
    this.onLight({ frameUuid, real: body.slice(0, n), imag: body.slice(n) });
  }
}

/** Bob's end: connects to Alice's fibre port. */
export async function connectFibre(host: string, port: number, connectTimeoutMs = 5_000): Promise<FibreOutput> {
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = connect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no answer from the fibre at ${host}:${port} within ${connectTimeoutMs} ms`));
    }, connectTimeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      resolve(s);
    });
    s.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot connect to the fibre at ${host}:${port}: ${error.message}`));
    });
  });
  const buffer = new LightBuffer();
  let description: FibreDescription | null = null;
  const decoder = new FibreDecoder(
    (light) => buffer.put(light),
    (d) => {
      description = d;
    },
  );
  socket.on('data', (chunk: Buffer) => {
    try {
      decoder.push(chunk);
    } catch (error) {
      buffer.fail(new Error(`the fibre sent a malformed message: ${(error as Error).message}`));
      socket.destroy();
    }
  });
  socket.on('error', () => undefined);
  socket.on('close', () => buffer.fail(new Error(`the fibre at ${host}:${port} was disconnected`)));
  return {
    receive: (frameUuid, timeoutMs) => buffer.take(frameUuid, timeoutMs),
    get description() {
      return description;
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (socket.destroyed) return resolve();
        socket.once('close', () => resolve());
        socket.destroy();
      }),
  };
}

/** Parses `HOST:PORT` (or `PORT`, on 127.0.0.1). */
export function parseFibreAddress(text: string): { host: string; port: number } {
  const match = /^(?:(.+):)?(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[2]);
  if (!match || !(port >= 1 && port <= 65535)) throw new Error(`"${text}" is not HOST:PORT`);
  return { host: match[1] ?? '127.0.0.1', port };
}
