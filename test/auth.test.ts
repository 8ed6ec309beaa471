import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { falcon512padded } from '@noble/post-quantum/falcon.js';
import { describe, expect, it } from 'vitest';
import {
  createEd25519Authenticator,
  ed25519PublicKey,
  generateEd25519KeyPair,
  readEd25519PublicKeyFile,
  readEd25519SecretKeyFile,
  writeEd25519PublicKeyFile,
  writeEd25519SecretKeyFile,
} from '../src/protocol/auth/ed25519.ts';
import type { Ed25519Engine } from '../src/protocol/auth/ed25519.ts';
import { createFalconAuthenticator } from '../src/protocol/auth/falcon.ts';
import {
  completeFalconBasis,
  decodeFalconPublicKey,
  decodeFalconSecretKey,
  encodeFalconPublicKey,
  encodeFalconSecretKey,
  formatFalconPublicKeyFile,
  formatFalconSecretKeyFile,
  parseFalconPublicKey,
  parseFalconSecretKey,
  readFalconPublicKeyFile,
  readFalconSecretKeyFile,
} from '../src/protocol/auth/falcon-keyfile.ts';
import { generateKeyPair, loadAuthenticator } from '../src/protocol/auth/index.ts';
import { noneAuthenticator } from '../src/protocol/auth/none.ts';
import { vectorPath as vector } from './support/vectors.ts';

const projectRoot = fileURLToPath(new URL('..', import.meta.url));
const sha256 = (...parts: Uint8Array[]) => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
};
const flipBit = (bytes: Uint8Array, bit: number) => {
  const copy = Uint8Array.from(bytes);
  copy[bit >> 3] = (copy[bit >> 3] as number) ^ (1 << (bit & 7));
  return copy;
};
const tempDir = () => mkdtempSync(join(tmpdir(), 'qosst-auth-'));

describe('ed25519', () => {
  const engines: Ed25519Engine[] = ['node', 'noble'];
  const pair = (engine: Ed25519Engine, secretKey: Uint8Array, peerPublicKey: Uint8Array) =>
    createEd25519Authenticator({ secretKey, peerPublicKey, engine });

  it('both engines reproduce RFC 8032 test 1', () => {
    const secretKey = Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex');
    const publicKey = Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex');
    const expected =
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b';
    expect(Buffer.from(ed25519PublicKey(secretKey)).toString('hex')).toBe(publicKey.toString('hex'));
    for (const engine of engines) {
      const auth = pair(engine, secretKey, publicKey);
      expect(Buffer.from(auth.sign(new Uint8Array(0))).toString('hex')).toBe(expected);
      expect(auth.verify(new Uint8Array(0), Buffer.from(expected, 'hex'))).toBe(true);
    }
  });

  it('node and noble produce byte-identical signatures that each verifies', () => {
    for (let round = 0; round < 10; round++) {
      const { secretKey, publicKey } = generateEd25519KeyPair();
      const node = pair('node', secretKey, publicKey);
      const noble = pair('noble', secretKey, publicKey);
      expect(node.signatureLength).toBe(64);
      const digest = sha256(randomBytes(100));
      const fromNode = node.sign(digest);
      const fromNoble = noble.sign(digest);
      expect(fromNode).toHaveLength(64);
      expect(Buffer.from(fromNode).equals(Buffer.from(fromNoble))).toBe(true);
      expect(noble.verify(digest, fromNode)).toBe(true);
      expect(node.verify(digest, fromNoble)).toBe(true);
    }
  });

  it('rejects wrong, short, long and bit-flipped signatures without throwing', () => {
    const alice = generateEd25519KeyPair();
    const bob = generateEd25519KeyPair();
    const digest = sha256(Buffer.from('header'), Buffer.from('content'));
    for (const engine of engines) {
      const signer = pair(engine, alice.secretKey, bob.publicKey);
      const verifier = pair(engine, bob.secretKey, alice.publicKey);
      const signature = signer.sign(digest);
      expect(verifier.verify(digest, signature)).toBe(true);
      // Signed by Bob, not Alice.
      expect(verifier.verify(digest, verifier.sign(digest))).toBe(false);
      expect(verifier.verify(digest, signature.subarray(0, 63))).toBe(false);
      expect(verifier.verify(digest, new Uint8Array([...signature, 0]))).toBe(false);
      expect(verifier.verify(digest, new Uint8Array(0))).toBe(false);
      expect(verifier.verify(digest, new Uint8Array(64).fill(0xff))).toBe(false);
      expect(verifier.verify(digest, digest)).toBe(false);
      for (const bit of [0, 7, 255, 256, 300, 511]) {
        expect(verifier.verify(digest, flipBit(signature, bit))).toBe(false);
      }
      expect(verifier.verify(flipBit(digest, 5), signature)).toBe(false);
    }
  });

  it('refuses malformed keys at construction', () => {
    const { secretKey, publicKey } = generateEd25519KeyPair();
    expect(() => createEd25519Authenticator({ secretKey: secretKey.subarray(1), peerPublicKey: publicKey })).toThrow(/secret key must be 32 bytes/);
    expect(() => createEd25519Authenticator({ secretKey, peerPublicKey: new Uint8Array(31) })).toThrow(/peer public key must be 32 bytes/);
  });

  it('key files round-trip and errors name the file and the problem', () => {
    const dir = tempDir();
    const { secretKey, publicKey } = generateEd25519KeyPair();
    const secretFile = join(dir, 'a-secret_key.json');
    const publicFile = join(dir, 'a-public_key.json');
    writeEd25519SecretKeyFile(secretFile, secretKey);
    writeEd25519PublicKeyFile(publicFile, publicKey);
    expect(JSON.parse(readFileSync(secretFile, 'utf8'))).toEqual({ algorithm: 'ed25519', secret_key: Buffer.from(secretKey).toString('hex') });
    expect(statSync(secretFile).mode & 0o777).toBe(0o600);
    expect(readEd25519SecretKeyFile(secretFile)).toEqual(new Uint8Array(secretKey));
    expect(readEd25519PublicKeyFile(publicFile)).toEqual(new Uint8Array(publicKey));
    expect(() => writeEd25519SecretKeyFile(secretFile, secretKey)).toThrow(/EEXIST/);

    expect(() => readEd25519SecretKeyFile(publicFile)).toThrow(new RegExp(`secret key file ${publicFile}.*public_key`));
    expect(() => readEd25519SecretKeyFile(join(dir, 'missing.json'))).toThrow(/cannot read ed25519 secret key file .*missing\.json/);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"algorithm":"ed25519","public_key":"abcd"}');
    expect(() => readEd25519PublicKeyFile(bad)).toThrow(/bad\.json.*public_key: expected 64 hexadecimal characters/);
    writeFileSync(bad, '{"algorithm":"ed25519",');
    expect(() => readEd25519PublicKeyFile(bad)).toThrow(/bad\.json is not valid JSON/);
    expect(() => readEd25519PublicKeyFile(vector('falcon-bob-public_key.json'))).toThrow(/falcon-bob-public_key\.json is not in the expected format/);
  });
});

interface FalconFrame {
  name: string;
  content: unknown;
  header_length: number;
  digest_length: number;
  frame_hex: string;
}

/** Deployed layout: header length, digest length (16-bit big-endian), signature, header, content. */
function splitFrame(frame: FalconFrame) {
  const bytes = new Uint8Array(Buffer.from(frame.frame_hex, 'hex'));
  const view = new DataView(bytes.buffer);
  const headerLength = view.getUint16(0);
  const digestLength = view.getUint16(2);
  const signatureStart = 4;
  const headerStart = signatureStart + digestLength;
  const contentStart = headerStart + headerLength;
  return {
    headerLength,
    digestLength,
    signature: bytes.subarray(signatureStart, headerStart),
    header: bytes.subarray(headerStart, contentStart),
    content: bytes.subarray(contentStart),
  };
}

describe('falcon512', () => {
  const frames: FalconFrame[] = JSON.parse(readFileSync(vector('frames-falcon-signed-by-bob.json'), 'utf8')).frames;
  const bobPublic = readFalconPublicKeyFile(vector('falcon-bob-public_key.json'));
  const bobSecret = readFalconSecretKeyFile(vector('falcon-bob-secret_key.json'));
  const alicePublic = readFalconPublicKeyFile(vector('falcon-alice-public_key.json'));
  const aliceSecret = readFalconSecretKeyFile(vector('falcon-alice-secret_key.json'));
  // Alice's view: her own secret key, Bob as the peer.
  const alice = createFalconAuthenticator({ secretKey: aliceSecret, peerPublicKey: bobPublic });

  it('verifies every frame the deployed Bob signed', () => {
    expect(frames.length).toBeGreaterThan(30);
    for (const frame of frames) {
      const { headerLength, digestLength, signature, header, content } = splitFrame(frame);
      expect(headerLength).toBe(frame.header_length);
      expect(digestLength).toBe(666);
      expect(signature[0]).toBe(0x39);
      expect(alice.verify(sha256(header, content), signature), frame.name).toBe(true);
    }
  });

  it('rejects a frame with one flipped bit in header, content or signature', () => {
    let withContent = 0;
    for (const frame of frames) {
      const { signature, header, content } = splitFrame(frame);
      const digest = sha256(header, content);
      expect(alice.verify(sha256(flipBit(header, 8 * (header.length >> 1)), content), signature), frame.name).toBe(false);
      expect(alice.verify(digest, flipBit(signature, 8 * 100 + 3)), frame.name).toBe(false);
      if (content.length > 0) {
        withContent++;
        expect(alice.verify(sha256(header, flipBit(content, 8 * content.length - 1)), signature), frame.name).toBe(false);
      }
    }
    expect(withContent).toBeGreaterThan(10);
  });

  it('returns false on garbage signatures instead of throwing', () => {
    const digest = sha256(randomBytes(10));
    const valid = alice.sign(digest);
    const self = createFalconAuthenticator({ secretKey: aliceSecret, peerPublicKey: alicePublic });
    expect(self.verify(digest, valid)).toBe(true);
    for (const garbage of [new Uint8Array(0), valid.subarray(0, 665), new Uint8Array([...valid, 0]), new Uint8Array(666), randomBytes(666), digest]) {
      expect(self.verify(digest, garbage)).toBe(false);
    }
  });

  it('signs with Alice secret key file, verifies with Alice public key file only', () => {
    const digest = sha256(Buffer.from('{"code": 100}'), Buffer.from('{}'));
    const signature = alice.sign(digest);
    expect(alice.signatureLength).toBe(666);
    expect(signature).toHaveLength(666);
    expect(signature[0]).toBe(0x39);
    const bob = createFalconAuthenticator({ secretKey: bobSecret, peerPublicKey: alicePublic });
    expect(bob.verify(digest, signature)).toBe(true);
    expect(alice.verify(digest, signature)).toBe(false); // Alice's verifier expects Bob's signatures
  });

  for (const party of ['alice', 'bob']) {
    it(`${party}: key files round-trip through the standard encodings`, () => {
      const publicText = readFileSync(vector(`falcon-${party}-public_key.json`), 'utf8');
      const secretText = readFileSync(vector(`falcon-${party}-secret_key.json`), 'utf8');
      const h = parseFalconPublicKey(JSON.parse(publicText), 'public');
      const secret = parseFalconSecretKey(JSON.parse(secretText), 'secret');
      const publicBytes = encodeFalconPublicKey(h);
      const secretBytes = encodeFalconSecretKey(secret);
      expect(publicBytes).toHaveLength(897);
      expect(publicBytes[0]).toBe(0x09);
      expect(secretBytes).toHaveLength(1281);
      expect(secretBytes[0]).toBe(0x59);
      expect(formatFalconPublicKeyFile(decodeFalconPublicKey(publicBytes))).toBe(publicText);
      expect(formatFalconSecretKeyFile(decodeFalconSecretKey(secretBytes))).toBe(secretText);
      expect(completeFalconBasis(secret.f, secret.g, secret.F)).toEqual(secret.G);
      // h = g/f mod q, derived by noble from the converted secret key.
      expect(Buffer.from(falcon512padded.getPublicKey(secretBytes)).equals(publicBytes)).toBe(true);
    });
  }

  it('refuses malformed key files, naming the file and the coefficient', () => {
    const h = JSON.parse(readFileSync(vector('falcon-bob-public_key.json'), 'utf8')) as number[];
    const secret = JSON.parse(readFileSync(vector('falcon-bob-secret_key.json'), 'utf8')) as number[][];
    expect(() => parseFalconPublicKey(h.slice(1), 'pk.json')).toThrow(/^pk\.json: .*expected exactly 512 coefficients/);
    expect(() => parseFalconPublicKey(h.map((c, i) => (i === 7 ? 12289 : c)), 'pk.json')).toThrow(/h\[7\]: must be in \[0, 12288\]/);
    expect(() => parseFalconPublicKey(secret, 'pk.json')).toThrow(/pk\.json: this is a Falcon-512 secret key file/);
    expect(() => parseFalconSecretKey(h, 'sk.json')).toThrow(/sk\.json: this is a Falcon-512 public key file/);
    expect(() => parseFalconSecretKey(secret.slice(0, 3), 'sk.json')).toThrow(/sk\.json: .*\[f, g, F, G\]/);
    const tooBig = secret.map((p, i) => (i === 2 ? p.map((c, j) => (j === 9 ? 128 : c)) : p));
    expect(() => parseFalconSecretKey(tooBig, 'sk.json')).toThrow(/F\[9\]: must be in \[-127, 127\]/);
    const wrongG = secret.map((p, i) => (i === 3 ? p.map((c, j) => (j === 0 ? c + 1 : c)) : p));
    expect(() => parseFalconSecretKey(wrongG, 'sk.json')).toThrow(/sk\.json: .*f\*G - g\*F is not q/);
    expect(() => readFalconSecretKeyFile(vector('falcon-bob-public_key.json'))).toThrow(/falcon-bob-public_key\.json: this is a Falcon-512 public key file/);
    expect(() => createFalconAuthenticator({ secretKey: bobSecret, peerPublicKey: bobPublic.subarray(1) })).toThrow(/897 bytes/);
    expect(() => createFalconAuthenticator({ secretKey: bobSecret.subarray(1), peerPublicKey: bobPublic })).toThrow(/1281 bytes/);
  });
});

describe('loadAuthenticator and generateKeyPair', () => {
  for (const algorithm of ['ed25519', 'falcon512'] as const) {
    it(`${algorithm}: generated key files load and authenticate across parties`, () => {
      const dir = tempDir();
      const aliceFiles = generateKeyPair(algorithm, dir, 'alice');
      const bobFiles = generateKeyPair(algorithm, dir, 'bob');
      expect(aliceFiles).toEqual({ secretKeyFile: join(dir, 'alice-secret_key.json'), publicKeyFile: join(dir, 'alice-public_key.json') });
      expect(statSync(aliceFiles.secretKeyFile).mode & 0o777).toBe(0o600);
      expect(() => generateKeyPair(algorithm, dir, 'alice')).toThrow(/alice-secret_key\.json already exists/);

      const aliceSelf = loadAuthenticator({ algorithm, secretKeyFile: aliceFiles.secretKeyFile, peerPublicKeyFile: aliceFiles.publicKeyFile });
      const alice = loadAuthenticator({ algorithm, secretKeyFile: aliceFiles.secretKeyFile, peerPublicKeyFile: bobFiles.publicKeyFile });
      const bob = loadAuthenticator({ algorithm, secretKeyFile: bobFiles.secretKeyFile, peerPublicKeyFile: aliceFiles.publicKeyFile });
      expect(alice.algorithm).toBe(algorithm);
      const digest = sha256(randomBytes(64));
      const fromAlice = alice.sign(digest);
      expect(fromAlice).toHaveLength(alice.signatureLength);
      expect(aliceSelf.verify(digest, fromAlice)).toBe(true);
      expect(bob.verify(digest, fromAlice)).toBe(true);
      expect(alice.verify(digest, fromAlice)).toBe(false);
      expect(alice.verify(digest, bob.sign(digest))).toBe(true);
    });
  }

  it('falcon512 generated files are in the deployed format', () => {
    const dir = tempDir();
    const files = generateKeyPair('falcon512', dir);
    expect(files.secretKeyFile).toBe(join(dir, 'falcon512-secret_key.json'));
    const [f, g, F, G] = JSON.parse(readFileSync(files.secretKeyFile, 'utf8')) as number[][];
    expect([f, g, F, G].map((p) => p?.length)).toEqual([512, 512, 512, 512]);
    expect(completeFalconBasis(f ?? [], g ?? [], F ?? [])).toEqual(G);
    expect(JSON.parse(readFileSync(files.publicKeyFile, 'utf8'))).toHaveLength(512);
  });

  it('loads the deployed Falcon key files and verifies a frame from Bob', () => {
    const alice = loadAuthenticator({
      algorithm: 'falcon512',
      secretKeyFile: vector('falcon-alice-secret_key.json'),
      peerPublicKeyFile: vector('falcon-bob-public_key.json'),
    });
    const frame = (JSON.parse(readFileSync(vector('frames-falcon-signed-by-bob.json'), 'utf8')).frames as FalconFrame[])[0] as FalconFrame;
    const { signature, header, content } = splitFrame(frame);
    expect(alice.verify(sha256(header, content), signature)).toBe(true);
  });

  it('names the missing option and the unknown algorithm', () => {
    expect(loadAuthenticator({ algorithm: 'none' })).toBe(noneAuthenticator);
    expect(() => loadAuthenticator({ algorithm: 'ed25519', peerPublicKeyFile: 'x' })).toThrow(/secretKeyFile is missing/);
    expect(() => loadAuthenticator({ algorithm: 'falcon512', secretKeyFile: 'x' })).toThrow(/peerPublicKeyFile is missing/);
    expect(() => loadAuthenticator({ algorithm: 'rsa' as never })).toThrow(/unknown authentication algorithm "rsa"/);
    expect(() => generateKeyPair('ed25519', tempDir(), '../escape')).toThrow(/key name/);
  });
});

describe('keygen CLI', () => {
  const keygen = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/keygen.ts', ...args], { cwd: projectRoot, encoding: 'utf8' });

  it('writes a key pair and says which file goes to whom', () => {
    const dir = tempDir();
    const run = keygen('--algorithm', 'ed25519', '--out', dir, '--name', 'alice');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(join(dir, 'alice-public_key.json'));
    expect(run.stdout).toContain('--peer-public-key');
    const auth = loadAuthenticator({ algorithm: 'ed25519', secretKeyFile: join(dir, 'alice-secret_key.json'), peerPublicKeyFile: join(dir, 'alice-public_key.json') });
    const digest = sha256(randomBytes(8));
    expect(auth.verify(digest, auth.sign(digest))).toBe(true);
  });

  it('explains itself with --help and exits 2 on invalid arguments', () => {
    const help = keygen('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/public_key\.json[\s\S]*give this file to the peer[\s\S]*--peer-public-key/i);
    for (const args of [[], ['--algorithm', 'rsa', '--out', 'x'], ['--algorithm', 'ed25519'], ['--bogus'], ['--algorithm', 'ed25519', '--out', 'x', 'extra']]) {
      const run = keygen(...args);
      expect(run.status, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(/^keygen: .+\n[\s\S]*Usage:/);
    }
  });
});
