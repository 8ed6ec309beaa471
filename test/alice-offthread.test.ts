/**
 * No single message blocks Alice's event loop for long: while one client
 * asks for the largest PE_SYMBOLS answer, sends the largest content, runs
 * an EC frame of 2^16-bit blocks, or has the simulated emitter draw and emit
 * a frame of a million symbols, a second client's identification round
 * trips keep completing and the daemon (in a process of its own, measuring
 * its own event-loop delay) stays under a bound. On the event loop these
 * took seconds: 3 s for the answer, 1 to 1.7 s for the content, 0.5 s per
 * block, 0.5 s for each of the frame's symbols and its light.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlice } from '../src/alice/daemon.ts';
import { BobSession } from '../src/bob/session.ts';
import { runFrame } from '../src/bob/run-frame.ts';
import { symbolsPerAnswer } from '../src/alice/effects.ts';
import { MAX_CONTENT_VALUES } from '../src/alice/offload-tasks.ts';
import { DEFAULT_LIMITS } from '../src/alice/config.ts';
import { DEFAULT_MAX_CONTENT_LENGTH } from '../src/protocol/frame.ts';
import { CODES } from '../src/protocol/codes.ts';
import { createSimulatedAlice, MAX_SIM_SYMBOLS, type Offload } from '../src/sim/alice-sim.ts';
import { FRAME_UUID, TEST_SIM, tcpTestReceiver } from './support/alice.ts';
import { AliceProcess } from './support/alice-process-client.ts';
import type { DaemonStats } from './support/alice-process.ts';
import { RawClient, sealText, type Reply } from './support/raw-client.ts';

/**
 * The event-loop delay the daemon must stay under. Generous, for a shared
 * 2-core machine running other suites; off the loop the measured maximum
 * is a tenth of it or less (README, "Limits").
 */
const DELAY_BOUND_MS = 1000;
/** How long a heavy request may take on a loaded machine. */
const SLOW_MS = 120_000;

async function identified(port: number): Promise<RawClient> {
  const client = await RawClient.connect(port);
  expect((await client.identify()).name).toBe('IDENTIFICATION_RESPONSE');
  return client;
}

/** Runs `work` while a second client identifies again and again; each round trip must come back within RawClient's 5 s. */
async function whileProbing<T>(port: number, work: () => Promise<T>): Promise<{ result: T; roundTrips: number }> {
  const probe = await identified(port);
  let stop = false;
  let roundTrips = 0;
  const probing = (async () => {
    while (!stop) {
      expect((await probe.identify()).name).toBe('IDENTIFICATION_RESPONSE');
      roundTrips++;
    }
  })();
  try {
    const result = await work();
    return { result, roundTrips };
  } finally {
    stop = true;
    await probing;
    probe.close();
  }
}

/** While the work ran, the probing client was served (3 round trips at least) and the loop never blocked beyond the bound. */
async function expectLoopServed(alice: AliceProcess, roundTrips: number): Promise<DaemonStats> {
  expect(roundTrips).toBeGreaterThanOrEqual(3);
  const stats = await alice.stats();
  expect(stats.delayMaxMs).toBeLessThan(DELAY_BOUND_MS);
  return stats;
}

/** Sends a frame sealed by hand around a content given as text (our writer would take long over 64 MiB) and waits for the answer. */
async function sendText(client: RawClient, name: keyof typeof CODES, text: string): Promise<Reply> {
  client.socket.write(sealText(client.channel, CODES[name].code, text));
  const inbound = await client.next(SLOW_MS);
  if (inbound === null || inbound.kind !== 'message') throw new Error(`no readable answer: ${JSON.stringify(inbound)}`);
  return { name: inbound.message.name, content: inbound.message.content as Record<string, unknown> | null, inbound };
}

describe('the largest answer and the largest content are handled off the event loop', () => {
  let alice: AliceProcess;
  const symbols = symbolsPerAnswer(DEFAULT_LIMITS.max_answer_length);
  beforeAll(async () => {
    // One thread, whatever the machine: the test is about the loop, not the speed.
    alice = await AliceProcess.start({ worker_threads: 1, sim: { symbols: symbols + 1000 } });
  });
  afterAll(() => alice.stop());

  it(`a PE_SYMBOLS_RESPONSE of ${symbols} symbols (the 16 MiB answer limit) leaves the loop free`, async () => {
    const client = await identified(alice.port);
    for (const [name, content] of [
      ['INITIALIZATION_REQUEST', { frame_uuid: FRAME_UUID }],
      ['QIE_REQUEST', null],
      ['QIE_TRIGGER', null],
      ['QIE_ACQUISITION_ENDED', null],
    ] as const) {
      await client.request(name, content);
    }
    const indices = Array.from({ length: symbols }, (_, i) => i);
    const request = client.channel.seal(CODES.PE_SYMBOLS_REQUEST.code, { indices });
    await alice.resetDelay();
    const { result: reply, roundTrips } = await whileProbing(alice.port, async () => {
      client.socket.write(request);
      return client.next(SLOW_MS);
    });
    expect(reply?.kind === 'message' && reply.message.name).toBe('PE_SYMBOLS_RESPONSE');
    const content = reply?.kind === 'message' ? (reply.message.content as { symbols_real: number[]; symbols_imag: number[] }) : null;
    expect(content?.symbols_real).toHaveLength(symbols);
    expect(content?.symbols_imag).toHaveLength(symbols);
    expect((await expectLoopServed(alice, roundTrips)).workerThreads).toBe(1);
    // The answer is still in order: the next request gets its own answer.
    expect((await client.request('PE_NPHOTON_REQUEST')).name).toBe('PE_NPHOTON_RESPONSE');
    client.close();
  });

  it('a content of 64 MiB holding millions of numbers is refused without blocking the loop', async () => {
    const client = await identified(alice.port);
    // Integers of 8 digits and their separator: 10 bytes each, up to the content limit.
    const count = Math.floor((DEFAULT_MAX_CONTENT_LENGTH - 20) / 10);
    const text = `{"indices": [${Array.from({ length: count }, (_, i) => 10_000_000 + (i % 9_000_000)).join(', ')}]}`;
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(DEFAULT_MAX_CONTENT_LENGTH);
    await alice.resetDelay();
    const { result: reply, roundTrips } = await whileProbing(alice.port, () => sendText(client, 'PE_SYMBOLS_REQUEST', text));
    expect(reply.name).toBe('INVALID_CONTENT');
    expect(String(reply.content?.error_message)).toContain(`more than ${MAX_CONTENT_VALUES} values`);
    await expectLoopServed(alice, roundTrips);
    client.close();
  });

  it('a content of 64 MiB of text is read off the loop and answered with a short quote', async () => {
    const client = await identified(alice.port);
    const name = 'x'.repeat(DEFAULT_MAX_CONTENT_LENGTH - 64);
    const text = `{"parameter": "${name}", "value": 1}`;
    await alice.resetDelay();
    const { result: reply, roundTrips } = await whileProbing(alice.port, () => sendText(client, 'CHANGE_PARAMETER_REQUEST', text));
    expect(reply.name).toBe('PARAMETER_UNKOWN');
    expect(String(reply.content?.parameter)).toMatch(new RegExp(`^x{256}… \\(${name.length} characters\\)$`));
    await expectLoopServed(alice, roundTrips);
    client.close();
  });
});

describe('a full worker queue', () => {
  let alice: AliceProcess;
  beforeAll(async () => {
    alice = await AliceProcess.start({ worker_threads: 1, worker_queue: 0 });
  });
  afterAll(() => alice.stop());

  it('refuses a request whose content would wait for a thread: INVALID_CONTENT saying Alice is busy, and a log line', async () => {
    const slow = await identified(alice.port);
    const other = await identified(alice.port);
    const count = Math.floor((DEFAULT_MAX_CONTENT_LENGTH - 20) / 10);
    const text = `{"indices": [${Array.from({ length: count }, (_, i) => 10_000_000 + (i % 9_000_000)).join(', ')}]}`;
    // Once the daemon holds the whole frame as a content being read (nothing incomplete, nothing queued), the
    // 64 MiB content is with the only thread, for seconds.
    slow.socket.write(sealText(slow.channel, CODES.PE_SYMBOLS_REQUEST.code, text));
    const slowReply = slow.next(SLOW_MS);
    const reading = Buffer.byteLength(text) + 4;
    while ((await alice.stats()).bufferedBytes !== reading) await new Promise((r) => setTimeout(r, 50));
    const busy = await sendText(other, 'PE_SYMBOLS_REQUEST', `{"indices": [${new Array(300_000).fill(12_345_678).join(', ')}]}`);
    expect(busy.name).toBe('INVALID_CONTENT');
    expect(String(busy.content?.error_message)).toContain('Alice is busy, send it again');
    expect(alice.logged('worker queue full')).not.toHaveLength(0);
    const slowAnswer = await slowReply;
    expect(slowAnswer?.kind === 'message' && slowAnswer.message.name).toBe('INVALID_CONTENT');
    // The thread is free again: the same request is now read.
    expect((await sendText(other, 'PE_SYMBOLS_REQUEST', `{"indices": [${new Array(300_000).fill(12_345_678).join(', ')}]}`)).name).toBe('UNEXPECTED_COMMAND');
    slow.close();
    other.close();
  });
});

describe('error correction is decoded off the event loop', () => {
  let alice: AliceProcess;
  // 200 000 symbols, 20 000 revealed: 360 000 kept reals, five blocks of 2^16 bits (about 0.5 s each to decode).
  const frame = { symbols: 200_000, estimationSymbols: 20_000, blockLength: 1 << 16 };
  beforeAll(async () => {
    alice = await AliceProcess.start({ worker_threads: 1, sim: { ...TEST_SIM, symbols: frame.symbols } });
  });
  afterAll(() => alice.stop());

  it('an EC frame of 2^16-bit blocks leaves the loop free for another client', async () => {
    const session = await BobSession.connect({ port: alice.port });
    const bob = await tcpTestReceiver(alice, frame);
    try {
      let measuring: Promise<void> | null = null;
      const { result, roundTrips } = await whileProbing(alice.port, () =>
        runFrame(session, bob, {
          onPhase: (phase) => {
            // From the first EC message on: the frame's generation before it is another bound (sim.symbols).
            if (phase === 'error-correction') measuring = alice.resetDelay();
          },
        }),
      );
      await measuring;
      expect(result.status).toBe('completed');
      expect(result.blocks?.sent).toBe(5);
      expect((await expectLoopServed(alice, roundTrips)).workerThreads).toBe(1);
    } finally {
      await session.disconnect().catch(() => undefined);
      await bob.close?.();
    }
  });
});

describe('the simulated emitter draws and emits its largest frame off the event loop', () => {
  let alice: AliceProcess;
  beforeAll(async () => {
    alice = await AliceProcess.start({ worker_threads: 1, sim: { symbols: MAX_SIM_SYMBOLS } });
  });
  afterAll(() => alice.stop());

  it(`a QIE of ${MAX_SIM_SYMBOLS} symbols (QIE_REQUEST draws them, QIE_TRIGGER makes their light) leaves the loop free`, async () => {
    const client = await identified(alice.port);
    expect((await client.request('INITIALIZATION_REQUEST', { frame_uuid: FRAME_UUID })).name).toBe('INITIALIZATION_ACCEPTED');
    await alice.resetDelay();
    const { result: answers, roundTrips } = await whileProbing(alice.port, async () => {
      const names = [];
      for (const name of ['QIE_REQUEST', 'QIE_TRIGGER'] as const) {
        client.socket.write(client.channel.seal(CODES[name].code, null));
        const reply = await client.next(SLOW_MS);
        names.push(reply?.kind === 'message' ? reply.message.name : JSON.stringify(reply));
      }
      return names;
    });
    expect(answers).toEqual(['QIE_READY', 'QIE_EMISSION_STARTED']);
    expect((await expectLoopServed(alice, roundTrips)).workerThreads).toBe(1);
    expect((await client.request('QIE_ACQUISITION_ENDED')).name).toBe('QIE_ENDED');
    client.close();
  });
});

describe('a thread that fails the emitter', () => {
  it('fails the QIE_REQUEST or QIE_TRIGGER: ABORT saying why (the frame discarded, the emitter free)', async () => {
    const failing = (what: string) => () => Promise.reject(new Error(`${what}: the worker thread died`));
    const fails: Offload = { correctBlock: failing('block'), hashKey: failing('hash'), drawSymbols: failing('drawing'), propagate: failing('light') };
    const drawsOnly: Offload = { ...fails, drawSymbols: ({ count }) => Promise.resolve({ real: new Float64Array(count), imag: new Float64Array(count) }) };
    for (const [offload, failingRequest, why] of [
      [fails, 'QIE_REQUEST', "QIE_REQUEST failed: The frame's symbols were not drawn: drawing: the worker thread died."],
      [drawsOnly, 'QIE_TRIGGER', 'QIE_TRIGGER failed: Cannot start the emission: the light was not made: light: the worker thread died.'],
    ] as const) {
      const backend = createSimulatedAlice({ symbols: 1000 }, undefined, offload);
      const alice = await startAlice({ config: { port: 0 }, log: pino({ level: 'silent' }), backend });
      try {
        const client = await identified(alice.port);
        expect((await client.request('INITIALIZATION_REQUEST', { frame_uuid: FRAME_UUID })).name).toBe('INITIALIZATION_ACCEPTED');
        if (failingRequest === 'QIE_TRIGGER') expect((await client.request('QIE_REQUEST')).name).toBe('QIE_READY');
        const abort = await client.request(failingRequest);
        expect(abort.name).toBe('ABORT');
        expect(String(abort.content?.abort_message)).toContain(why);
        expect(backend.emitter.emitting).toBe(false);
        client.close();
      } finally {
        await alice.close();
      }
    }
  });
});
