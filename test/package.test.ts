/**
 * The package as a user gets it: `npm pack` (which builds through `prepare`),
 * the tarball installed into a new project offline from npm's cache (no tsx
 * there), then plain node runs a whole frame through the package's own
 * names, tsc type-checks a file that uses the public types, and the
 * installed bins answer --help.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumerLockfile, type Lockfile } from './support/offline-lock.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CONSUMER_FILES = fileURLToPath(new URL('./consumer/', import.meta.url));
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const ours = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  dependencies: Record<string, string>;
  bin: Record<string, string>;
  engines: Record<string, string>;
};

/** No tsx loader and no project's node_modules/.bin: what a user's shell has. */
function plainEnv(): NodeJS.ProcessEnv {
  const { NODE_OPTIONS: _options, ...env } = process.env;
  const path = (env.PATH ?? '').split(delimiter).filter((dir) => !dir.includes('node_modules'));
  return { ...env, PATH: [dirname(process.execPath), ...path].join(delimiter) };
}

let work: string;
let project: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'qosst-package-'));
  project = join(work, 'consumer');
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, env: plainEnv(), maxBuffer: 64 << 20 });
  const [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as [{ filename: string; integrity: string }];
  mkdirSync(project);
  copyFileSync(join(work, packed.filename), join(project, packed.filename));
  const lock = consumerLockfile(
    JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as Lockfile,
    'qosst-consumer',
    { name: ours.name, version: ours.version, file: packed.filename, integrity: packed.integrity, dependencies: ours.dependencies, bin: ours.bin, engines: ours.engines },
    ['@types/node'],
  );
  const root = lock.packages[''] as { dependencies: Record<string, string> };
  // The consumer uses no key store: it denies better-sqlite3's native build (minutes of compiling), as npm 11 lets a project do.
  const allowScripts = { 'better-sqlite3': false };
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'qosst-consumer', version: '1.0.0', private: true, type: 'module', dependencies: root.dependencies, allowScripts }, null, 2));
  writeFileSync(join(project, 'package-lock.json'), JSON.stringify(lock, null, 2));
  for (const file of ['frame.mjs', 'use-types.ts', 'tsconfig.json']) copyFileSync(join(CONSUMER_FILES, file), join(project, file));
  await run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], { cwd: project, env: plainEnv(), maxBuffer: 64 << 20 });
}, 600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed package, installed into a new project', () => {
  it('ships the compiled entries, bins and run-time files, and no tsx', () => {
    const installed = join(project, 'node_modules', ours.name);
    for (const file of ['dist/src/index.js', 'dist/src/alice/index.d.ts', 'dist/machines/index.js', 'dist/src/review/page.html', 'dist/src/cli/alice.js.map']) {
      expect(existsSync(join(installed, file)), file).toBe(true);
    }
    expect(existsSync(join(installed, 'src'))).toBe(false);
    expect(existsSync(join(installed, 'test'))).toBe(false);
    expect(existsSync(join(project, 'node_modules', 'tsx'))).toBe(false);
  });

  it('runs a whole frame over loopback from plain JavaScript through the package names', async () => {
    const { stdout } = await run(process.execPath, ['frame.mjs'], { cwd: project, env: plainEnv(), timeout: 120_000 });
    const result = JSON.parse(stdout) as {
      frame: { status: string; keyBits: number; frameUuid: string };
      phases: string[];
      events: string[];
      address: string;
      port: number;
    };
    expect(result.frame.status).toBe('completed');
    expect(result.frame.keyBits).toBeGreaterThan(0);
    expect(result.frame.frameUuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(result.phases).toEqual([
      'initialization',
      'quantum-information-exchange',
      'parameter-estimation',
      'error-correction',
      'privacy-amplification',
      'end-of-frame',
    ]);
    expect(result.events).toEqual(['opened s1', 'closed s1']);
    expect(result.address).toBe('127.0.0.1');
    expect(result.port).toBeGreaterThan(0);
  }, 150_000);

  it('type-checks a TypeScript file that uses the public types', async () => {
    const checked = await run(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: project, env: plainEnv(), timeout: 240_000 }).then(
      () => '',
      (error: { stdout?: string; message: string }) => error.stdout || error.message,
    );
    expect(checked).toBe('');
  }, 300_000);

  it.each(['qosst-alice', 'qosst-bob', 'qosst-keygen'])('the installed %s --help runs with plain node and exits 0', async (bin) => {
    const { stdout } = await run(join(project, 'node_modules', '.bin', bin), ['--help'], { cwd: project, env: plainEnv(), timeout: 60_000 });
    expect(stdout).toContain(bin === 'qosst-keygen' ? 'qosst-keygen' : `${bin}:`);
    expect(stdout).toMatch(/--/);
  }, 90_000);
});
