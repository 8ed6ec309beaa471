/**
 * Random and mutated frames (fast-check, a bounded number of runs) thrown at
 * a running daemon in its own process over loopback TCP; then a clean frame
 * must still be served, the daemon must hold no buffered input and no
 * connection, and its event loop must not have stalled.
 */
import fc from 'fast-check';
import { createConnection, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noneAuthenticator } from '../src/protocol/auth/none.ts';
import { Channel } from '../src/protocol/channel.ts';
import { CODES, type MessageName } from '../src/protocol/codes.ts';
import { FRAME_UUID } from './support/alice.ts';
import { AliceProcess } from './support/alice-process-client.ts';
import { RawClient } from './support/raw-client.ts';

const RUNS = 120;
const DELAY_BOUND_MS = 1000;
const SEED = Number(process.env.FUZZ_SEED ?? 20261128);

const names = Object.keys(CODES) as MessageName[];

/** A frame as an honest fresh client would seal it: any code (known or not), any JSON content. */
const sealed = fc
  .record({
    code: fc.oneof(fc.constantFrom(...names.map((n) => CODES[n].code)), fc.integer({ min: -5, max: 70_000 })),
    content: fc.option(fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }), { nil: null }),
  })
  .map(({ code, content }) => new Channel('bob', noneAuthenticator).seal(code, content));

type Mutation = { kind: 'flip'; at: number; bit: number } | { kind: 'cut'; at: number } | { kind: 'insert'; at: number; bytes: Uint8Array } | { kind: 'length'; which: 0 | 1; value: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('length' as const), which: fc.constantFrom(0 as const, 1 as const), value: fc.integer({ min: 0, max: 0xffff }) }),
);

function mutate(frame: Buffer, m: Mutation): Buffer {
  const out = Buffer.from(frame);
  switch (m.kind) {
    case 'flip':
      out[m.at % out.length]! ^= 1 << m.bit;
      return out;
    case 'cut':
      return out.subarray(0, m.at % out.length);
    case 'insert': {
      const at = m.at % out.length;
      return Buffer.concat([out.subarray(0, at), m.bytes, out.subarray(at)]);
    }
    case 'length':
      out.writeUInt16BE(m.value, m.which * 2);
      return out;
  }
}

/** What a run sends: random bytes, or frames (each maybe mutated), maybe after a valid identification. */
const attack = fc.record({
  identify: fc.boolean(),
  chunks: fc.oneof(
    fc.array(fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)), { minLength: 1, maxLength: 3 }),
    fc.array(fc.tuple(sealed, fc.option(mutation, { nil: undefined })).map(([f, m]) => (m ? mutate(f, m) : f)), { minLength: 1, maxLength: 4 }),
  ),
});

/** Sends the chunks, half-closes, and waits until the daemon has closed its side. */
async function throwAt(port: number, identify: boolean, chunks: Buffer[]): Promise<void> {
  let socket: Socket;
  if (identify) {
    const client = await RawClient.connect(port);
    await client.identify();
    socket = client.socket;
  } else {
    socket = createConnection(port, '127.0.0.1');
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  }
  socket.resume();
  const done = new Promise<void>((resolve) => (socket.closed ? resolve() : socket.once('close', () => resolve())));
  for (const chunk of chunks) if (!socket.destroyed) socket.write(chunk);
  if (!socket.destroyed) socket.end();
  const timer = setTimeout(() => socket.destroy(), 5000);
  await done;
  clearTimeout(timer);
}

describe('fuzz: random and mutated frames at a running daemon', () => {
  let alice: AliceProcess;
  beforeAll(async () => {
    // A man-in-the-middle refusal of 127.0.0.1 would end the fuzzing early: these failures are on purpose.
    alice = await AliceProcess.start({ max_auth_failures: 1_000_000, sim: { symbols: 2000 } });
  });
  afterAll(() => alice.stop());

  it(`${RUNS} runs, then a clean frame is served`, async () => {
    await alice.resetDelay();
    await fc.assert(
      fc.asyncProperty(attack, async ({ identify, chunks }) => {
        await throwAt(alice.port, identify, chunks);
      }),
      { numRuns: RUNS, seed: SEED },
    );
    const client = await RawClient.connect(alice.port);
    expect((await client.identify()).name).toBe('IDENTIFICATION_RESPONSE');
    const answers: string[] = [];
    for (const [name, content] of [
      ['INITIALIZATION_REQUEST', { frame_uuid: FRAME_UUID }],
      ['QIE_REQUEST', null],
      ['QIE_TRIGGER', null],
      ['QIE_ACQUISITION_ENDED', null],
      ['PE_FINISHED', { transmittance: 0.5, excess_noise: 0.1, key_rate: 0 }],
      ['DISCONNECTION', null],
    ] as [MessageName, object | null][])
      answers.push((await client.request(name, content)).name);
    expect(answers).toEqual(['INITIALIZATION_ACCEPTED', 'QIE_READY', 'QIE_EMISSION_STARTED', 'QIE_ENDED', 'PE_DENIED', 'DISCONNECTION_ACK']);
    client.close();
    const stats = await alice.stats();
    expect(stats.delayMaxMs).toBeLessThan(DELAY_BOUND_MS);
    expect(stats.bufferedBytes).toBe(0);
    expect(alice.logged('internal error')).toEqual([]);
    expect(alice.logged('unexpected')).toEqual([]);
  }, 120_000);
});
