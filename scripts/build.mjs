/**
 * `npm run build`: compiles src/ and machines/ to dist/ (JavaScript, .d.ts,
 * source maps) from scratch, then copies the files the code reads from disk
 * at run time next to the compiled modules that read them.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';

/** Read at run time through `new URL(file, import.meta.url)`. */
const ASSETS = ['src/review/page.html'];

rmSync('dist', { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
for (const file of ASSETS) cpSync(file, `dist/${file}`);
