/**
 * The configuration keys and options of the key store and the key delivery
 * API, the same on both sides (`--key-store`, `--key-block-bits`,
 * `--kme-port`, and the `[kme]` table of the TOML file).
 */
import { z } from 'zod';
import type { OptionSpec } from '../config.ts';
import { DEFAULT_MAX_KEYS_PER_REQUEST } from './kme-server.ts';
import { DEFAULT_BLOCK_BITS, DEFAULT_MAX_KEY_COUNT, MAX_BLOCK_BITS, MIN_BLOCK_BITS } from './store.ts';

const saeSchema = z
  .strictObject({
    id: z.string().min(1),
    /** SHA-256 fingerprint of the SAE's client certificate. */
    fingerprint: z
      .string()
      .regex(/^([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$/, 'a SHA-256 fingerprint: 32 hexadecimal bytes, colons optional')
      .optional(),
    /** Its subject, attributes in order: "CN=SAE-A, O=Example". */
    subject: z.string().min(1).optional(),
  })
  .refine((s) => s.fingerprint !== undefined || s.subject !== undefined, { message: 'give the certificate\'s fingerprint or subject' });

export const kmeSchema = z.strictObject({
  /** Absent: keys are stored but not served. */
  port: z.number().int().min(0).max(65535).optional(),
  host: z.string().min(1).default('127.0.0.1'),
  kme_id: z.string().min(1).optional(),
  peer_kme_id: z.string().min(1).optional(),
  /** PEM files: this KME's certificate and key, the CA of the SAEs' certificates. */
  cert: z.string().min(1),
  key: z.string().min(1),
  ca: z.string().min(1),
  master_sae_id: z.string().min(1),
  slave_sae_id: z.string().min(1),
  max_keys_per_request: z.number().int().positive().max(10_000).default(DEFAULT_MAX_KEYS_PER_REQUEST),
  sae: z.array(saeSchema).min(1),
});

export const keyFields = {
  /** The store's file; the store is kept when this or the [kme] table is given. */
  key_store: z.string().min(1).optional(),
  key_block_bits: z
    .number()
    .int()
    .min(MIN_BLOCK_BITS)
    .max(MAX_BLOCK_BITS)
    .refine((b) => b % 8 === 0, 'a multiple of 8')
    .default(DEFAULT_BLOCK_BITS),
  max_key_count: z.number().int().positive().default(DEFAULT_MAX_KEY_COUNT),
  kme: kmeSchema.optional(),
};

export const keyConfigSchema = z.object(keyFields);
export type KeyConfig = z.infer<typeof keyConfigSchema>;

export const KEY_OPTIONS: Record<string, OptionSpec> = {
  'key-store': { type: 'string', key: 'key_store' },
  'key-block-bits': { type: 'string', key: 'key_block_bits', number: true },
  'kme-port': { type: 'string', key: 'kme.port', number: true },
};

export function keyHelp(defaultFile: string): string {
  return `Keys (see the README: key store, ETSI GS QKD 014 API)
  --key-store FILE            keep each frame's final key in this SQLite file (mode 0600;
                              default ./${defaultFile} when the [kme] table is given)
  --key-block-bits N          size of each key, a multiple of 8 from ${MIN_BLOCK_BITS} to ${MAX_BLOCK_BITS} (default ${DEFAULT_BLOCK_BITS})
  --kme-port N                serve the ETSI GS QKD 014 key delivery API (HTTPS, mutual TLS) on
                              this port; certificates and the SAE table come from the [kme]
                              table of --config (npm run kme-certs makes test ones)`;
}
