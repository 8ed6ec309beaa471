/**
 * The key delivery part of `npm start`: test certificates in a temporary
 * folder, the `[kme]` table of each side, and the closing check that the
 * master SAE (at Alice) and the slave SAE (at Bob) get the same key.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAuthority, issue, type Issued } from './certificates.ts';
import type { z } from 'zod';
import type { kmeSchema } from './config.ts';
import { KmeClient } from './kme-client.ts';

export const DEMO_MASTER_SAE = 'SAE-A';
export const DEMO_SLAVE_SAE = 'SAE-B';

export interface DemoKeys {
  /** The `[kme]` table of each side (port 0: a free one). */
  kme: Record<'alice' | 'bob', z.input<typeof kmeSchema>>;
  ca: Issued;
  master: Issued;
  slave: Issued;
}

/** Test certificates (valid one day) written to `dir`, and each side's `[kme]` table naming them. */
export async function prepareDemoKeys(dir: string): Promise<DemoKeys> {
  const ca = await createAuthority('QOSST npm start CA', 1);
  const [alice, bob, master, slave] = (await Promise.all([
    issue(ca, 'KME-Alice', { server: ['127.0.0.1', 'localhost'] }, 1),
    issue(ca, 'KME-Bob', { server: ['127.0.0.1', 'localhost'] }, 1),
    issue(ca, DEMO_MASTER_SAE, 'client', 1),
    issue(ca, DEMO_SLAVE_SAE, 'client', 1),
  ])) as [Issued, Issued, Issued, Issued];
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text, { mode: 0o600 });
    return join(dir, name);
  };
  const caFile = file('ca.pem', ca.cert);
  const table = (side: 'alice' | 'bob', server: Issued, sae: { id: string; cert: Issued }) => ({
    port: 0,
    cert: file(`kme-${side}.pem`, server.cert),
    key: file(`kme-${side}-key.pem`, server.key),
    ca: caFile,
    master_sae_id: DEMO_MASTER_SAE,
    slave_sae_id: DEMO_SLAVE_SAE,
    sae: [{ id: sae.id, fingerprint: sae.cert.fingerprint256 }],
  });
  return {
    kme: { alice: table('alice', alice, { id: DEMO_MASTER_SAE, cert: master }), bob: table('bob', bob, { id: DEMO_SLAVE_SAE, cert: slave }) },
    ca,
    master,
    slave,
  };
}

export type DeliveryCheck = { delivered: false; stored: number } | { delivered: true; keyId: string; bits: number; match: boolean };

/**
 * The master SAE takes one key from Alice's KME (`enc_keys`), the slave SAE
 * the same key ID from Bob's (`dec_keys`); reports whether the bytes match,
 * never the key itself. Nothing is taken when Alice has no key.
 */
export async function checkKeyDelivery(demo: DemoKeys, ports: { alice: number; bob: number }): Promise<DeliveryCheck> {
  const client = (port: number, sae: Issued) => new KmeClient({ host: '127.0.0.1', port, ca: demo.ca.cert, cert: sae.cert, key: sae.key });
  const master = client(ports.alice, demo.master);
  const slave = client(ports.bob, demo.slave);
  const { stored_key_count: stored } = await master.status(DEMO_SLAVE_SAE);
  if (stored === 0) return { delivered: false, stored };
  const [sent] = (await master.encKeys(DEMO_SLAVE_SAE, 1)).keys;
  const [received] = (await slave.decKeys(DEMO_MASTER_SAE, [sent!.key_ID])).keys;
  const a = Buffer.from(sent!.key, 'base64');
  const b = Buffer.from(received!.key, 'base64');
  return { delivered: true, keyId: sent!.key_ID, bits: a.length * 8, match: received!.key_ID === sent!.key_ID && a.equals(b) };
}
