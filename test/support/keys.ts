/** Key setups for each authenticator: fresh ed25519 pairs, the deployed peers' Falcon key files. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Authenticator } from '../../src/protocol/auth/authenticator.ts';
import { generateKeyPair, loadAuthenticator } from '../../src/protocol/auth/index.ts';
import { vectorPath } from './vectors.ts';

export type Algorithm = 'none' | 'ed25519' | 'falcon512';

export interface KeySetup {
  /** Alice's config keys for the algorithm. */
  alice: Record<string, unknown>;
  /** Bob's authenticator, paired with Alice's keys. */
  bob: Authenticator;
}

export const KEY_SETUPS: Record<Algorithm, () => KeySetup> = {
  none: () => ({ alice: { auth: 'none' }, bob: loadAuthenticator({ algorithm: 'none' }) }),
  ed25519: () => {
    const dir = mkdtempSync(join(tmpdir(), 'qosst-bob-keys-'));
    const a = generateKeyPair('ed25519', dir, 'alice');
    const b = generateKeyPair('ed25519', dir, 'bob');
    return {
      alice: { auth: 'ed25519', secret_key: a.secretKeyFile, peer_public_key: b.publicKeyFile },
      bob: loadAuthenticator({ algorithm: 'ed25519', secretKeyFile: b.secretKeyFile, peerPublicKeyFile: a.publicKeyFile }),
    };
  },
  falcon512: () => ({
    alice: {
      auth: 'falcon512',
      secret_key: vectorPath('falcon-alice-secret_key.json'),
      peer_public_key: vectorPath('falcon-bob-public_key.json'),
    },
    bob: loadAuthenticator({
      algorithm: 'falcon512',
      secretKeyFile: vectorPath('falcon-bob-secret_key.json'),
      peerPublicKeyFile: vectorPath('falcon-alice-public_key.json'),
    }),
  }),
};

