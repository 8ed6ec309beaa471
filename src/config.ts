/**
 * What the daemon's and Bob's command lines share: options parsed with
 * node:util, a TOML file (`--config FILE`) under them, one zod schema over
 * both, and errors that name the option or key.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseToml } from 'smol-toml';
import type { z } from 'zod';

export class ConfigError extends Error {}

export interface OptionSpec {
  type: 'string' | 'boolean';
  /** The config key it sets; `sim.symbols` reaches into the `[sim]` table. */
  key?: string;
  number?: true;
  /** Comma-separated values. */
  list?: true;
  /** The only command it is valid for. */
  only?: string;
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
    if (spec.only && spec.only !== command) throw new ConfigError(`--${name} is only valid for "${spec.only}"\nSee ${command} --help.`);
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
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(file)'}: ${i.message}`).join('\n');
    throw new ConfigError(`invalid configuration:\n${issues}`);
  }
  return result.data;
}
