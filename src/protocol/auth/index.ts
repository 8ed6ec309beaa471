/**
 * Builds the authenticator a party uses from its configuration, and writes
 * new key pairs. Each party keeps `<name>-secret_key.json` to itself and
 * gives `<name>-public_key.json` to the peer, who loads it as its
 * peer public key file.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ALGORITHMS } from './authenticator.ts';
import type { Algorithm, Authenticator } from './authenticator.ts';
import {
  createEd25519Authenticator,
  generateEd25519KeyPair,
  readEd25519PublicKeyFile,
  readEd25519SecretKeyFile,
  writeEd25519PublicKeyFile,
  writeEd25519SecretKeyFile,
} from './ed25519.ts';
import type { Ed25519Engine } from './ed25519.ts';
import { createFalconAuthenticator, generateFalconKeyPair } from './falcon.ts';
import {
  readFalconPublicKeyFile,
  readFalconSecretKeyFile,
  writeFalconPublicKeyFile,
  writeFalconSecretKeyFile,
} from './falcon-keyfile.ts';
import { noneAuthenticator } from './none.ts';

export interface AuthenticatorOptions {
  algorithm: Algorithm;
  /** Our own secret key file. */
  secretKeyFile?: string;
  /** The public key file the peer gave us. */
  peerPublicKeyFile?: string;
  ed25519Engine?: Ed25519Engine;
}

/** Reads the key files (ed25519: our JSON format; falcon512: the deployed format). */
export function loadAuthenticator(options: AuthenticatorOptions): Authenticator {
  const { algorithm, secretKeyFile, peerPublicKeyFile } = options;
  if (!ALGORITHMS.includes(algorithm)) {
    throw new Error(`unknown authentication algorithm "${String(algorithm)}" (expected one of ${ALGORITHMS.join(', ')})`);
  }
  if (algorithm === 'none') return noneAuthenticator;
  if (!secretKeyFile) {
    throw new Error(`authentication "${algorithm}" needs our secret key file: option secretKeyFile is missing`);
  }
  if (!peerPublicKeyFile) {
    throw new Error(`authentication "${algorithm}" needs the peer's public key file: option peerPublicKeyFile is missing`);
  }
  if (algorithm === 'ed25519') {
    return createEd25519Authenticator({
      secretKey: readEd25519SecretKeyFile(secretKeyFile),
      peerPublicKey: readEd25519PublicKeyFile(peerPublicKeyFile),
      engine: options.ed25519Engine ?? 'node',
    });
  }
  return createFalconAuthenticator({
    secretKey: readFalconSecretKeyFile(secretKeyFile),
    peerPublicKey: readFalconPublicKeyFile(peerPublicKeyFile),
  });
}

export type KeyAlgorithm = Exclude<Algorithm, 'none'>;

export interface KeyPairFiles {
  secretKeyFile: string;
  publicKeyFile: string;
}

/**
 * Writes `<name>-secret_key.json` (mode 0600) and `<name>-public_key.json`
 * into outDir (created if needed); never overwrites an existing file.
 * `name` defaults to the algorithm.
 */
export function generateKeyPair(algorithm: KeyAlgorithm, outDir: string, name: string = algorithm): KeyPairFiles {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) {
    throw new Error(`key name "${name}" may only use letters, digits, ".", "_" and "-"`);
  }
  const files = {
    secretKeyFile: join(outDir, `${name}-secret_key.json`),
    publicKeyFile: join(outDir, `${name}-public_key.json`),
  };
  for (const path of [files.secretKeyFile, files.publicKeyFile]) {
    if (existsSync(path)) throw new Error(`${path} already exists; keys are never overwritten (choose another name or directory)`);
  }
  mkdirSync(outDir, { recursive: true });
  if (algorithm === 'ed25519') {
    const { secretKey, publicKey } = generateEd25519KeyPair();
    writeEd25519SecretKeyFile(files.secretKeyFile, secretKey);
    writeEd25519PublicKeyFile(files.publicKeyFile, publicKey);
  } else if (algorithm === 'falcon512') {
    const { secretKey, publicKey } = generateFalconKeyPair();
    writeFalconSecretKeyFile(files.secretKeyFile, secretKey);
    writeFalconPublicKeyFile(files.publicKeyFile, publicKey);
  } else {
    throw new Error(`cannot generate keys for algorithm "${String(algorithm)}" (expected ed25519 or falcon512)`);
  }
  return files;
}
