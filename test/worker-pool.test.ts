/**
 * Alice's worker pool on its own: tasks run on threads started on first
 * use, the queue is bounded (an owed answer excepted), a thread that dies
 * fails its task and is replaced, and closing stops every thread.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_CONTENT_VALUES } from '../src/alice/offload-tasks.ts';
import { PoolBusyError, PoolClosedError, WorkerDiedError, WorkerPool } from '../src/alice/worker-pool.ts';
import { CODES } from '../src/protocol/codes.ts';
import { parseJsonBytes } from '../src/protocol/json.ts';

const log = pino({ level: 'silent' });
const pools: WorkerPool[] = [];
afterEach(async () => {
  for (const pool of pools.splice(0)) await pool.close();
});

function pool(size: number, queueLimit = 4, heapMiB?: number): WorkerPool {
  const p = new WorkerPool({ size, queueLimit, log, ...(heapMiB === undefined ? {} : { heapMiB }) });
  pools.push(p);
  return p;
}

const bytes = (text: string) => new Uint8Array(Buffer.from(text));
const code = CODES.PE_SYMBOLS_REQUEST.code;

describe('the worker pool', () => {
  it('reads a content on a thread, started on first use, and hands back the validated value', async () => {
    const p = pool(1);
    expect(p.running).toBe(0);
    const read = await p.run('decodeContent', { code, content: bytes('{"indices": [3, 1, 2]}') });
    expect(read).toEqual({ ok: true, name: 'PE_SYMBOLS_REQUEST', valid: { ok: true, content: { indices: [3, 1, 2] } } });
    expect(p.running).toBe(1);
    expect(await p.run('decodeContent', { code, content: bytes('{"indices": [-1]}') })).toMatchObject({ ok: true, valid: { ok: false } });
    expect(await p.run('decodeContent', { code, content: bytes('[1]') })).toEqual({ ok: false, error: 'FRAME_ERROR', reason: 'content is not a JSON object' });
    expect(p.running).toBe(1);
  });

  it('refuses a content of more values than MAX_CONTENT_VALUES, and cuts values nested deeper than a clone can go', async () => {
    const p = pool(1);
    const many = `{"indices": [${new Array(MAX_CONTENT_VALUES).fill(0).join(', ')}]}`;
    expect(await p.run('decodeContent', { code, content: bytes(many) })).toMatchObject({
      ok: true,
      valid: { ok: false, error: `PE_SYMBOLS_REQUEST: more than ${MAX_CONTENT_VALUES} values in one content (Alice's limit)` },
    });
    const depth = 100_000;
    const deep = `{"parameter": "qi.frame.roll_off", "value": ${'['.repeat(depth)}${']'.repeat(depth)}}`;
    const read = await p.run('decodeContent', { code: CODES.CHANGE_PARAMETER_REQUEST.code, content: bytes(deep) });
    expect(read.ok && read.valid.ok).toBe(true);
    let level = 0;
    let value = read.ok && read.valid.ok ? (read.valid.content as { value: unknown }).value : undefined;
    while (Array.isArray(value)) {
      value = value[0];
      level++;
    }
    // The content object is level 0, its value level 1: cut at the thousandth.
    expect(level).toBe(999);
    expect(value).toBeNull();
  });

  it('reads the largest honest content, a PA_REQUEST whose seed covers a 10^6-symbol frame at 0 km', async () => {
    const p = pool(1);
    // 15 blocks of 2^16 reconciled bits and a 180 000-bit key: a Toeplitz seed of n + m - 1 bits.
    const seedBits = 15 * 65536 + 180_000 - 1;
    const seed = Array.from({ length: seedBits }, (_, i) => (i * 7) % 3 & 1).join(', ');
    const text = `{"seed": [${seed}], "secret_key_length": 180000, "subblock_length": 65536, "feedback_polynomial": [1, 0, 1]}`;
    const read = await p.run('decodeContent', { code: CODES.PA_REQUEST.code, content: bytes(text) });
    expect(read.ok && read.valid.ok).toBe(true);
    expect(read.ok && read.valid.ok ? (read.valid.content as { seed: number[] }).seed.length : 0).toBe(seedBits);
    expect(seedBits).toBeLessThan(MAX_CONTENT_VALUES);
  });

  it('writes an answer with its digest, the number lists moved as Float64Array', async () => {
    const p = pool(1);
    const msg = { code: CODES.PE_SYMBOLS_RESPONSE.code, content: { symbols_real: new Float64Array([0.5, -0]), symbols_imag: new Float64Array([1e-5, 2]) }, challenge: 'A', nextChallenge: 'B' };
    const { frame, digest } = await p.run('encodeAnswer', { msg, signatureLength: 32, order: 'deployed' });
    const headerLength = Buffer.from(frame.buffer, frame.byteOffset, 2).readUInt16BE(0);
    const content = Buffer.from(frame.buffer, frame.byteOffset + 4 + 32 + headerLength);
    expect(content.toString()).toBe('{"symbols_real": [0.5, -0.0], "symbols_imag": [1e-05, 2]}');
    expect(parseJsonBytes(content).ok).toBe(true);
    expect(digest.length).toBe(32);
  });

  it('bounds its queue: a request beyond it is refused as busy, an owed answer is not', async () => {
    const p = pool(1, 1);
    const big = bytes(`{"indices": [${new Array(200_000).fill(7).join(', ')}]}`);
    const running = p.run('decodeContent', { code, content: big });
    const waiting = p.run('decodeContent', { code, content: big });
    await expect(p.run('decodeContent', { code, content: big })).rejects.toBeInstanceOf(PoolBusyError);
    const owed = p.run('decodeContent', { code, content: bytes('{"indices": []}') }, { owed: true });
    await expect(Promise.all([running, waiting, owed])).resolves.toHaveLength(3);
  });

  it('a task that throws, on a thread or in place, fails with its error and a log line', async () => {
    for (const size of [1, 0]) {
      const lines: string[] = [];
      const logged = new WorkerPool({ size, queueLimit: 4, log: pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) }) });
      pools.push(logged);
      const stream = { key: new Uint8Array(32), offset: 0 };
      await expect(logged.run('drawSymbols', { stream, count: -1, variance: 1 })).rejects.toThrow('sample count must be a non-negative integer, got -1');
      expect(lines.map((line) => JSON.parse(line) as { msg: string; task: string })).toContainEqual(expect.objectContaining({ msg: 'worker task failed', task: 'drawSymbols' }));
    }
  });

  it('a thread that dies (out of memory here) fails its task and is replaced', async () => {
    const p = pool(1, 4, 32);
    // A million small objects: the heap grows step by step until the thread's limit stops it.
    const huge = bytes(`{"indices": [${new Array(1_000_000).fill('{"a": [1]}').join(', ')}]}`);
    await expect(p.run('decodeContent', { code, content: huge })).rejects.toBeInstanceOf(WorkerDiedError);
    expect(await p.run('decodeContent', { code, content: bytes('{"indices": [1]}') })).toMatchObject({ ok: true, valid: { ok: true } });
    expect(p.running).toBe(1);
  });

  it('with no thread, runs each task in place', async () => {
    const p = pool(0);
    expect(await p.run('decodeContent', { code, content: bytes('{"indices": [5]}') })).toMatchObject({ valid: { content: { indices: [5] } } });
    expect(p.running).toBe(0);
  });

  it('closing fails what waits and stops the threads', async () => {
    const p = pool(1, 4);
    const big = bytes(`{"indices": [${new Array(200_000).fill(7).join(', ')}]}`);
    const tasks = [p.run('decodeContent', { code, content: big }), p.run('decodeContent', { code, content: big })].map((t) => t.catch((e: unknown) => e));
    await p.close();
    for (const outcome of await Promise.all(tasks)) expect(outcome).toBeInstanceOf(PoolClosedError);
    expect(p.running).toBe(0);
    await expect(p.run('decodeContent', { code, content: big })).rejects.toBeInstanceOf(PoolClosedError);
  });
});
