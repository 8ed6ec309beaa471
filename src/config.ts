/**
 * What the daemon's and Bob's command lines share: options parsed with
 * node:util, a TOML file (`--config FILE`) under them, one zod schema over
 * both, and errors that name the option or key.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseToml } from 'smol-toml';
import { z } from 'zod';
import { ALGORITHMS } from './protocol/auth/authenticator.ts';
import { DEFAULT_MAX_CONTENT_LENGTH } from './protocol/frame.ts';
import { QOSST_VERSIONS } from './protocol/versions.ts';

export class ConfigError extends Error {}

export interface OptionSpec {
  type: 'string' | 'boolean';
  /** The config key it sets; `sim.symbols` reaches into the `[sim]` table. */
  key?: string;
  number?: true;
  /** Comma-separated values. */
  list?: true;
  /** The only command (or commands) it is valid for. */
  only?: string | readonly string[];
  /** What a boolean option with a key sets it to (`--no-x` sets false). */
  sets?: boolean;
}

export interface CommandLine {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export function parseCommandLine(argv: readonly string[], options: Record<string, OptionSpec>, allowPositionals: boolean): CommandLine {
  try {
    const parsed = parseArgs({
      args: [...argv],
      options: {
        ...Object.fromEntries(Object.entries(options).map(([name, o]) => [name, { type: o.type }])),
        config: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals,
      strict: true,
    });
    return { values: parsed.values as CommandLine['values'], positionals: parsed.positionals };
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}\nSee --help.`);
  }
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const [head, tail] = path.split('.') as [string, string | undefined];
  if (tail === undefined) target[head] = value;
  else setPath((target[head] ??= {}) as Record<string, unknown>, tail, value);
}

/** The TOML file's content with the command line's options over it, validated by the schema. */
export function resolveConfig<S extends z.ZodType>(
  schema: S,
  { values }: CommandLine,
  options: Record<string, OptionSpec>,
  command?: string,
): z.infer<S> {
  let raw: Record<string, unknown> = {};
  if (typeof values.config === 'string') {
    try {
      raw = parseToml(readFileSync(values.config, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new ConfigError(`config file ${values.config}: ${(error as Error).message}`);
    }
  }
  for (const [name, spec] of Object.entries(options)) {
    const value = values[name];
    if (value === undefined) continue;
    const only = typeof spec.only === 'string' ? [spec.only] : spec.only;
    if (only && !only.includes(command ?? '')) {
      throw new ConfigError(`--${name} is only valid for ${only.map((c) => `"${c}"`).join(' or ')}\nSee ${command} --help.`);
    }
    if (typeof value === 'boolean' && spec.key !== undefined) setPath(raw, spec.key, spec.sets ?? value);
    if (typeof value !== 'string' || spec.key === undefined) continue;
    let v: unknown = value;
    if (spec.number) {
      v = Number(value);
      if (value.trim() === '' || Number.isNaN(v)) throw new ConfigError(`--${name}: "${value}" is not a number`);
    } else if (spec.list) {
      v = value.split(',').map((s) => s.trim()).filter(Boolean);
    }
    setPath(raw, spec.key, v);
  }
  return validateConfig(schema, raw);
}

/** Validates a configuration object; throws ConfigError naming each wrong key. */
export function validateConfig<S extends z.ZodType>(schema: S, raw: unknown): z.infer<S> {
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(file)'}: ${i.message}`).join('\n');
    throw new ConfigError(`invalid configuration:\n${issues}`);
  }
  return result.data;
}

/** The keys both programs have: authentication, framing and logs. */
export const sharedFields = {
  versions: z.array(z.string().min(1)).min(1).default([...QOSST_VERSIONS]),
  auth: z.enum(ALGORITHMS).default('none'),
  secret_key: z.string().min(1).optional(),
  peer_public_key: z.string().min(1).optional(),
  header_order: z.enum(['deployed', 'spec']).default('deployed'),
  max_content_length: z.number().int().positive().default(DEFAULT_MAX_CONTENT_LENGTH),
  log_format: z.enum(['auto', 'pretty', 'json']).default('auto'),
};

/** With ed25519 or falcon512, both key files are required. */
export function requireKeyFiles(c: { auth: string; secret_key?: string; peer_public_key?: string }, ctx: z.RefinementCtx): void {
  if (c.auth === 'none') return;
  for (const key of ['secret_key', 'peer_public_key'] as const) {
    if (c[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: `required with auth = "${c.auth}"` });
  }
}

/** The options both programs have, with the config key each sets. */
export const SHARED_OPTIONS: Record<string, OptionSpec> = {
  host: { type: 'string', key: 'host' },
  port: { type: 'string', key: 'port', number: true },
  'serial-number': { type: 'string', key: 'serial_number' },
  versions: { type: 'string', key: 'versions', list: true },
  auth: { type: 'string', key: 'auth' },
  'secret-key': { type: 'string', key: 'secret_key' },
  'peer-public-key': { type: 'string', key: 'peer_public_key' },
  'header-order': { type: 'string', key: 'header_order' },
  'max-content-length': { type: 'string', key: 'max_content_length', number: true },
  'log-level': { type: 'string', key: 'log_level' },
  'log-format': { type: 'string', key: 'log_format' },
};
