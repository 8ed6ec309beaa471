/** A clone with nothing beside it must pass: no tracked file may point outside the project. */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
// Built from parts so that this file does not match itself.
const outside = ['..', 'shared'].join('/');

describe('self-contained project', () => {
  it('no tracked file refers to the shared folder beside the checkout', () => {
    const files = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean);
    expect(files.length).toBeGreaterThan(50);
    let hits = '';
    try {
      hits = execFileSync('git', ['grep', '-l', '-F', outside, '--', '.'], { cwd: root, encoding: 'utf8' });
    } catch (error) {
      // git grep exits 1 when nothing matches.
      if ((error as { status?: number }).status !== 1) throw error;
    }
    expect(hits.split('\n').filter(Boolean)).toEqual([]);
  });
});
