/**
 * Ed25519 authenticator (RFC 8032, pure Ed25519 over the 32-byte digest).
 *
 * Two engines produce byte-identical signatures: `node` (node:crypto,
 * OpenSSL, the default, fastest) and `noble` (@noble/ed25519, pure JS).
 *
 * Key files (our format; the deployed Python suite has no Ed25519 option):
 *   secret: {"algorithm":"ed25519","secret_key":"<64 hex chars: the 32-byte seed>"}
 *   public: {"algorithm":"ed25519","public_key":"<64 hex chars: the 32-byte point>"}
 * A party keeps its secret key file and hands its public key file to the peer.
 */
import { createPrivateKey, createPublicKey, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { z } from 'zod';
import type { Authenticator } from './authenticator.ts';

// Enables noble's synchronous sign/verify.
ed.hashes.sha512 = sha512;

export const ED25519_KEY_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;

export type Ed25519Engine = 'node' | 'noble';

export interface Ed25519Options {
  /** Our 32-byte secret seed. */
  secretKey: Uint8Array;
  /** The peer's 32-byte public key. */
  peerPublicKey: Uint8Array;
  engine?: Ed25519Engine;
}

// DER wrappers (RFC 8410) that let node:crypto import raw 32-byte keys.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

function checkLength(key: Uint8Array, what: string): void {
  if (key.length !== ED25519_KEY_BYTES) throw new Error(`ed25519 ${what} must be ${ED25519_KEY_BYTES} bytes, got ${key.length}`);
}

function checkKeys(secretKey: Uint8Array, peerPublicKey: Uint8Array): void {
  checkLength(secretKey, 'secret key');
  checkLength(peerPublicKey, 'peer public key');
  try {
    ed.Point.fromBytes(peerPublicKey);
  } catch {
    throw new Error('ed25519 peer public key is not a valid curve point');
  }
}

export function createEd25519Authenticator({ secretKey, peerPublicKey, engine = 'node' }: Ed25519Options): Authenticator {
  checkKeys(secretKey, peerPublicKey);
  const base = { algorithm: 'ed25519', signatureLength: ED25519_SIGNATURE_BYTES } as const;
  if (engine === 'node') {
    // KeyObjects are built once: importing a key per message would dominate the cost.
    const privateKey: KeyObject = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, secretKey]), format: 'der', type: 'pkcs8' });
    const publicKey: KeyObject = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, peerPublicKey]), format: 'der', type: 'spki' });
    return {
      ...base,
      sign: (digest) => cryptoSign(null, digest, privateKey),
      verify: (digest, signature) => {
        if (signature.length !== ED25519_SIGNATURE_BYTES) return false;
        try {
          return cryptoVerify(null, digest, publicKey, signature);
        } catch {
          return false;
        }
      },
    };
  }
  if (engine === 'noble') {
    const seed = Uint8Array.from(secretKey);
    const peer = Uint8Array.from(peerPublicKey);
    return {
      ...base,
      sign: (digest) => ed.sign(digest, seed),
      verify: (digest, signature) => {
        if (signature.length !== ED25519_SIGNATURE_BYTES) return false;
        try {
          // RFC 8032 rules (not ZIP-215), as OpenSSL applies them in the node engine.
          return ed.verify(signature, digest, peer, { zip215: false });
        } catch {
          return false;
        }
      },
    };
  }
  throw new Error(`unknown ed25519 engine "${String(engine)}" (expected "node" or "noble")`);
}

export function generateEd25519KeyPair(): { secretKey: Uint8Array; publicKey: Uint8Array } {
  return ed.keygen();
}

export function ed25519PublicKey(secretKey: Uint8Array): Uint8Array {
  return ed.getPublicKey(secretKey);
}

// ---- Key files ----

const hexKey = z.string({ error: 'expected a string' }).regex(/^[0-9a-fA-F]{64}$/, { error: 'expected 64 hexadecimal characters (32 bytes)' });
const secretKeyFileSchema = z.object({ algorithm: z.literal('ed25519', { error: 'expected "ed25519"' }), secret_key: hexKey });
const publicKeyFileSchema = z.object({ algorithm: z.literal('ed25519', { error: 'expected "ed25519"' }), public_key: hexKey });

function readKeyFile<T>(path: string, what: string, schema: z.ZodType<T>, wrongKindField: string): T {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ed25519 ${what} file ${path}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`ed25519 ${what} file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value === 'object' && value !== null && wrongKindField in value) {
    throw new Error(`ed25519 ${what} file ${path}: it holds a "${wrongKindField}"; the file given here must be the ${what} file`);
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    const issues = result.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message));
    throw new Error(`ed25519 ${what} file ${path} is not in the expected format ({"algorithm":"ed25519", ...}): ${issues.join('; ')}`);
  }
  return result.data;
}

export function readEd25519SecretKeyFile(path: string): Uint8Array {
  return new Uint8Array(Buffer.from(readKeyFile(path, 'secret key', secretKeyFileSchema, 'public_key').secret_key, 'hex'));
}

export function readEd25519PublicKeyFile(path: string): Uint8Array {
  return new Uint8Array(Buffer.from(readKeyFile(path, 'public key', publicKeyFileSchema, 'secret_key').public_key, 'hex'));
}

/** Owner-only (mode 0600); refuses to overwrite. */
export function writeEd25519SecretKeyFile(path: string, secretKey: Uint8Array): void {
  checkLength(secretKey, 'secret key');
  const text = JSON.stringify({ algorithm: 'ed25519', secret_key: Buffer.from(secretKey).toString('hex') });
  writeFileSync(path, `${text}\n`, { flag: 'wx', mode: 0o600 });
}

/** Refuses to overwrite. */
export function writeEd25519PublicKeyFile(path: string, publicKey: Uint8Array): void {
  checkLength(publicKey, 'public key');
  const text = JSON.stringify({ algorithm: 'ed25519', public_key: Buffer.from(publicKey).toString('hex') });
  writeFileSync(path, `${text}\n`, { flag: 'wx' });
}
