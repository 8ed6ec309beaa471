/**
 * One interface for every authentication method: sign our digest with our
 * secret key, verify the peer's signed digest with the peer's public key.
 */
export const ALGORITHMS = ['none', 'ed25519', 'falcon512'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

export interface Authenticator {
  readonly algorithm: Algorithm;
  /** Length in bytes of every signed digest this authenticator produces. */
  readonly signatureLength: number;
  /** Signs a 32-byte SHA-256 digest. */
  sign(digest: Uint8Array): Uint8Array;
  /** Checks the peer's signed digest; false on any malformed input, never throws. */
  verify(digest: Uint8Array, signature: Uint8Array): boolean;
}
