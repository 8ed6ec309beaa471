/**
 * Falcon-512 authenticator, the deployed post-quantum option: round-3
 * compressed signatures padded to 666 bytes (header byte 0x39, 40-byte salt,
 * compressed s2, zero padding), verified by `falcon512padded`.
 */
import { falcon512padded } from '@noble/post-quantum/falcon.js';
import type { Authenticator } from './authenticator.ts';
import { decodeFalconPublicKey, FALCON512_SECRET_KEY_BYTES } from './falcon-keyfile.ts';

export const FALCON512_SIGNATURE_BYTES = 666;

export interface FalconOptions {
  /** Our secret key, standard 1281-byte encoding. */
  secretKey: Uint8Array;
  /** The peer's public key, standard 897-byte encoding. */
  peerPublicKey: Uint8Array;
}

export function createFalconAuthenticator({ secretKey, peerPublicKey }: FalconOptions): Authenticator {
  if (secretKey.length !== FALCON512_SECRET_KEY_BYTES) {
    throw new Error(`Falcon-512 secret key must be ${FALCON512_SECRET_KEY_BYTES} bytes, got ${secretKey.length}`);
  }
  // noble takes the raw secret key on every sign() and has no expanded-key API;
  // deriving the public key once here rejects a malformed key before any message.
  try {
    falcon512padded.getPublicKey(secretKey);
  } catch (err) {
    throw new Error(`invalid Falcon-512 secret key: ${(err as Error).message}`);
  }
  decodeFalconPublicKey(peerPublicKey);
  const sk = Uint8Array.from(secretKey);
  const pk = Uint8Array.from(peerPublicKey);
  return {
    algorithm: 'falcon512',
    signatureLength: FALCON512_SIGNATURE_BYTES,
    sign: (digest) => falcon512padded.sign(digest, sk),
    verify: (digest, signature) => {
      if (signature.length !== FALCON512_SIGNATURE_BYTES) return false;
      try {
        return falcon512padded.verify(signature, digest, pk);
      } catch {
        return false;
      }
    },
  };
}

export function generateFalconKeyPair(): { secretKey: Uint8Array; publicKey: Uint8Array } {
  return falcon512padded.keygen();
}
