/** The Stately inspector, streamed to a local WebSocket receiver: a whole frame's actors, events and states arrive. */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { connect } from '../src/bob/session.ts';
import { runFrame } from '../src/bob/run-frame.ts';
import { createInspection, InspectTargetError } from '../src/inspect.ts';
import { startTcpFibreAlice, tcpTestReceiver, testReceiverArgs } from './support/alice.ts';

interface Received {
  type: string;
  rootId?: string;
  name?: string;
  event?: { type: string };
  snapshot?: { value?: unknown };
}

let receiver: WebSocketServer;
let url: string;
const received: Received[] = [];
let alice: Awaited<ReturnType<typeof startTcpFibreAlice>>;
let inspection: ReturnType<typeof createInspection>;

beforeAll(async () => {
  receiver = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(receiver, 'listening');
  url = `ws://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  receiver.on('connection', (socket) => socket.on('message', (data) => received.push(JSON.parse(String(data)) as Received)));
  inspection = createInspection(url, () => undefined);
  alice = await startTcpFibreAlice({}, { inspect: inspection.inspect });
});

afterAll(async () => {
  await alice.close();
  await inspection.stop();
  receiver.close();
});

it('streams a whole frame of Alice and Bob to a ws:// receiver', async () => {
  const bob = await connect({ port: alice.port, inspect: inspection.inspect });
  const receiver = await tcpTestReceiver(alice);
  const result = await runFrame(bob, receiver);
  await receiver.close();
  expect(result.status).toBe('completed');
  await bob.disconnect();

  await expect.poll(() => received.some((e) => e.type === '@xstate.snapshot' && JSON.stringify(e.snapshot?.value) === '"disconnected"'), { timeout: 5000 }).toBe(true);
  const actors = received.filter((e) => e.type === '@xstate.actor').map((e) => e.name);
  expect(actors).toEqual(expect.arrayContaining(['alice-s1', 'bob']));
  const events = new Set(received.filter((e) => e.type === '@xstate.event').map((e) => e.event!.type));
  for (const name of ['IDENTIFICATION_REQUEST', 'QIE_TRIGGER', 'PE_FINISHED', 'EC_VERIFICATION', 'PA_REQUEST', 'FRAME_ENDED', 'request.QIE_REQUEST', 'answer.FRAME_ENDED_ACK']) {
    expect(events, name).toContain(name);
  }
  const states = received.filter((e) => e.type === '@xstate.snapshot').map((e) => JSON.stringify(e.snapshot?.value) ?? '');
  for (const stage of ['quantum-information-exchange', 'parameter-estimation', 'error-correction', 'privacy-amplification', 'end-of-frame']) {
    expect(states.some((s) => s.includes(stage)), stage).toBe(true);
  }
});

it('bob run --inspect ws:// streams the CLI\'s frames', async () => {
  const before = received.length;
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'src/cli/bob.ts', 'run', '--frames', '1', '--json', '--port', String(alice.port), ...testReceiverArgs(alice), '--inspect', url],
    { cwd: new URL('..', import.meta.url).pathname },
  );
  expect(JSON.parse(stdout).counts.completed).toBe(1);
  await expect
    .poll(() => received.slice(before).some((e) => e.type === '@xstate.event' && e.event?.type === 'answer.FRAME_ENDED_ACK'), {
      timeout: 10_000,
      message: `no FRAME_ENDED_ACK from the CLI's inspector; its stderr: ${stderr}`,
    })
    .toBe(true);
});

it('refuses a target that is neither sky nor ws://', () => {
  expect(() => createInspection('http://example', () => undefined)).toThrow(InspectTargetError);
});
