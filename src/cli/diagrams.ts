/**
 * Writes the protocol's diagrams, generated from the machine definitions,
 * into `diagrams/`: `npm run diagrams [-- --check] [-- --out DIR]`.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { diagramDifferences, generateDiagrams } from '../diagrams/generate.ts';

const USAGE = `Usage: npm run diagrams [-- --check] [-- --out DIR]

Generates the Mermaid diagrams of the control protocol from machines/*.ts:
  <phase>.state.mmd, <phase>.sequence.mmd, <session>.state.mmd and README.md,
the index embedding them all. Stale .mmd files are removed.

Options:
  -c, --check   write nothing: exit 1 listing the files that differ
  -o, --out     the directory (default: diagrams/ of the repository)
  -h, --help    show this help`;

const DEFAULT_DIR = fileURLToPath(new URL('../../diagrams/', import.meta.url));

function main(argv: string[]): number {
  let values: { check?: boolean; out?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        check: { type: 'boolean', short: 'c' },
        out: { type: 'string', short: 'o' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    console.error(`diagrams: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const dir = values.out ?? DEFAULT_DIR;
  const shown = relative(process.cwd(), dir) || '.';
  const files = generateDiagrams();
  const differences = diagramDifferences(dir, files);

  if (values.check) {
    if (differences.length === 0) {
      console.log(`${shown}: ${files.size} files up to date`);
      return 0;
    }
    console.error(`${shown}: out of date, run npm run diagrams:`);
    for (const name of differences) console.error(`  ${name}`);
    return 1;
  }

  mkdirSync(dir, { recursive: true });
  for (const name of readdirSync(dir)) {
    if (name.endsWith('.mmd') && !files.has(name)) rmSync(join(dir, name));
  }
  for (const [name, content] of files) writeFileSync(join(dir, name), content);
  console.log(`${shown}: ${files.size} files written${differences.length ? `, updated or removed: ${differences.join(', ')}` : ', none changed'}`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
