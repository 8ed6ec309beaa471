/** A raw TCP stand-in for Alice on our codec (no authentication): each test decides how it answers. */
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { noneAuthenticator } from '../../src/protocol/auth/none.ts';
import { Channel, type Inbound } from '../../src/protocol/channel.ts';
import { FrameDecoder } from '../../src/protocol/frame.ts';

export interface ScriptedConnection {
  reply(code: number, content: object | null): void;
  /** Closes after what was written. */
  end(): void;
  destroy(): void;
}

export interface ScriptedAlice {
  port: number;
  close(): Promise<void>;
}

export async function startScriptedAlice(handle: (inbound: Inbound, connection: ScriptedConnection) => void): Promise<ScriptedAlice> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const channel = new Channel('alice', noneAuthenticator);
    const decoder = new FrameDecoder();
    const connection: ScriptedConnection = {
      reply: (code, content) => socket.write(channel.seal(code, content)),
      end: () => socket.end(),
      destroy: () => socket.destroy(),
    };
    socket.on('data', (chunk: Buffer) => {
      for (const decoded of decoder.push(chunk)) {
        if (socket.destroyed) return;
        handle(channel.open(decoded), connection);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
