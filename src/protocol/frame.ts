/**
 * The frame: a 4-byte fixed header (two big-endian 16-bit lengths), the
 * signed digest, the JSON header, the JSON content.
 *
 * The deployed peers put the header length first and the digest length
 * second (wire notes 1); the prose of the specification says the opposite.
 * `deployed` is the default, `spec` an explicit option.
 */
import { createHash, hash } from 'node:crypto';
import type { Authenticator } from './auth/authenticator.ts';
import { codeName, type MessageName } from './codes.ts';
import { isAscii } from 'node:buffer';
import { isJsonObject, parseJsonBytes, pyString, pyStringify, type JsonObject, type ParseResult } from './json.ts';

export type HeaderOrder = 'deployed' | 'spec';

/** 64 MiB: room for a million PE symbols or a large syndrome, far below memory trouble. */
export const DEFAULT_MAX_CONTENT_LENGTH = 64 * 1024 * 1024;

export interface FrameOptions {
  headerOrder?: HeaderOrder;
  /** Content above this many bytes is refused from the header, before it is buffered. */
  maxContentLength?: number;
}

export interface Header {
  code: number;
  content_length: number;
  challenge: string;
  next_challenge: string;
}

/** A frame as received: the exact bytes (what is signed) and its parsed header. */
export interface RawFrame {
  signature: Buffer;
  headerBytes: Buffer;
  contentBytes: Buffer;
  header: Header;
}

export interface Message {
  code: number;
  name: MessageName;
  content: JsonObject | null;
}

export type FrameErrorName = 'FRAME_ERROR' | 'UNKOWN_CODE';

export type Decoded =
  | { ok: true; frame: RawFrame; message: Message }
  | {
      ok: false;
      error: FrameErrorName;
      reason: string;
      /** The stream cannot be resynchronised: the connection must be closed. */
      fatal: boolean;
      /** Present when the frame itself was delimited, so its signature and challenge can still be checked. */
      frame?: RawFrame;
    };

/** A frame cut out of the stream, its content not read yet; or why the stream cannot go on. */
export type Delimited = { ok: true; frame: RawFrame } | StreamFailure;

/** Why the stream cannot go on: the connection must be closed. */
export type StreamFailure = { ok: false; error: 'FRAME_ERROR'; reason: string; fatal: true };

/**
 * SHA-256 as a new Buffer. Asked for a Buffer, node:crypto makes a backing
 * store per call; a latin1 string copied into a pooled Buffer costs about
 * half as much (two digests per request).
 */
function sha256(bytes: Uint8Array): Buffer {
  // 'binary' is latin1 by its older name, the one node:crypto's types accept.
  return Buffer.from(hash('sha256', bytes, 'binary'), 'binary');
}

/** SHA-256 over the header and content bytes exactly as they are on the wire. */
export function frameDigest(headerBytes: Uint8Array, contentBytes: Uint8Array): Buffer {
  // Received frames usually sit in one chunk, header then content: one view, one call.
  const adjacent =
    contentBytes.length === 0 ||
    (headerBytes.buffer === contentBytes.buffer && headerBytes.byteOffset + headerBytes.byteLength === contentBytes.byteOffset);
  if (!adjacent) return createHash('sha256').update(headerBytes).update(contentBytes).digest();
  return sha256(new Uint8Array(headerBytes.buffer, headerBytes.byteOffset, headerBytes.byteLength + contentBytes.byteLength));
}

export interface OutgoingMessage {
  code: number;
  content?: object | null;
  challenge: string;
  nextChallenge: string;
}

/** A frame with room left for its signature, and the digest to sign: everything of encodeFrame that needs no key (a worker may do it). */
export interface UnsignedFrame {
  frame: Buffer;
  digest: Buffer;
}

/**
 * Python JSON is ASCII (`ensure_ascii`), so its length in characters is its
 * length in bytes and it is written as latin1; the header is written in its
 * one shape.
 */
export function encodeUnsigned(msg: OutgoingMessage, signatureLength: number, order: HeaderOrder = 'deployed'): UnsignedFrame {
  const content = msg.content == null ? '' : pyStringify(msg.content);
  const contentLength = content.length;
  const header = `{"code": ${pyStringify(msg.code)}, "content_length": ${contentLength}, "challenge": ${pyString(msg.challenge)}, "next_challenge": ${pyString(msg.nextChallenge)}}`;
  const headerLength = header.length;
  if (headerLength > 0xffff) throw new RangeError(`header of ${headerLength} bytes exceeds 65535`);
  const out = Buffer.allocUnsafe(4 + signatureLength + headerLength + contentLength);
  out.writeUInt16BE(order === 'deployed' ? headerLength : signatureLength, 0);
  out.writeUInt16BE(order === 'deployed' ? signatureLength : headerLength, 2);
  const headerAt = 4 + signatureLength;
  out.write(header, headerAt, 'latin1');
  if (contentLength > 0) out.write(content, headerAt + headerLength, 'latin1');
  return { frame: out, digest: sha256(new Uint8Array(out.buffer, out.byteOffset + headerAt, headerLength + contentLength)) };
}

/** Signs the digest of an unsigned frame into its signature's place. */
export function signFrame({ frame, digest }: UnsignedFrame, auth: Authenticator): Buffer {
  const signature = auth.sign(digest);
  if (signature.length !== auth.signatureLength) throw new Error(`${auth.algorithm} signature is ${signature.length} bytes, expected ${auth.signatureLength}`);
  frame.set(signature, 4);
  return frame;
}

/** Encodes and signs one frame into a single buffer. */
export function encodeFrame(msg: OutgoingMessage, auth: Authenticator, order: HeaderOrder = 'deployed'): Buffer {
  return signFrame(encodeUnsigned(msg, auth.signatureLength, order), auth);
}

/**
 * A header is read, never written back: when JSON.parse reads it (the
 * usual case), nothing else is needed (its checks below refuse an integer
 * that JSON.parse would round). Anything else goes the way of every JSON
 * text, which says why it is refused.
 */
function parseHeader(bytes: Buffer): ParseResult {
  if (isAscii(bytes)) {
    try {
      return { ok: true, value: JSON.parse(bytes.toString('latin1')) as JsonObject };
    } catch {
      // Python's bare NaN and Infinity, or invalid: as any other text.
    }
  }
  return parseJsonBytes(bytes);
}

const HEADER_KEYS = ['code', 'content_length', 'challenge', 'next_challenge'] as const;

/** The parsed header itself once checked (extra keys ride along unread): no copy per frame. */
function checkHeader(value: unknown): Header | string {
  if (!isJsonObject(value)) return 'header is not a JSON object';
  for (const key of HEADER_KEYS) if (!(key in value)) return `header lacks "${key}"`;
  const { code, content_length, challenge, next_challenge } = value;
  if (typeof code !== 'number' || !Number.isSafeInteger(code)) return 'header "code" is not an integer';
  if (typeof content_length !== 'number' || !Number.isSafeInteger(content_length) || content_length < 0)
    return 'header "content_length" is not a non-negative integer';
  if (typeof challenge !== 'string') return 'header "challenge" is not a string';
  if (typeof next_challenge !== 'string') return 'header "next_challenge" is not a string';
  return value as unknown as Header;
}

const EMPTY = Buffer.alloc(0);

/**
 * Streaming decoder: push chunks of any size, get whole frames (or error
 * values) back. Chunks are kept as a list and joined once per frame part,
 * so a large content costs one copy, not one per chunk; a part inside one
 * chunk is a view of it, the chunk read from an offset (no view of what is
 * left per part).
 */
export class FrameDecoder {
  /** Received chunks, slots reused: chunks[head..count) hold what is not taken yet. */
  private readonly chunks: Buffer[] = [];
  private head = 0;
  private count = 0;
  /** Bytes of chunks[head] already taken. */
  private offset = 0;
  private buffered = 0;
  private readonly headerFirst: boolean;
  /** Checked when a frame's header is read; a session may raise it once its peer is identified. */
  maxContentLength: number;
  private failed = false;
  // Lengths of the frame in progress, known once its fixed header (and then its JSON header) is read.
  private sigLength = -1;
  private headerLength = -1;
  // The frame in progress once its JSON header is read (header non-null).
  private signature: Buffer = EMPTY;
  private headerBytes: Buffer = EMPTY;
  private header: Header | null = null;

  constructor(options: FrameOptions = {}) {
    this.headerFirst = (options.headerOrder ?? 'deployed') === 'deployed';
    this.maxContentLength = options.maxContentLength ?? DEFAULT_MAX_CONTENT_LENGTH;
  }

  /** Bytes received but not yet part of a decoded frame. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** True between a frame's first byte and its last. */
  get inFrame(): boolean {
    return this.buffered > 0 || this.sigLength >= 0;
  }

  push(chunk: Buffer): Decoded[] {
    this.feed(chunk);
    const out: Decoded[] = [];
    for (let d = this.next(); d !== null; d = this.next()) out.push('ok' in d ? d : interpret(d));
    return out;
  }

  /** As push, without reading the contents: a caller may read a large one elsewhere (interpret, interpretContent). */
  delimit(chunk: Buffer): Delimited[] {
    this.feed(chunk);
    const out: Delimited[] = [];
    for (let d = this.next(); d !== null; d = this.next()) out.push('ok' in d ? d : { ok: true, frame: d });
    return out;
  }

  /** Adds received bytes; `next` then cuts the frames out of them one by one (no list per chunk). */
  feed(chunk: Buffer): void {
    if (this.failed || chunk.length === 0) return;
    this.chunks[this.count++] = chunk;
    this.buffered += chunk.length;
  }

  /**
   * The next whole frame fed (a RawFrame, no wrapper: `'ok' in` tells it
   * from an error value), null when there is none yet; after an error
   * value, always null.
   */
  next(): RawFrame | StreamFailure | null {
    if (this.failed) return null;
    const next = this.step();
    if (next !== null && 'ok' in next) this.fail();
    return next;
  }

  /** The stream ended: anything left over is a truncated frame. */
  end(): StreamFailure[] {
    if (this.failed || (this.buffered === 0 && this.sigLength < 0)) return [];
    const reason = `stream ended inside a frame (${this.buffered} bytes of an incomplete frame)`;
    this.fail();
    return [{ ok: false, error: 'FRAME_ERROR', reason, fatal: true }];
  }

  private fail(): void {
    this.failed = true;
    this.chunks.length = 0;
    this.head = 0;
    this.count = 0;
    this.offset = 0;
    this.buffered = 0;
  }

  private step(): RawFrame | StreamFailure | null {
    if (this.sigLength < 0) {
      if (this.buffered < 4) return null;
      let first: number;
      let second: number;
      const chunk = this.chunks[this.head]!;
      const at = this.offset;
      if (chunk.length - at > 4) {
        // Read in place: no view of 4 bytes.
        first = (chunk[at]! << 8) | chunk[at + 1]!;
        second = (chunk[at + 2]! << 8) | chunk[at + 3]!;
        this.offset = at + 4;
        this.buffered -= 4;
      } else {
        const fixed = this.take(4);
        first = fixed.readUInt16BE(0);
        second = fixed.readUInt16BE(2);
      }
      this.headerLength = this.headerFirst ? first : second;
      this.sigLength = this.headerFirst ? second : first;
    }
    if (this.header === null) {
      if (this.buffered < this.sigLength + this.headerLength) return null;
      const signature = this.take(this.sigLength);
      const headerBytes = this.take(this.headerLength);
      const parsed = parseHeader(headerBytes);
      const header = parsed.ok ? checkHeader(parsed.value) : `header ${parsed.reason}`;
      if (typeof header === 'string') return { ok: false, error: 'FRAME_ERROR', reason: header, fatal: true };
      if (header.content_length > this.maxContentLength) {
        const reason = `content_length ${header.content_length} exceeds the limit of ${this.maxContentLength} bytes`;
        return { ok: false, error: 'FRAME_ERROR', reason, fatal: true };
      }
      this.signature = signature;
      this.headerBytes = headerBytes;
      this.header = header;
    }
    const { header } = this;
    if (this.buffered < header.content_length) return null;
    const frame: RawFrame = { signature: this.signature, headerBytes: this.headerBytes, contentBytes: this.take(header.content_length), header };
    this.header = null;
    this.signature = EMPTY;
    this.headerBytes = EMPTY;
    this.sigLength = -1;
    return frame;
  }

  /** Removes n buffered bytes; zero-copy (a view) when they sit in one chunk. */
  private take(n: number): Buffer {
    if (n === 0) return EMPTY;
    this.buffered -= n;
    const first = this.chunks[this.head]!;
    const at = this.offset;
    const left = first.length - at;
    if (left > n) {
      this.offset = at + n;
      return first.subarray(at, at + n);
    }
    if (left === n) {
      this.drop();
      return at === 0 ? first : first.subarray(at);
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[this.head]!;
      const from = this.offset;
      const want = n - filled;
      if (chunk.length - from <= want) {
        out.set(from === 0 ? chunk : chunk.subarray(from), filled);
        filled += chunk.length - from;
        this.drop();
      } else {
        out.set(chunk.subarray(from, from + want), filled);
        this.offset = from + want;
        filled = n;
      }
    }
    return out;
  }

  /** The chunk at the head is used up. */
  private drop(): void {
    this.offset = 0;
    this.chunks[this.head++] = EMPTY;
    if (this.head === this.count) {
      // Everything taken (the usual case between frames): the slots are used again from the first.
      this.head = 0;
      this.count = 0;
    } else if (this.head > 64 && this.head * 2 > this.count) {
      // Drop consumed chunk slots now and then instead of shifting the array on every take.
      this.chunks.splice(0, this.head);
      this.count -= this.head;
      this.head = 0;
    }
  }
}

export type InterpretedContent =
  | { ok: true; name: MessageName; content: JsonObject | null }
  | { ok: false; error: FrameErrorName; reason: string };

/** A frame's code and content bytes as a message: known code, content an object or absent. */
export function interpretContent(code: number, contentBytes: Uint8Array): InterpretedContent {
  const name = codeName(code);
  if (name === undefined) return { ok: false, error: 'UNKOWN_CODE', reason: `code ${code} is not a QOSST code` };
  if (contentBytes.length === 0) return { ok: true, name, content: null };
  const parsed = parseJsonBytes(contentBytes);
  if (!parsed.ok) return { ok: false, error: 'FRAME_ERROR', reason: `content is ${parsed.reason}` };
  if (!isJsonObject(parsed.value)) return { ok: false, error: 'FRAME_ERROR', reason: 'content is not a JSON object' };
  return { ok: true, name, content: parsed.value };
}

/** Turns a delimited frame into a message: known code, content an object or absent. */
export function interpret(frame: RawFrame): Decoded {
  const read = interpretContent(frame.header.code, frame.contentBytes);
  if (!read.ok) return { ok: false, error: read.error, reason: read.reason, fatal: false, frame };
  return { ok: true, frame, message: { code: frame.header.code, name: read.name, content: read.content } };
}
