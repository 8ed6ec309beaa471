/**
 * The baseline of the deployed-daemon benchmark: a raw TCP echo server in its
 * own process, no protocol work at all. It speaks like the daemon's logs (one
 * JSON line on standard output when listening, and a status line with its
 * `process.cpuUsage()` on SIGUSR2), so that `bench/deployed.ts` drives both
 * the same way.
 */
import { createServer, type AddressInfo } from 'node:net';

const line = (fields: object) => process.stdout.write(`${JSON.stringify(fields)}\n`);

const server = createServer((socket) => {
  socket.setNoDelay(true);
  socket.on('data', (chunk) => socket.write(chunk));
  socket.on('error', () => socket.destroy());
});
server.listen(0, '127.0.0.1', () => line({ msg: 'listening', port: (server.address() as AddressInfo).port }));
process.on('SIGUSR2', () => line({ msg: 'status', cpu: process.cpuUsage() }));
process.on('SIGTERM', () => process.exit(0));
