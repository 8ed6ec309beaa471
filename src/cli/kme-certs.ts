/**
 * Test certificates for the key delivery API: `npm run kme-certs -- --out DIR`.
 * A local CA, a server certificate for each KME, a client certificate for
 * each SAE, and a config file per side naming them. Test material only.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'smol-toml';
import { createAuthority, issue, type Issued } from '../keys/certificates.ts';

const USAGE = `Usage: npm run kme-certs -- --out DIR [options]

Writes TEST MATERIAL for trying the ETSI GS QKD 014 key delivery API, not a
production PKI (the CA's key lies beside the certificates it signs):
  DIR/ca.pem, DIR/ca-key.pem                 a local certificate authority
  DIR/kme-alice.pem, DIR/kme-alice-key.pem   Alice's KME (server certificate)
  DIR/kme-bob.pem, DIR/kme-bob-key.pem       Bob's KME (server certificate)
  DIR/sae-ID.pem, DIR/sae-ID-key.pem         each SAE (client certificates)
  DIR/alice-kme.toml, DIR/bob-kme.toml       config files for --config: the
                                             [kme] table with these files, the
                                             SAE IDs and fingerprints
Private keys are written with mode 0600. Existing files are never overwritten.

Options:
  -o, --out DIR        output directory (created if needed)
  --master-sae ID      the master SAE, served by Alice's KME (default SAE-A)
  --slave-sae ID       the slave SAE, served by Bob's KME (default SAE-B)
  --hosts H1,H2        names and addresses of the KMEs' certificates
                       (default localhost,127.0.0.1)
  --alice-port N       Alice's API port in alice-kme.toml (default 8443)
  --bob-port N         Bob's API port in bob-kme.toml (default 8444)
  --days N             validity (default 30)
  -h, --help           this help`;

function fail(message: string): never {
  console.error(`kme-certs: ${message}\n\n${USAGE}`);
  process.exit(2);
}

const parsed = (() => {
  try {
    return parseArgs({
      args: process.argv.slice(2),
      options: {
        out: { type: 'string', short: 'o' },
        'master-sae': { type: 'string', default: 'SAE-A' },
        'slave-sae': { type: 'string', default: 'SAE-B' },
        hosts: { type: 'string', default: 'localhost,127.0.0.1' },
        'alice-port': { type: 'string', default: '8443' },
        'bob-port': { type: 'string', default: '8444' },
        days: { type: 'string', default: '30' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    return fail((error as Error).message);
  }
})();
const { values } = parsed;
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!values.out) fail('--out is required');
const out = resolve(values.out);
const days = Number(values.days);
if (!Number.isInteger(days) || days < 1) fail(`--days must be a positive integer, got "${values.days}"`);
const ports = { alice: Number(values['alice-port']), bob: Number(values['bob-port']) };
for (const [side, port] of Object.entries(ports)) {
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`--${side}-port must be a TCP port, got "${values[`${side}-port` as 'alice-port']}"`);
}
const master = values['master-sae'];
const slave = values['slave-sae'];
const ID = /^[A-Za-z0-9._-]+$/;
for (const id of [master, slave]) if (!ID.test(id)) fail(`an SAE ID may only use letters, digits, ".", "_" and "-", got "${id}"`);
if (master === slave) fail('the master and slave SAE IDs must differ');
const hosts = values.hosts.split(',').map((h) => h.trim()).filter(Boolean);

const files = {
  ca: 'ca.pem',
  caKey: 'ca-key.pem',
  alice: 'kme-alice.pem',
  aliceKey: 'kme-alice-key.pem',
  bob: 'kme-bob.pem',
  bobKey: 'kme-bob-key.pem',
  master: `sae-${master}.pem`,
  masterKey: `sae-${master}-key.pem`,
  slave: `sae-${slave}.pem`,
  slaveKey: `sae-${slave}-key.pem`,
  aliceConfig: 'alice-kme.toml',
  bobConfig: 'bob-kme.toml',
};
const existing = Object.values(files).filter((f) => existsSync(join(out, f)));
if (existing.length > 0) {
  console.error(`kme-certs: not overwriting existing files in ${out}: ${existing.join(', ')}`);
  process.exit(1);
}

const ca = await createAuthority('QOSST test CA', days);
const [alice, bob, masterCert, slaveCert] = (await Promise.all([
  issue(ca, 'KME-Alice', { server: hosts }, days),
  issue(ca, 'KME-Bob', { server: hosts }, days),
  issue(ca, master, 'client', days),
  issue(ca, slave, 'client', days),
])) as [Issued, Issued, Issued, Issued];

const path = (f: string) => join(out, f);
const sideConfig = (side: 'alice' | 'bob', kme: { cert: string; key: string }, sae: { id: string; cert: Issued }) =>
  `# qosst-${side} --config ${files[`${side}Config`]}: the key store and the ETSI GS QKD 014 API with the\n` +
  `# TEST certificates made by npm run kme-certs (not a production PKI).\n` +
  stringify({
    key_store: `qosst-${side}-keys.sqlite`,
    kme: {
      port: ports[side],
      host: '127.0.0.1',
      kme_id: side === 'alice' ? 'KME-Alice' : 'KME-Bob',
      peer_kme_id: side === 'alice' ? 'KME-Bob' : 'KME-Alice',
      cert: path(kme.cert),
      key: path(kme.key),
      ca: path(files.ca),
      master_sae_id: master,
      slave_sae_id: slave,
      sae: [{ id: sae.id, fingerprint: sae.cert.fingerprint256 }],
    },
  }) +
  '\n';

mkdirSync(out, { recursive: true });
const write = (file: string, text: string, secret = false) => writeFileSync(path(file), text, { flag: 'wx', mode: secret ? 0o600 : 0o644 });
write(files.ca, ca.cert);
write(files.caKey, ca.key, true);
write(files.alice, alice.cert);
write(files.aliceKey, alice.key, true);
write(files.bob, bob.cert);
write(files.bobKey, bob.key, true);
write(files.master, masterCert.cert);
write(files.masterKey, masterCert.key, true);
write(files.slave, slaveCert.cert);
write(files.slaveKey, slaveCert.key, true);
write(files.aliceConfig, sideConfig('alice', { cert: files.alice, key: files.aliceKey }, { id: master, cert: masterCert }));
write(files.bobConfig, sideConfig('bob', { cert: files.bob, key: files.bobKey }, { id: slave, cert: slaveCert }));

console.log(`Test certificates (valid ${days} days) written to ${out}:
  CA            ${files.ca}
  Alice's KME   ${files.alice}   (serves ${master}, the master SAE)
  Bob's KME     ${files.bob}     (serves ${slave}, the slave SAE)
  SAE ${master.padEnd(9)} ${files.master}  fingerprint ${masterCert.fingerprint256}
  SAE ${slave.padEnd(9)} ${files.slave}  fingerprint ${slaveCert.fingerprint256}
Start the two sides with them:
  npm run alice -- --config ${path(files.aliceConfig)}
  npm run bob -- run --frames 0 --config ${path(files.bobConfig)}
This is test material: a real deployment uses its own PKI.`);
