#!/usr/bin/env node
/** qosst-keygen: key-pair generator: `npm run keygen -- --algorithm ed25519|falcon512 --out DIR [--name NAME]`. */
import { parseArgs } from 'node:util';
import { generateKeyPair } from '../protocol/auth/index.ts';
import type { KeyAlgorithm } from '../protocol/auth/index.ts';

const USAGE = `Usage: npm run keygen -- --algorithm ed25519|falcon512 --out DIR [--name NAME]
       (or: qosst-keygen --algorithm ... --out DIR [--name NAME])

Writes a key pair for authenticating the QOSST control channel:
  DIR/NAME-secret_key.json   the secret key (mode 0600). It stays with the party
                             that generated it: pass it to that party's own
                             daemon or driver as --secret-key.
  DIR/NAME-public_key.json   the public key. Give this file to the peer, who
                             passes it to its program as --peer-public-key.
Alice and Bob each run keygen once and exchange their public key files.

Options:
  -a, --algorithm   ed25519 (our JSON key files) or falcon512 (the key-file
                    format of the deployed Python QOSST suite)
  -o, --out         output directory (created if needed)
  -n, --name        file name prefix, e.g. alice (default: the algorithm)
  -h, --help        show this help
Existing key files are never overwritten.`;

const KEY_ALGORITHMS: readonly KeyAlgorithm[] = ['ed25519', 'falcon512'];

function usageError(message: string): number {
  console.error(`keygen: ${message}\n\n${USAGE}`);
  return 2;
}

function main(argv: string[]): number {
  const parsed = (() => {
    try {
      return parseArgs({
        args: argv,
        options: {
          algorithm: { type: 'string', short: 'a' },
          out: { type: 'string', short: 'o' },
          name: { type: 'string', short: 'n' },
          help: { type: 'boolean', short: 'h' },
        },
        strict: true,
        allowPositionals: false,
      });
    } catch (err) {
      return err as Error;
    }
  })();
  if (parsed instanceof Error) return usageError(parsed.message);
  const { values } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const algorithm = values.algorithm as KeyAlgorithm | undefined;
  if (!algorithm) return usageError('--algorithm is required');
  if (!KEY_ALGORITHMS.includes(algorithm)) {
    return usageError(`--algorithm must be ed25519 or falcon512, got "${algorithm}"`);
  }
  if (!values.out) return usageError('--out is required');
  if (values.name !== undefined && !/^[A-Za-z0-9._-]+$/.test(values.name)) {
    return usageError(`--name may only use letters, digits, ".", "_" and "-", got "${values.name}"`);
  }
  try {
    const files = generateKeyPair(algorithm, values.out, values.name);
    console.log(`${algorithm} key pair written:
  secret key (keep it, pass as --secret-key): ${files.secretKeyFile}
  public key (give it to the peer, who passes it as --peer-public-key): ${files.publicKeyFile}`);
    return 0;
  } catch (err) {
    console.error(`keygen: ${(err as Error).message}`);
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));
