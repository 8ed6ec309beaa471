/** One side's key service from its configuration: the store, the final-key hook, and the API when a port is set. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { KeyConfig } from './config.ts';
import { storeFinalKeys, type FinalKeyHook } from './final-key.ts';
import { KmeServer, type KmeRole } from './kme-server.ts';
import { KeyStore } from './store.ts';

export interface KeyService {
  store: KeyStore;
  onFinalKey: FinalKeyHook;
  /** The API's port, when it is served. */
  kmePort?: number;
  close(): Promise<void>;
}

export const DEFAULT_KEY_STORE = { master: 'qosst-alice-keys.sqlite', slave: 'qosst-bob-keys.sqlite' } as const;
const DEFAULT_KME_ID = { master: 'KME-Alice', slave: 'KME-Bob' } as const;

function readPem(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new Error(`kme.${what}: cannot read "${file}": ${(error as Error).message}`);
  }
}

/** Null when neither a store file nor the [kme] table is configured: final keys are then not kept. */
export async function startKeyService(config: KeyConfig, role: KmeRole, log: Logger): Promise<KeyService | null> {
  if (config.key_store === undefined && config.kme === undefined) return null;
  const file = resolve(config.key_store ?? DEFAULT_KEY_STORE[role]);
  const store = new KeyStore({ path: file, blockBits: config.key_block_bits, maxKeyCount: config.max_key_count });
  if (store.modeTightened) log.warn({ file }, 'the key store was readable by others: its mode is now 0600');
  log.info({ file, keys: store.count(), blockBits: store.blockBits }, 'key store open');
  let kme: KmeServer | undefined;
  const { kme: api } = config;
  try {
    if (api?.port !== undefined) {
      const other = role === 'master' ? 'slave' : 'master';
      kme = await KmeServer.start({
        role,
        store,
        host: api.host,
        port: api.port,
        tls: { cert: readPem(api.cert, 'cert'), key: readPem(api.key, 'key'), ca: readPem(api.ca, 'ca') },
        kmeId: api.kme_id ?? DEFAULT_KME_ID[role],
        peerKmeId: api.peer_kme_id ?? DEFAULT_KME_ID[other],
        masterSaeId: api.master_sae_id,
        slaveSaeId: api.slave_sae_id,
        saes: api.sae.map((s) => ({ saeId: s.id, fingerprint256: s.fingerprint, subject: s.subject })),
        maxKeysPerRequest: api.max_keys_per_request,
        log,
      });
    }
  } catch (error) {
    store.close();
    throw error;
  }
  return {
    store,
    // Alice refuses a frame she cannot keep (Bob then does not keep it either); Bob's frame is over already.
    onFinalKey: storeFinalKeys(store, log, { refuseWhenFull: role === 'master' }),
    kmePort: kme?.port,
    close: async () => {
      await kme?.close();
      store.close();
    },
  };
}
