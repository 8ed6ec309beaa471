/** `npm start`: one identification and disconnection over loopback TCP through the codec. */
import { once } from 'node:events';
import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';
import { noneAuthenticator } from './protocol/auth/none.ts';
import { Channel, type Inbound } from './protocol/channel.ts';
import { Code } from './protocol/codes.ts';
import { FrameDecoder } from './protocol/frame.ts';

function inbox(socket: Socket, channel: Channel): () => Promise<Inbound> {
  const decoder = new FrameDecoder();
  const queue: Inbound[] = [];
  let wake: (() => void) | null = null;
  socket.on('data', (chunk: Buffer) => {
    for (const d of decoder.push(chunk)) queue.push(channel.open(d));
    wake?.();
  });
  return async () => {
    while (queue.length === 0) await new Promise<void>((r) => (wake = r));
    return queue.shift()!;
  };
}

const server = createServer((socket) => {
  const alice = new Channel('alice', noneAuthenticator);
  const next = inbox(socket, alice);
  void (async () => {
    for (;;) {
      const m = await next();
      if (m.kind !== 'message') return socket.destroy();
      if (m.message.name === 'IDENTIFICATION_REQUEST') socket.write(alice.seal(Code.IDENTIFICATION_RESPONSE, { serial_number: 'QOSST/0001' }));
      if (m.message.name === 'DISCONNECTION') return socket.end(alice.seal(Code.DISCONNECTION_ACK));
    }
  })();
});
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const { port } = server.address() as AddressInfo;
const socket = createConnection(port, '127.0.0.1');
const bob = new Channel('bob', noneAuthenticator);
const next = inbox(socket, bob);
for (const [code, content] of [
  [Code.IDENTIFICATION_REQUEST, { serial_number: 'QOSST/0002', qosst_version: 'QOSST/0.2' }],
  [Code.DISCONNECTION, null],
] as const) {
  socket.write(bob.seal(code, content));
  const answer = await next();
  console.log(answer.kind === 'message' ? `answer: ${answer.message.name} ${JSON.stringify(answer.message.content)}` : answer);
}
socket.destroy();
server.close();
