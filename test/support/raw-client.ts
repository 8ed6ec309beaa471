/** A bare protocol client for tests: real TCP, our codec, no driver logic. */
import { once } from 'node:events';
import { createConnection, type Socket } from 'node:net';
import type { Authenticator } from '../../src/protocol/auth/authenticator.ts';
import { noneAuthenticator } from '../../src/protocol/auth/none.ts';
import { Channel, type Inbound } from '../../src/protocol/channel.ts';
import { CODES, type MessageName } from '../../src/protocol/codes.ts';
import { FrameDecoder, frameDigest } from '../../src/protocol/frame.ts';
import { pyStringify } from '../../src/protocol/json.ts';

export interface Reply {
  name: MessageName | string;
  content: Record<string, unknown> | null;
  inbound: Inbound;
}

export class RawClient {
  readonly channel: Channel;
  private readonly decoder = new FrameDecoder();
  private readonly inbox: Inbound[] = [];
  private waiter: (() => void) | null = null;
  ended = false;

  private constructor(readonly socket: Socket, auth: Authenticator) {
    this.channel = new Channel('bob', auth);
    socket.on('data', (chunk: Buffer) => {
      for (const d of this.decoder.push(chunk)) this.inbox.push(this.channel.open(d));
      this.waiter?.();
    });
    socket.on('close', () => {
      this.ended = true;
      this.waiter?.();
    });
    socket.on('error', () => undefined);
  }

  static async connect(port: number, auth: Authenticator = noneAuthenticator): Promise<RawClient> {
    const socket = createConnection(port, '127.0.0.1');
    await once(socket, 'connect');
    return new RawClient(socket, auth);
  }

  /** The next frame from Alice, or null once the connection is closed. */
  async next(timeoutMs = 5000): Promise<Inbound | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.inbox.length === 0) {
      if (this.ended) return null;
      if (Date.now() > deadline) throw new Error('no answer from Alice');
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, 50);
      });
    }
    return this.inbox.shift()!;
  }

  async request(name: MessageName, content: object | null = null): Promise<Reply> {
    this.socket.write(this.channel.seal(CODES[name].code, content));
    return this.reply();
  }

  /** Sends a code that may not exist. */
  async requestCode(code: number, content: object | null = null): Promise<Reply> {
    this.socket.write(this.channel.seal(code, content));
    return this.reply();
  }

  async reply(): Promise<Reply> {
    const inbound = await this.next();
    if (inbound === null) throw new Error('Alice closed the connection');
    if (inbound.kind !== 'message') throw new Error(`unreadable answer: ${JSON.stringify(inbound)}`);
    return { name: inbound.message.name, content: inbound.message.content as Record<string, unknown> | null, inbound };
  }

  async identify(version = 'QOSST/0.2'): Promise<Reply> {
    return this.request('IDENTIFICATION_REQUEST', { serial_number: 'QOSST/0002', qosst_version: version });
  }

  async closed(timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return this.ended;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Seals (auth none, deployed order) a frame whose content is given as JSON text, as the channel would: a content our writer would refuse, or take long over. */
export function sealText(channel: Channel, code: number, text: string): Buffer {
  const content = Buffer.from(text);
  const next = 'HANDSEALEDFRAME';
  const header = Buffer.from(pyStringify({ code, content_length: content.length, challenge: channel.chain.peer, next_challenge: next }));
  const fixed = Buffer.alloc(4);
  fixed.writeUInt16BE(header.length, 0);
  fixed.writeUInt16BE(32, 2);
  channel.chain.issue(next);
  return Buffer.concat([fixed, frameDigest(header, content), header, content]);
}
