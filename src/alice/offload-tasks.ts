/**
 * The work Alice moves off her event loop, as plain functions of
 * structured-clonable arguments: run by a worker thread
 * (offload-worker.ts), or in place when the pool has no thread. Each
 * returns its result and the buffers to transfer rather than copy.
 */
import { encodeUnsigned, interpretContent, type FrameErrorName, type HeaderOrder, type OutgoingMessage, type UnsignedFrame } from '../protocol/frame.ts';
import type { MessageName } from '../protocol/codes.ts';
import { validateContent } from '../protocol/schemas.ts';
import { aliceBlock, type AliceBlock } from '../postprocessing/reconciliation.ts';
import { toeplitzHash } from '../postprocessing/toeplitz.ts';
import type { BlockToCorrect, KeyToHash, LightToMake, SymbolsToDraw } from '../sim/alice-sim.ts';
import { propagate } from '../sim/fibre.ts';
import type { Light } from '../sim/fibre-link.ts';
import { normalsFrom } from '../sim/gaussian-source.ts';

/**
 * Values (numbers, strings, booleans, nulls, lists, objects, counted through
 * nesting) one content may decode to. Handing a decoded value back to the
 * main thread costs about 0.05 µs per value there (4 Mi: about 0.1 to
 * 0.2 s on a loaded machine). The largest honest content is a PA_REQUEST:
 * its Toeplitz seed has n + m - 1 bits, one value each, for n reconciled
 * bits and m <= n key bits; the simulated emitter's largest frame (10^6
 * symbols, 2·10^6 reals) keeps n under 2·10^6.
 */
export const MAX_CONTENT_VALUES = 4_194_304;

/**
 * Deeper values are cut at this level in a content read off the main
 * thread: a structured clone recurses, and Python's json refuses such
 * nesting anyway (RecursionError near 1000). What is cut is replaced by
 * null; no schema or parameter takes values nested this deep.
 */
export const MAX_CLONED_DEPTH = 1000;

export type DecodedContent =
  | { ok: true; name: MessageName; valid: { ok: true; content: Record<string, unknown> | null } | { ok: false; error: string } }
  | { ok: false; error: FrameErrorName; reason: string };

export interface DecodeArgs {
  code: number;
  content: Uint8Array;
}

export interface EncodeArgs {
  msg: OutgoingMessage;
  signatureLength: number;
  order: HeaderOrder;
}

interface Done<R> {
  result: R;
  transfer: ArrayBuffer[];
}

/** The values in `value`, and whether it is nested deeper than MAX_CLONED_DEPTH; stops counting past `limit`. */
function measure(value: unknown, limit: number): { values: number; tooDeep: boolean } {
  let values = 0;
  let tooDeep = false;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0 && values <= limit) {
    const [v, depth] = stack.pop()!;
    values++;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= MAX_CLONED_DEPTH) {
      tooDeep = true;
      continue;
    }
    if (Array.isArray(v)) {
      for (const x of v) {
        if (typeof x === 'object' && x !== null) stack.push([x, depth + 1]);
        else values++;
      }
    } else for (const key in v) stack.push([(v as Record<string, unknown>)[key], depth + 1]);
  }
  return { values, tooDeep };
}

/** A copy of `value` with everything below MAX_CLONED_DEPTH replaced by null (iterative: the value may be 10^7 levels deep). */
function cutDeep(value: unknown): unknown {
  const root: { v: unknown } = { v: undefined };
  const stack: [unknown, Record<string, unknown> | unknown[], string | number, number][] = [[value, root as Record<string, unknown>, 'v', 0]];
  while (stack.length > 0) {
    const [v, parent, key, depth] = stack.pop()!;
    let copy: unknown = v;
    if (typeof v === 'object' && v !== null) {
      if (depth >= MAX_CLONED_DEPTH) copy = null;
      else if (Array.isArray(v)) {
        const out: unknown[] = new Array(v.length);
        v.forEach((x, i) => stack.push([x, out, i, depth + 1]));
        copy = out;
      } else {
        const out: Record<string, unknown> = {};
        for (const k in v) stack.push([(v as Record<string, unknown>)[k], out, k, depth + 1]);
        copy = out;
      }
    }
    (parent as Record<string | number, unknown>)[key] = copy;
  }
  return root.v;
}

/** Reads and validates a content, as the connection would: what it hands back is bounded by MAX_CONTENT_VALUES. */
export function decodeContent({ code, content }: DecodeArgs): Done<DecodedContent> {
  const read = interpretContent(code, content);
  if (!read.ok) return { result: read, transfer: [] };
  const valid = validateContent(read.name, read.content);
  if (!valid.ok) return { result: { ok: true, name: read.name, valid }, transfer: [] };
  const { values, tooDeep } = measure(valid.content, MAX_CONTENT_VALUES);
  if (values > MAX_CONTENT_VALUES) {
    const error = `${read.name}: more than ${MAX_CONTENT_VALUES} values in one content (Alice's limit)`;
    return { result: { ok: true, name: read.name, valid: { ok: false, error } }, transfer: [] };
  }
  const checked = (tooDeep ? cutDeep(valid.content) : valid.content) as Record<string, unknown> | null;
  return { result: { ok: true, name: read.name, valid: { ok: true, content: checked } }, transfer: [] };
}

/** A buffer that can be transferred without taking anything else with it (a copy when it shares its memory). */
function owned<B extends Uint8Array>(bytes: B): B | Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes);
}

/** Lists of numbers in an answer's top level travel as Float64Array (transferred, not cloned value by value). */
export function packContent(content: object): { content: Record<string, unknown>; transfer: ArrayBuffer[] } {
  const out: Record<string, unknown> = {};
  const transfer: ArrayBuffer[] = [];
  for (const [key, value] of Object.entries(content)) {
    if (Array.isArray(value) && value.length > 0 && value.every((x) => typeof x === 'number')) {
      const packed = Float64Array.from(value as number[]);
      transfer.push(packed.buffer);
      out[key] = packed;
    } else out[key] = value;
  }
  return { content: out, transfer };
}

function unpackContent(content: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(content)) out[key] = value instanceof Float64Array ? Array.from(value) : value;
  return out;
}

/** The frame of an answer, unsigned (the key stays on the main thread), with its digest. */
export function encodeAnswer({ msg, signatureLength, order }: EncodeArgs): Done<UnsignedFrame> {
  const content = msg.content == null ? msg.content : unpackContent(msg.content as Record<string, unknown>);
  const { frame, digest } = encodeUnsigned({ ...msg, content }, signatureLength, order);
  const whole = owned(frame);
  return { result: { frame: Buffer.from(whole.buffer, whole.byteOffset, whole.byteLength), digest }, transfer: [whole.buffer as ArrayBuffer] };
}

/** Alice's correction of one reconciliation block (src/postprocessing/reconciliation.ts). */
export function correctBlock({ codeId, dimension, x, syndrome, sideInformation, model }: BlockToCorrect): Done<AliceBlock> {
  const result = aliceBlock(codeId, dimension, x, { syndrome, sideInformation }, model);
  if (!result.ok) return { result, transfer: [] };
  // A copy: the decoder's own buffers must not be taken from it.
  const bits = result.bits.slice();
  return { result: { ...result, bits }, transfer: [bits.buffer] };
}

/** Privacy amplification's Toeplitz hash (src/postprocessing/toeplitz.ts): about 0.3 s for 5 blocks of 2^16 bits. */
export function hashKey({ key, diagonal, outputLength, subblockLength }: KeyToHash): Done<Uint8Array> {
  const bits = toeplitzHash(key, diagonal, outputLength, subblockLength);
  return { result: bits, transfer: [bits.buffer as ArrayBuffer] };
}

/** A simulated frame's symbols (src/sim/alice-sim.ts): about 0.5 s for a million; the same as drawn on the event loop. */
export function drawSymbols({ stream, count, variance }: SymbolsToDraw): Done<{ real: Float64Array; imag: Float64Array }> {
  const random = normalsFrom(stream);
  const real = random.normals(count, variance);
  const imag = random.normals(count, variance);
  return { result: { real, imag }, transfer: [real.buffer as ArrayBuffer, imag.buffer as ArrayBuffer] };
}

/** The simulated fibre's output for a frame (src/sim/fibre.ts): about 0.5 s for a million symbols; the same as on the event loop. */
export function propagateLight({ frameUuid, real, imag, fibre, stream }: LightToMake): Done<Light> {
  const light = propagate(frameUuid, { real, imag }, fibre, normalsFrom(stream));
  return { result: light, transfer: [light.real.buffer as ArrayBuffer, light.imag.buffer as ArrayBuffer] };
}

export const TASKS = { decodeContent, encodeAnswer, correctBlock, hashKey, drawSymbols, propagateLight } as const;

export type TaskName = keyof typeof TASKS;
export type TaskArgs<T extends TaskName> = Parameters<(typeof TASKS)[T]>[0];
export type TaskResult<T extends TaskName> = ReturnType<(typeof TASKS)[T]>['result'];
