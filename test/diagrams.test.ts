/**
 * The diagrams in `diagrams/` are generated from the machine definitions:
 * they must be up to date, name every message of the specification, and be
 * well-formed Mermaid: checked line by line, then parsed by Mermaid itself.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { diagramDifferences, generateDiagrams, PHASE_DIAGRAMS, SESSION_DIAGRAMS } from '../src/diagrams/generate.ts';
import { MESSAGE_NAMES } from '../src/protocol/codes.ts';

const DIR = fileURLToPath(new URL('../diagrams/', import.meta.url));
const files = generateDiagrams();
const diagrams = [...files].filter(([name]) => name.endsWith('.mmd'));

describe('diagrams/', () => {
  it('holds the generated files, up to date (npm run diagrams)', () => {
    expect(existsSync(DIR), 'diagrams/ is missing: run npm run diagrams').toBe(true);
    for (const [name, content] of files) {
      const path = join(DIR, name);
      expect(existsSync(path), `${name} is missing: run npm run diagrams`).toBe(true);
      expect(readFileSync(path, 'utf8'), `${name} is out of date: run npm run diagrams`).toBe(content);
    }
  });

  it('holds no .mmd file that is no longer generated', () => {
    const extra = readdirSync(DIR).filter((name) => name.endsWith('.mmd') && !files.has(name));
    expect(extra, 'stale diagrams: run npm run diagrams').toEqual([]);
    expect(diagramDifferences(DIR, files)).toEqual([]);
  });
});

describe('generateDiagrams', () => {
  it('covers every phase (state and sequence), every session, and the index', () => {
    const expected = [
      ...PHASE_DIAGRAMS.flatMap(({ phase }) => [`${phase.id}.state.mmd`, `${phase.id}.sequence.mmd`]),
      ...SESSION_DIAGRAMS.map((s) => `${s.name}.state.mmd`),
      'README.md',
    ].sort();
    expect([...files.keys()]).toEqual(expected);
    expect(files.has('alice-session.state.mmd')).toBe(true);
  });

  it('is deterministic, sorted by file name', () => {
    const again = generateDiagrams();
    expect([...again]).toEqual([...files]);
    const names = [...files.keys()];
    expect(names).toEqual([...names].sort());
  });

  it('embeds every diagram in the index', () => {
    const readme = files.get('README.md')!;
    for (const [name, content] of diagrams) {
      expect(readme, name).toContain(`](${name})`);
      expect(readme, name).toContain(`\`\`\`mermaid\n${content.trimEnd()}\n\`\`\``);
    }
  });

  it('names every message of the specification in some diagram', () => {
    const all = diagrams.map(([, content]) => content).join('\n');
    const missing = MESSAGE_NAMES.filter((name) => !new RegExp(`\\b${name}\\b`).test(all));
    expect(MESSAGE_NAMES).toHaveLength(59);
    expect(missing).toEqual([]);
  });

  it("names every request and answer of a phase in the phase's own diagrams", () => {
    for (const { phase } of PHASE_DIAGRAMS) {
      const state = files.get(`${phase.id}.state.mmd`)!;
      const sequence = files.get(`${phase.id}.sequence.mmd`)!;
      for (const waiting of Object.values(phase.states)) {
        for (const [request, def] of Object.entries(waiting.on)) {
          const names = [request, ...Object.keys(def!.answers), ...(def!.refuse ? [def!.refuse.answer] : [])];
          for (const name of names) {
            const word = new RegExp(`\\b${name}\\b`);
            expect(word.test(state), `${phase.id}.state.mmd names ${name}`).toBe(true);
            expect(word.test(sequence), `${phase.id}.sequence.mmd names ${name}`).toBe(true);
          }
        }
      }
    }
  });

  it('keeps the requests in flight out of the state diagrams', () => {
    // Alice's working states (`idle_INITIALIZATION_REQUEST`) and Bob's awaiting ones are drawn as edges.
    for (const [name, content] of diagrams) {
      if (!name.endsWith('.state.mmd')) continue;
      expect(content, name).not.toMatch(/^\s*state "[a-z]+_[A-Z_]+"/m);
      expect(content, name).not.toMatch(/^\s*state "any_[A-Z_]+"/m);
    }
  });
});

/** Lines of a Mermaid diagram, without comments and blank lines. */
const statements = (content: string) =>
  content
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('%%'));

const STATE_ID = /^(\[\*\]|[A-Za-z][A-Za-z0-9_]*)$/;

function checkStateDiagram(content: string): string[] {
  const problems: string[] = [];
  const lines = statements(content);
  if (lines[0] !== 'stateDiagram-v2') problems.push('does not start with stateDiagram-v2');
  let depth = 0;
  let inNote = false;
  for (const line of lines.slice(1)) {
    if (inNote) {
      if (line === 'end note') inNote = false;
      continue;
    }
    let m: RegExpExecArray | null;
    if ((m = /^state (\S+) \{$/.exec(line))) {
      if (!STATE_ID.test(m[1]!)) problems.push(`bad composite id: ${line}`);
      depth++;
    } else if (line === '}') {
      depth--;
      if (depth < 0) problems.push('unbalanced }');
    } else if ((m = /^state "([^"]*)" as (\S+)$/.exec(line))) {
      if (!STATE_ID.test(m[2]!)) problems.push(`bad state id: ${line}`);
    } else if ((m = /^(\S+) --> (\S+)(?: : (.*))?$/.exec(line))) {
      if (!STATE_ID.test(m[1]!) || !STATE_ID.test(m[2]!)) problems.push(`bad transition ids: ${line}`);
      // A label ends at `:` or `;`.
      if (m[3] !== undefined && /[:;]/.test(m[3])) problems.push(`label cut short: ${line}`);
    } else if ((m = /^note (?:left|right) of (\S+)$/.exec(line))) {
      if (!STATE_ID.test(m[1]!)) problems.push(`bad note anchor: ${line}`);
      inNote = true;
    } else if ((m = /^(\S+) : (.*)$/.exec(line))) {
      if (!STATE_ID.test(m[1]!) || /[:;]/.test(m[2]!)) problems.push(`bad description: ${line}`);
    } else if (!/^(class \S+ \S+|classDef \S+ .+|--)$/.test(line)) {
      problems.push(`unknown statement: ${line}`);
    }
  }
  if (depth !== 0) problems.push('unbalanced state { }');
  if (inNote) problems.push('unterminated note');
  return problems;
}

function checkSequenceDiagram(content: string): string[] {
  const problems: string[] = [];
  const lines = statements(content);
  if (lines[0] !== 'sequenceDiagram') problems.push('does not start with sequenceDiagram');
  const blocks: string[] = [];
  for (const line of lines.slice(1)) {
    const keyword = /^(\S+)/.exec(line)![1]!;
    if (['alt', 'loop', 'opt', 'par', 'critical', 'break', 'rect'].includes(keyword)) blocks.push(keyword);
    else if (keyword === 'else') {
      if (blocks.at(-1) !== 'alt') problems.push(`else outside alt: ${line}`);
    } else if (keyword === 'end') {
      if (blocks.pop() === undefined) problems.push('unbalanced end');
    } else if (!/^(participant (Alice|Bob)|Note over Alice,Bob: .+|(Bob->>Alice|Alice-->>Bob): [^;#]+)$/.test(line)) {
      problems.push(`unknown statement: ${line}`);
    }
  }
  if (blocks.length > 0) problems.push(`unclosed ${blocks.join(', ')}`);
  return problems;
}

// Mermaid parses in Node given a DOM: jsdom stands in for the browser.
const { JSDOM } = await import('jsdom');
const dom = new JSDOM('<!doctype html><html><body></body></html>');
Object.assign(globalThis, { window: dom.window, document: dom.window.document });
const { default: mermaid } = await import('mermaid');

describe('the generated Mermaid', () => {
  it.each(diagrams)('%s is well formed', (name, content) => {
    const problems = name.endsWith('.sequence.mmd') ? checkSequenceDiagram(content) : checkStateDiagram(content);
    expect(problems).toEqual([]);
  });

  it.each(diagrams)('%s parses with mermaid', async (_name, content) => {
    await expect(mermaid.parse(content)).resolves.toBeTruthy();
  });
});

describe('README.md', () => {
  // The project README may embed a copy of a generated diagram: it must be the current one.
  const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
  const embedded = [...readme.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]!);
  it('embeds only up-to-date copies of generated diagrams', () => {
    for (const block of embedded) {
      const source = diagrams.find(([, content]) => content.split('\n')[1] === block.split('\n')[1]);
      if (!source || !block.split('\n')[1]?.startsWith('%% Generated from')) continue;
      expect(block, `README.md's copy of diagrams/${source[0]}: paste it again`).toBe(source[1]);
    }
  });
});
