/**
 * `qosst-control/protocol`: the wire layer's public API. Codes, the frame
 * codec, Python-compatible JSON, content schemas, challenges, one side's
 * channel, authenticators and key files. What is not listed here is internal.
 */
export {
  CODES,
  Code,
  ERROR_CODES,
  MESSAGE_NAMES,
  PHASES,
  codeName,
  describeCode,
  phaseOf,
  type ErrorName,
  type MessageName,
  type Phase,
  type Sender,
} from './codes.ts';
export {
  DEFAULT_MAX_CONTENT_LENGTH,
  FrameDecoder,
  encodeFrame,
  frameDigest,
  interpret,
  type Decoded,
  type Delimited,
  type FrameErrorName,
  type FrameOptions,
  type Header,
  type HeaderOrder,
  type Message,
  type OutgoingMessage,
  type RawFrame,
  type StreamFailure,
} from './frame.ts';
export { isJsonObject, parseJsonBytes, parseJsonText, pyStringify, type JsonObject, type JsonValue, type ParseResult } from './json.ts';
export { CONTENT, validateContent, type ContentOf, type Validated } from './schemas.ts';
export { PA_REQUEST_FORMS, finalKeyLength, paRequest, type PaRequest } from './pa-request.ts';
export { CHALLENGE_LENGTH, newChallenge } from './challenge.ts';
export { ChallengeChain, Channel, type ChannelOptions, type Inbound, type Role } from './channel.ts';
export { QOSST_VERSIONS } from './versions.ts';
export { ALGORITHMS, type Algorithm, type Authenticator } from './auth/authenticator.ts';
export {
  generateKeyPair,
  loadAuthenticator,
  type AuthenticatorOptions,
  type KeyAlgorithm,
  type KeyPairFiles,
} from './auth/index.ts';
export { noneAuthenticator } from './auth/none.ts';
export {
  ED25519_SIGNATURE_BYTES,
  createEd25519Authenticator,
  ed25519PublicKey,
  generateEd25519KeyPair,
  readEd25519PublicKeyFile,
  readEd25519SecretKeyFile,
  writeEd25519PublicKeyFile,
  writeEd25519SecretKeyFile,
  type Ed25519Engine,
  type Ed25519Options,
} from './auth/ed25519.ts';
export { FALCON512_SIGNATURE_BYTES, createFalconAuthenticator, generateFalconKeyPair, type FalconOptions } from './auth/falcon.ts';
export {
  readFalconPublicKeyFile,
  readFalconSecretKeyFile,
  writeFalconPublicKeyFile,
  writeFalconSecretKeyFile,
} from './auth/falcon-keyfile.ts';
