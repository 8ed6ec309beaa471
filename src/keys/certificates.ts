/**
 * Test material for trying the key delivery API: a local CA, a server
 * certificate per KME and a client certificate per SAE (ECDSA P-256,
 * SHA-256), made with @peculiar/x509 over Node's WebCrypto. Not a
 * production PKI: the CA key sits next to the certificates it signs.
 */
import 'reflect-metadata';
import { webcrypto, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

export interface Issued {
  /** PEM certificate. */
  cert: string;
  /** PEM PKCS #8 private key. */
  key: string;
  /** SHA-256 fingerprint, colon-separated hexadecimal (as Node's `fingerprint256`). */
  fingerprint256: string;
  subject: string;
}

export interface Authority extends Issued {
  keys: CryptoKeyPair;
  certificate: x509.X509Certificate;
}

const serial = () => Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1');
const validity = (days: number) => ({ notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + days * DAY_MS) });
// Subject values are our own names: refuse what would need escaping in a distinguished name.
const commonName = (name: string) => {
  if (!/^[A-Za-z0-9 ._@-]+$/.test(name)) throw new Error(`certificate name "${name}" may only use letters, digits, space, ".", "_", "@" and "-"`);
  return `CN=${name}, O=QOSST test material`;
};

async function exportPem(certificate: x509.X509Certificate, keys: CryptoKeyPair): Promise<Issued> {
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as webcrypto.CryptoKey)).toString('base64');
  const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
  const cert = certificate.toString('pem');
  const node = new X509Certificate(cert);
  return { cert, key, fingerprint256: node.fingerprint256, subject: node.subject };
}

export async function createAuthority(name: string, days: number): Promise<Authority> {
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']) as CryptoKeyPair;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: commonName(name),
    ...validity(days),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { ...(await exportPem(certificate, keys)), keys, certificate };
}

/** A server certificate (a KME: `hosts` are its DNS names and IP addresses) or a client certificate (an SAE). */
export async function issue(ca: Authority, name: string, usage: { server: readonly string[] } | 'client', days: number): Promise<Issued> {
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']) as CryptoKeyPair;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([usage === 'client' ? x509.ExtendedKeyUsage.clientAuth : x509.ExtendedKeyUsage.serverAuth], false),
    await x509.AuthorityKeyIdentifierExtension.create(ca.certificate, false),
  ];
  if (usage !== 'client') {
    extensions.push(new x509.SubjectAlternativeNameExtension(usage.server.map((h) => ({ type: isIP(h) ? ('ip' as const) : ('dns' as const), value: h })), false));
  }
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: commonName(name),
    issuer: ca.certificate.subject,
    ...validity(days),
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: ALGORITHM,
    extensions,
  });
  return exportPem(certificate, keys);
}
