/**
 * Bob's receiver cannot see Alice's emitter: no module Bob's side loads
 * (his driver, command line, simulated receiver and detector) imports,
 * directly or through others, Alice's daemon, her simulated emitter or the
 * fibre's channel model. What they share is the fibre's transport, the
 * protocol and the physics.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

const BOB_ENTRY_POINTS = ['src/cli/bob.ts', 'src/bob/session.ts', 'src/bob/run.ts', 'src/bob/probe.ts', 'src/sim/bob-sim.ts', 'src/sim/detector.ts'];

/** Alice's emitter side: her daemon, her simulated emitter, the fibre's model. */
const ALICE_ONLY = (path: string) =>
  path.startsWith('src/alice/') || path === 'src/cli/alice.ts' || path === 'src/sim/alice-sim.ts' || path === 'src/sim/fibre.ts' || path === 'src/main.ts';

// Static imports and re-exports, type-only ones included (`import type`, `export ... from`), and dynamic import('...').
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g;

function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const out: string[] = [];
  for (const match of text.matchAll(IMPORT)) {
    const specifier = match[1] ?? match[2] ?? match[3]!;
    if (specifier.startsWith('.')) out.push(relative(ROOT, resolve(ROOT, dirname(file), specifier)));
  }
  return out;
}

/** Every project module reachable from the entry points, with the path that first reached it. */
function closure(entries: string[]): Map<string, string[]> {
  const reached = new Map<string, string[]>(entries.map((e) => [e, [e]]));
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const next of importsOf(file)) {
      if (reached.has(next)) continue;
      reached.set(next, [...reached.get(file)!, next]);
      queue.push(next);
    }
  }
  return reached;
}

describe("Bob's receiver and Alice's emitter", () => {
  it('the import scanner sees static, type-only and re-exported imports', () => {
    const alice = importsOf('src/sim/alice-sim.ts');
    expect(alice).toContain('src/sim/fibre.ts');
    expect(alice).toContain('src/alice/backend.ts');
    expect(importsOf('src/bob/backend.ts')).toContain('src/sim/fibre-link.ts');
    expect(closure(['src/main.ts']).has('src/sim/alice-sim.ts')).toBe(true);
  });

  it("no module of Bob's side imports Alice's emitter side", () => {
    const reached = closure(BOB_ENTRY_POINTS);
    expect(reached.has('src/sim/detector.ts')).toBe(true);
    expect(reached.has('src/sim/fibre-tcp.ts')).toBe(true);
    expect(reached.has('src/physics/estimation.ts')).toBe(true);
    const leaks = [...reached].filter(([file]) => ALICE_ONLY(file)).map(([, path]) => path.join(' -> '));
    expect(leaks).toEqual([]);
  });
});
