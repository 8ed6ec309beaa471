/** Typed errors of the Bob driver: each says how a step ended when it did not get an allowed answer. */
import type { MessageName } from '../protocol/codes.ts';

export class BobError extends Error {
  override name = 'BobError';
}

/** The call is not allowed in the current state; nothing was sent. */
export class OutOfOrderError extends BobError {
  override name = 'OutOfOrderError';
  constructor(
    readonly request: MessageName,
    readonly state: string,
  ) {
    super(`${request} cannot be sent now (state ${state})`);
  }
}

/** The content we were asked to send does not match its schema; nothing was sent. */
export class InvalidRequestError extends BobError {
  override name = 'InvalidRequestError';
}

/** Alice aborted the frame (ABORT), or the connection was lost during it. */
export class FrameAbortedError extends BobError {
  override name = 'FrameAbortedError';
  constructor(
    message: string,
    readonly byAlice: boolean,
  ) {
    super(message);
  }
}

/** Alice refused the request: UNEXPECTED_COMMAND, INVALID_CONTENT or UNKOWN_COMMAND. */
export class RefusedError extends BobError {
  override name = 'RefusedError';
  constructor(
    readonly request: MessageName,
    readonly answer: MessageName,
    readonly detail: string | undefined,
  ) {
    super(`${request} refused with ${answer}${detail ? `: ${detail}` : ''}`);
  }
}

/** Alice's answer was outside the specification: INVALID_RESPONSE was sent and acknowledged. */
export class InvalidResponseError extends BobError {
  override name = 'InvalidResponseError';
}

/** Authentication was lost and identifying again did not restore it. */
export class AuthenticationError extends BobError {
  override name = 'AuthenticationError';
}

/** No compatible protocol version. */
export class VersionError extends BobError {
  override name = 'VersionError';
}

/** The connection is gone and could not be restored. */
export class ConnectionError extends BobError {
  override name = 'ConnectionError';
}
