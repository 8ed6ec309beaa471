/** Bob's TCP adapter: a socket, the frame codec and the challenge chain; no protocol logic. */
import { once } from 'node:events';
import { createConnection, type Socket } from 'node:net';
import type { Authenticator } from '../protocol/auth/authenticator.ts';
import { Channel, type Inbound } from '../protocol/channel.ts';
import { FrameDecoder, type FrameOptions } from '../protocol/frame.ts';

export interface LinkOptions {
  host: string;
  port: number;
  auth: Authenticator;
  frame: FrameOptions;
  connectTimeoutMs: number;
}

export class Link {
  private readonly decoder: FrameDecoder;
  private readonly channel: Channel;
  private open = true;

  private constructor(
    private readonly socket: Socket,
    options: LinkOptions,
    onInbound: (inbound: Inbound) => void,
    onClose: () => void,
  ) {
    this.decoder = new FrameDecoder(options.frame);
    this.channel = new Channel('bob', options.auth, { headerOrder: options.frame.headerOrder });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      for (const decoded of this.decoder.push(chunk)) onInbound(this.channel.open(decoded));
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.open = false;
      onClose();
    });
  }

  static async connect(options: LinkOptions, onInbound: (i: Inbound) => void, onClose: () => void): Promise<Link> {
    const socket = createConnection({ host: options.host, port: options.port });
    const timer = setTimeout(() => socket.destroy(new Error(`no connection to ${options.host}:${options.port} within ${options.connectTimeoutMs} ms`)), options.connectTimeoutMs);
    try {
      await Promise.race([once(socket, 'connect'), once(socket, 'error').then(([e]) => Promise.reject(e))]);
    } finally {
      clearTimeout(timer);
    }
    return new Link(socket, options, onInbound, onClose);
  }

  get isOpen(): boolean {
    return this.open;
  }

  send(code: number, content: object | null): void {
    this.socket.write(this.channel.seal(code, content));
  }

  close(): void {
    this.socket.end();
    this.socket.destroy();
  }
}
