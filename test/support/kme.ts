/** Test PKI and an HTTPS client with a client certificate, for the key delivery API tests. */
import { request } from 'node:https';
import { createAuthority, issue, type Issued } from '../../src/keys/certificates.ts';
import type { SaeCertificate } from '../../src/keys/sae-identity.ts';

export const MASTER = 'SAE-A';
export const SLAVE = 'SAE-B';

export interface TestPki {
  ca: Issued;
  alice: Issued;
  bob: Issued;
  master: Issued;
  slave: Issued;
  /** Signed by the CA but in no SAE table. */
  stranger: Issued;
  /** Signed by another CA, claiming to be the master SAE. */
  forged: Issued;
  /** The SAE table: the master by fingerprint, the slave by subject. */
  saes: SaeCertificate[];
}

export async function createTestPki(): Promise<TestPki> {
  const ca = await createAuthority('QOSST test CA', 2);
  const other = await createAuthority('QOSST test CA', 2);
  const hosts = ['127.0.0.1', 'localhost'];
  const [alice, bob, master, slave, stranger, forged] = await Promise.all([
    issue(ca, 'KME-A', { server: hosts }, 2),
    issue(ca, 'KME-B', { server: hosts }, 2),
    issue(ca, MASTER, 'client', 2),
    issue(ca, SLAVE, 'client', 2),
    issue(ca, 'SAE-X', 'client', 2),
    issue(other, MASTER, 'client', 2),
  ]);
  return {
    ca,
    alice: alice!,
    bob: bob!,
    master: master!,
    slave: slave!,
    stranger: stranger!,
    forged: forged!,
    saes: [
      { saeId: MASTER, fingerprint256: master!.fingerprint256 },
      { saeId: SLAVE, subject: `CN=${SLAVE}, O=QOSST test material` },
    ],
  };
}

export interface Reply {
  status: number;
  body: any;
}

/** One HTTPS request to a KME on 127.0.0.1, as the SAE holding `client` (none: no certificate). */
export function kmeRequest(
  port: number,
  ca: string,
  client: Issued | null,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  options: { rawBody?: string; contentType?: string } = {},
): Promise<Reply> {
  const payload = options.rawBody ?? (body === undefined ? undefined : JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        ca,
        servername: 'localhost',
        ...(client ? { cert: client.cert, key: client.key } : {}),
        agent: false,
        timeout: 10_000,
        headers: payload === undefined ? {} : { 'content-type': options.contentType ?? 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // Kept as text: the assertion shows it.
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from the KME within 10 s: ${method} ${path}`)));
    req.on('error', reject);
    req.end(payload);
  });
}
