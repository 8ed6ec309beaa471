/**
 * One side of a connection: seals outgoing messages (challenge chain,
 * signature, frame) and opens incoming decoded frames (signature, challenge),
 * turning every outcome into a value the session can answer.
 */
import type { Authenticator } from './auth/authenticator.ts';
import { newChallenge } from './challenge.ts';
import { Code, describeCode } from './codes.ts';
import { encodeFrame, frameDigest, interpretContent, signFrame, type Decoded, type HeaderOrder, type Message, type OutgoingMessage, type RawFrame, type UnsignedFrame } from './frame.ts';

export type Role = 'alice' | 'bob';

export type Inbound =
  | { kind: 'message'; message: Message; frame: RawFrame }
  /** Delimited but unreadable content: answer INVALID_CONTENT for `code`. */
  | { kind: 'invalid-frame'; code: number; reason: string; frame: RawFrame }
  | { kind: 'unknown-code'; code: number; frame: RawFrame }
  /** Bad signature or challenge: the peer is no longer identified. */
  | { kind: 'authentication-failure'; code: number; reason: string }
  /** The stream cannot be resynchronised: close the connection. */
  | { kind: 'fatal'; reason: string };

/** The challenge chain of one side (wire notes 8-9). */
export class ChallengeChain {
  /** The challenge we asked the peer to echo next; null until we have sent one. */
  issued: string | null = null;
  /** The challenge the peer asked us to echo next; empty for a fresh client. */
  peer = '';

  constructor(private readonly role: Role) {}

  /** Records the next challenge of a frame we sent. */
  issue(nextChallenge: string): void {
    this.issued = nextChallenge;
  }

  /**
   * IDENTIFICATION_REQUEST (re)starts the chain (wire notes 9). Before Alice
   * has issued any challenge there is nothing to check either: the session
   * machine answers whatever a fresh client sent first.
   */
  accepts(code: number, challenge: string): boolean {
    if (this.role === 'alice' && (code === Code.IDENTIFICATION_REQUEST || this.issued === null)) return true;
    return challenge === this.issued;
  }

  reset(): void {
    this.issued = null;
    this.peer = '';
  }
}

export interface ChannelOptions {
  headerOrder?: HeaderOrder;
}

export class Channel {
  readonly chain: ChallengeChain;

  constructor(
    readonly role: Role,
    private readonly auth: Authenticator,
    private readonly options: ChannelOptions = {},
  ) {
    this.chain = new ChallengeChain(role);
  }

  seal(code: number, content?: object | null): Buffer {
    const nextChallenge = newChallenge();
    const frame = encodeFrame(
      { code, content, challenge: this.chain.peer, nextChallenge },
      this.auth,
      this.options.headerOrder,
    );
    this.chain.issue(nextChallenge);
    return frame;
  }

  /**
   * As seal, with the frame's bytes made elsewhere (a worker): the chain
   * advances now, the signature is added when the bytes come back. Nothing
   * else may be sealed on this channel meanwhile.
   */
  async sealWith(code: number, content: object | null, encode: (msg: OutgoingMessage, signatureLength: number, order: HeaderOrder) => Promise<UnsignedFrame>): Promise<Buffer> {
    const nextChallenge = newChallenge();
    const msg = { code, content, challenge: this.chain.peer, nextChallenge };
    this.chain.issue(nextChallenge);
    return signFrame(await encode(msg, this.auth.signatureLength, this.options.headerOrder ?? 'deployed'), this.auth);
  }

  /** The part of open that needs no content: echo the next challenge, check the signature and the challenge. */
  authenticate(frame: RawFrame): Extract<Inbound, { kind: 'authentication-failure' }> | null {
    const { header } = frame;
    // Even the answer to a bad frame echoes its next challenge, so that an honest peer can read it.
    this.chain.peer = header.next_challenge;
    if (!this.auth.verify(frameDigest(frame.headerBytes, frame.contentBytes), frame.signature)) {
      return { kind: 'authentication-failure', code: header.code, reason: `${describeCode(header.code)}: signature does not verify` };
    }
    if (!this.chain.accepts(header.code, header.challenge)) {
      const reason = `${describeCode(header.code)}: challenge ${JSON.stringify(header.challenge)} is not the one issued`;
      return { kind: 'authentication-failure', code: header.code, reason };
    }
    return null;
  }

  /** As open, for a frame straight from `FrameDecoder.next`: authenticated, then its content read (no intermediate value). */
  openFrame(frame: RawFrame): Inbound {
    const failure = this.authenticate(frame);
    if (failure !== null) return failure;
    const { code } = frame.header;
    const read = interpretContent(code, frame.contentBytes);
    if (read.ok) return { kind: 'message', message: { code, name: read.name, content: read.content }, frame };
    if (read.error === 'UNKOWN_CODE') return { kind: 'unknown-code', code, frame };
    return { kind: 'invalid-frame', code, reason: read.reason, frame };
  }

  open(decoded: Decoded): Inbound {
    if (!decoded.ok && decoded.frame === undefined) return { kind: 'fatal', reason: decoded.reason };
    const frame = decoded.ok ? decoded.frame : decoded.frame!;
    const failure = this.authenticate(frame);
    if (failure !== null) return failure;
    if (decoded.ok) return { kind: 'message', message: decoded.message, frame };
    const { header } = frame;
    if (decoded.error === 'UNKOWN_CODE') return { kind: 'unknown-code', code: header.code, frame };
    return { kind: 'invalid-frame', code: header.code, reason: decoded.reason, frame };
  }
}
