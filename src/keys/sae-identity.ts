/**
 * Who is calling: the SAE ID that the verified client certificate maps to,
 * through the configured table (SHA-256 fingerprint or subject).
 */
import type { TLSSocket } from 'node:tls';

export interface SaeCertificate {
  saeId: string;
  /** SHA-256 fingerprint of the certificate, hexadecimal, colons optional. */
  fingerprint256?: string;
  /** The certificate's subject, attributes in order: `CN=SAE-A, O=QOSST test`. */
  subject?: string;
}

export type Identity = { ok: true; saeId: string } | { ok: false; message: string };

const normalizeFingerprint = (f: string) => f.replace(/:/g, '').toUpperCase();

/** Subject attributes as `A=v` strings in order; Node prints one per line, operators with commas. */
const normalizeSubject = (s: string) =>
  s
    .split(/\n|,/)
    .map((part) => part.trim().replace(/\s*=\s*/, '='))
    .filter(Boolean)
    .join(',');

export function saeIdentifier(table: readonly SaeCertificate[]): (socket: TLSSocket) => Identity {
  const byFingerprint = new Map<string, string>();
  const bySubject = new Map<string, string>();
  for (const entry of table) {
    if (entry.fingerprint256) byFingerprint.set(normalizeFingerprint(entry.fingerprint256), entry.saeId);
    if (entry.subject) bySubject.set(normalizeSubject(entry.subject), entry.saeId);
  }
  return (socket) => {
    const cert = socket.getPeerX509Certificate();
    if (!cert) return { ok: false, message: 'a client certificate is required' };
    if (!socket.authorized) return { ok: false, message: `the client certificate was not verified: ${String(socket.authorizationError)}` };
    const saeId = byFingerprint.get(normalizeFingerprint(cert.fingerprint256)) ?? bySubject.get(normalizeSubject(cert.subject));
    if (saeId === undefined) return { ok: false, message: 'the client certificate is not mapped to any SAE ID' };
    return { ok: true, saeId };
  };
}
