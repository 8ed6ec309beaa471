/**
 * One emitter, several sessions: a QIE_REQUEST waits while another session
 * holds the emitter, up to `emitter_wait_seconds`, then gets ABORT; a session
 * that ends or vanishes hands the emitter to the next one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FRAME_UUID, OTHER_UUID, startTestAlice, type TestAlice } from './support/alice.ts';
import { RawClient, type Reply } from './support/raw-client.ts';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** 'waiting' when the reply has not come within ms. */
async function answeredWithin(reply: Promise<Reply>, ms: number): Promise<'answered' | 'waiting'> {
  return Promise.race([reply.then(() => 'answered' as const), sleep(ms).then(() => 'waiting' as const)]);
}

let alice: TestAlice | null = null;
const clients: RawClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await alice?.close();
  alice = null;
});

async function start(overrides: Record<string, unknown>): Promise<TestAlice> {
  alice = await startTestAlice(overrides);
  return alice;
}

/** A client identified and with an accepted frame. */
async function initialized(a: TestAlice, uuid: string): Promise<RawClient> {
  const client = await RawClient.connect(a.port);
  clients.push(client);
  expect((await client.identify()).name).toBe('IDENTIFICATION_RESPONSE');
  expect((await client.request('INITIALIZATION_REQUEST', { frame_uuid: uuid })).name).toBe('INITIALIZATION_ACCEPTED');
  return client;
}

/** Emission from QIE_TRIGGER to QIE_ENDED. */
async function emit(client: RawClient): Promise<void> {
  expect((await client.request('QIE_TRIGGER')).name).toBe('QIE_EMISSION_STARTED');
  expect((await client.request('QIE_ACQUISITION_ENDED')).name).toBe('QIE_ENDED');
}

describe('the shared emitter', () => {
  it("B's QIE_REQUEST waits while A emits, and is READY when A's QIE ends", async () => {
    const a = await start({ emitter_wait_seconds: 5 });
    const clientA = await initialized(a, FRAME_UUID);
    const clientB = await initialized(a, OTHER_UUID);

    expect((await clientA.request('QIE_REQUEST')).name).toBe('QIE_READY');
    const ownerA = a.server.emitterOwner;
    expect(ownerA).not.toBeNull();

    const pendingB = clientB.request('QIE_REQUEST');
    expect(await answeredWithin(pendingB, 200)).toBe('waiting');
    expect(a.server.emitterOwner).toBe(ownerA);

    expect((await clientA.request('QIE_TRIGGER')).name).toBe('QIE_EMISSION_STARTED');
    expect(a.sim.emitter.emitting).toBe(true);
    expect(await answeredWithin(pendingB, 100)).toBe('waiting');

    expect((await clientA.request('QIE_ACQUISITION_ENDED')).name).toBe('QIE_ENDED');
    expect((await pendingB).name).toBe('QIE_READY');
    const ownerB = a.server.emitterOwner;
    expect(ownerB).not.toBeNull();
    expect(ownerB).not.toBe(ownerA);

    await emit(clientB);
    expect(a.server.emitterOwner).toBeNull();
    // A went on with its frame meanwhile: its estimation was not disturbed.
    expect((await clientA.request('PE_NPHOTON_REQUEST')).name).toBe('PE_NPHOTON_RESPONSE');
  });

  it('waiting sessions are served in order', async () => {
    const a = await start({ emitter_wait_seconds: 5 });
    const clientA = await initialized(a, FRAME_UUID);
    const clientB = await initialized(a, OTHER_UUID);
    const clientC = await initialized(a, FRAME_UUID);

    expect((await clientA.request('QIE_REQUEST')).name).toBe('QIE_READY');
    const pendingB = clientB.request('QIE_REQUEST');
    await sleep(20);
    const pendingC = clientC.request('QIE_REQUEST');
    expect(await answeredWithin(pendingB, 100)).toBe('waiting');

    await emit(clientA);
    expect((await pendingB).name).toBe('QIE_READY');
    expect(await answeredWithin(pendingC, 100)).toBe('waiting');
    await emit(clientB);
    expect((await pendingC).name).toBe('QIE_READY');
    await emit(clientC);
    expect(a.server.emitterOwner).toBeNull();
  });

  it('after emitter_wait_seconds, ABORT saying the emitter is in use; B keeps its session, A keeps emitting', async () => {
    const a = await start({ emitter_wait_seconds: 0.3 });
    const clientA = await initialized(a, FRAME_UUID);
    const clientB = await initialized(a, OTHER_UUID);

    expect((await clientA.request('QIE_REQUEST')).name).toBe('QIE_READY');
    expect((await clientA.request('QIE_TRIGGER')).name).toBe('QIE_EMISSION_STARTED');
    const ownerA = a.server.emitterOwner;

    const started = Date.now();
    const refused = await clientB.request('QIE_REQUEST');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(refused).toMatchObject({ name: 'ABORT', content: { abort_message: expect.stringContaining('emitter is in use') } });

    // A's emission is untouched by B's failure.
    expect(a.sim.emitter.emitting).toBe(true);
    expect(a.server.emitterOwner).toBe(ownerA);

    // B's session is kept: identified, back to initialization.
    expect((await clientB.request('QIE_REQUEST')).name).toBe('UNEXPECTED_COMMAND');
    expect((await clientB.request('INITIALIZATION_REQUEST', { frame_uuid: OTHER_UUID })).name).toBe('INITIALIZATION_ACCEPTED');

    expect((await clientA.request('QIE_ACQUISITION_ENDED')).name).toBe('QIE_ENDED');
    expect((await clientB.request('QIE_REQUEST')).name).toBe('QIE_READY');
    await emit(clientB);
  });

  it('if A vanishes while B waits, B gets the emitter', async () => {
    const a = await start({ emitter_wait_seconds: 5 });
    const clientA = await initialized(a, FRAME_UUID);
    const clientB = await initialized(a, OTHER_UUID);

    expect((await clientA.request('QIE_REQUEST')).name).toBe('QIE_READY');
    expect((await clientA.request('QIE_TRIGGER')).name).toBe('QIE_EMISSION_STARTED');
    const ownerA = a.server.emitterOwner;

    const pendingB = clientB.request('QIE_REQUEST');
    expect(await answeredWithin(pendingB, 200)).toBe('waiting');

    clientA.socket.destroy();
    expect((await pendingB).name).toBe('QIE_READY');
    expect(a.server.emitterOwner).not.toBe(ownerA);
    expect(a.server.emitterOwner).not.toBeNull();
    // A's emission was stopped when it vanished.
    expect(a.sim.emitter.emitting).toBe(false);

    expect((await clientB.request('QIE_TRIGGER')).name).toBe('QIE_EMISSION_STARTED');
    expect(a.sim.emitter.emitting).toBe(true);
    expect((await clientB.request('QIE_ACQUISITION_ENDED')).name).toBe('QIE_ENDED');
    expect(a.server.emitterOwner).toBeNull();
  });

  it('if A aborts while B waits, B gets the emitter', async () => {
    const a = await start({ emitter_wait_seconds: 5 });
    const clientA = await initialized(a, FRAME_UUID);
    const clientB = await initialized(a, OTHER_UUID);

    expect((await clientA.request('QIE_REQUEST')).name).toBe('QIE_READY');
    const pendingB = clientB.request('QIE_REQUEST');
    expect(await answeredWithin(pendingB, 150)).toBe('waiting');

    expect((await clientA.request('ABORT')).name).toBe('ABORT_ACK');
    expect((await pendingB).name).toBe('QIE_READY');
    await emit(clientB);
  });

  it('a waiting B that vanishes is withdrawn from the queue', async () => {
    const a = await start({ emitter_wait_seconds: 5 });
    const clientA = await initialized(a, FRAME_UUID);
    const clientB = await initialized(a, OTHER_UUID);
    const clientC = await initialized(a, FRAME_UUID);

    expect((await clientA.request('QIE_REQUEST')).name).toBe('QIE_READY');
    const pendingB = clientB.request('QIE_REQUEST').catch((error: Error) => error);
    await sleep(20);
    const pendingC = clientC.request('QIE_REQUEST');
    expect(await answeredWithin(pendingC, 100)).toBe('waiting');

    clientB.socket.destroy();
    expect(await pendingB).toBeInstanceOf(Error);
    await emit(clientA);
    expect((await pendingC).name).toBe('QIE_READY');
    await emit(clientC);
    expect(a.server.emitterOwner).toBeNull();
  });
});
