/**
 * Mermaid diagrams generated from the machine definitions, never drawn by hand.
 *
 * `stateDiagram` walks a statechart's `machine.root` StateNode tree. States
 * standing for a request in flight are kept out of the picture: Alice's
 * *working* states (meta `working`: a backend effect asked of the session's
 * effects actor, whose `effect.done` replies are guarded by `answerIs`) and
 * Bob's *awaiting* states (meta `request` and `answers`). `W --R--> W_R --answer A--> T` is drawn as one
 * edge `W --> T : R / A [when]`. Transitions that cross composite states,
 * which Mermaid cannot lay out, are lifted to the children of the composite
 * holding both ends, the inner states being named in the label
 * (`(from idle, denied)`, `→ resume`). An `any state` pseudo state stands
 * for every state: the root's own transitions (requests accepted anywhere,
 * the catch-all, authentication failures) and what else may happen to a
 * request in flight (an effect failing, a generic answer) leave from it, or
 * are listed in its note when they leave the state unchanged. Transitions
 * that do nothing (a late effect reply, ignored) are not drawn.
 *
 * `sequenceDiagram` draws a phase definition in the style of the
 * specification's figures: each request of Bob, then Alice's answers in an
 * `alt` block labelled with when she gives each.
 */
import type { AnyStateMachine } from 'xstate';
import { GENERIC_ANSWERS, REFUSALS, type PhaseDef, type RequestDef } from '../../machines/phase.ts';

// ---------------------------------------------------------------------------
// The parts of XState's StateNode and TransitionDefinition read here.

interface Node {
  readonly key: string;
  readonly id: string;
  readonly type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  readonly history?: 'shallow' | 'deep' | false;
  readonly parent?: Node;
  readonly states: Readonly<Record<string, Node>>;
  readonly on: Readonly<Record<string, readonly Transition[]>>;
  readonly initial?: { readonly target?: readonly Node[] };
  readonly description?: string;
  readonly meta?: Readonly<Record<string, unknown>>;
}

interface Transition {
  readonly eventType: string;
  readonly target?: readonly Node[];
  readonly guard?: unknown;
  readonly actions: readonly unknown[];
  readonly description?: string;
}

/** Guards every request of an identified client carries: showing them would only add noise. */
const HIDDEN_GUARDS = new Set(['identified']);

/** Actions of Alice's machine (machines/alice.ts) that give an answer fixed by their name. */
const ANSWER_ACTIONS: Readonly<Record<string, string>> = {
  unexpected: 'UNEXPECTED_COMMAND',
  abort: 'ABORT',
};

// ---------------------------------------------------------------------------
// Text that Mermaid accepts.

/** Edge labels, notes and state descriptions: no `:` or `;` (they end a label), no `#`, one line. */
export function text(s: string): string {
  return s
    .replace(/\s*\n\s*/g, ' ')
    .replace(/<=/g, '≤')
    .replace(/>=/g, '≥')
    .replace(/</g, '‹')
    .replace(/>/g, '›')
    .replace(/\s*:\s*/g, ' - ')
    .replace(/;/g, ',')
    .replace(/#/g, 'no. ')
    .replace(/"/g, "'")
    .replace(/%%/g, '%')
    .trim();
}

const RESERVED = /^(default|note|class|classdef|state|scale|direction|hide|acctitle|accdescr|end)/i;

function mermaidId(raw: string): string {
  const id = raw.replace(/[^A-Za-z0-9_]/g, '_');
  return RESERVED.test(id) || /^[0-9_]/.test(id) ? `s_${id}` : id;
}

// ---------------------------------------------------------------------------
// Reading transitions.

function actionParts(action: unknown): { type: string | undefined; params: Record<string, unknown> } {
  if (typeof action === 'string') return { type: action, params: {} };
  if (action && typeof action === 'object') {
    const a = action as { type?: unknown; params?: unknown };
    return {
      type: typeof a.type === 'string' ? a.type : undefined,
      params: a.params && typeof a.params === 'object' ? (a.params as Record<string, unknown>) : {},
    };
  }
  return { type: undefined, params: {} };
}

/** The answer a `answerIs` guard selects. */
function answerIsOf(guard: unknown): string | undefined {
  if (!guard || typeof guard !== 'object') return undefined;
  const g = guard as { type?: unknown; params?: { answer?: unknown } };
  return g.type === 'answerIs' && typeof g.params?.answer === 'string' ? g.params.answer : undefined;
}

/** The answer a transition gives, from its actions (or its `answerIs` guard). */
function answerOf(t: Transition): string | undefined {
  for (const action of t.actions) {
    const { type, params } = actionParts(action);
    if (type === 'answer' && typeof params.name === 'string') return params.name;
    if (type === 'refuse' && typeof params.answer === 'string') return params.answer;
    if (type !== undefined && Object.hasOwn(ANSWER_ACTIONS, type)) return ANSWER_ACTIONS[type];
  }
  return answerIsOf(t.guard);
}

function guardName(guard: unknown): string | undefined {
  if (typeof guard === 'string') return guard;
  if (guard && typeof guard === 'object' && typeof (guard as { type?: unknown }).type === 'string') {
    return (guard as { type: string }).type;
  }
  return undefined;
}

/** When the transition is taken: its description, else the name of a guard worth showing. */
function whenOf(t: Transition): string | undefined {
  if (t.description) return t.description;
  const name = guardName(t.guard);
  return name && !HIDDEN_GUARDS.has(name) && name !== 'answerIs' ? name : undefined;
}

function eventLabel(eventType: string): string {
  if (eventType === '*') return 'any other request';
  const wildcard = /^([a-z-]+)\.\*$/.exec(eventType);
  if (wildcard) return `any other ${wildcard[1]}`;
  if (eventType.startsWith('xstate.done.') || eventType === 'effect.done') return 'done';
  if (eventType.startsWith('xstate.error.') || eventType === 'effect.error') return 'error';
  const after = /^xstate\.after\.(\d+)\./.exec(eventType);
  if (after) return `after ${after[1]} ms`;
  return eventType;
}

/** `INITIALIZATION_REQUEST` from `request.INITIALIZATION_REQUEST` (Bob's events) or itself (Alice's). */
function messageOf(eventType: string): string | undefined {
  return /^(?:[a-z-]+\.)?([A-Z][A-Z0-9_]*)$/.exec(eventType)?.[1];
}

/**
 * A state standing for a request in flight, drawn as part of the edges
 * that lead through it: Alice's working state (meta `working`: its
 * `effect.done` transitions are guarded by `answerIs`) or Bob's awaiting state (meta
 * `request` and `answers`: the `answer.<NAME>` transitions the definition allows).
 * Returns how to read the answer a transition of it stands for, or undefined.
 */
function pendingAnswers(n: Node): ((t: Transition) => string | undefined) | undefined {
  const meta = n.meta;
  if (meta && typeof meta.request === 'string' && Array.isArray(meta.answers)) {
    const allowed = new Set(meta.answers as unknown[]);
    return (t) => {
      const name = t.eventType.startsWith('answer.') ? messageOf(t.eventType) : undefined;
      return name !== undefined && allowed.has(name) ? name : undefined;
    };
  }
  return meta?.working === true ? (t) => answerIsOf(t.guard) : undefined;
}

function ancestry(n: Node): Node[] {
  const path: Node[] = [];
  for (let c: Node | undefined = n; c; c = c.parent) path.unshift(c);
  return path;
}

function descendants(n: Node): Node[] {
  return Object.values(n.states).flatMap((c) => [c, ...descendants(c)]);
}

const isInside = (n: Node, top: Node) => ancestry(n).includes(top);

// ---------------------------------------------------------------------------
// The state diagram.

interface Label {
  event: string;
  answer?: string | undefined;
  when?: string | undefined;
}

interface Atom extends Label {
  from: Node;
  to: Node;
}

interface EdgeLine extends Label {
  into?: string | undefined;
  origins: string[];
}

interface Edge {
  from: Node;
  to: Node;
  /** The composite whose block declares the edge (a common ancestor of both ends). */
  container: Node;
  lines: EdgeLine[];
}

export interface StateDiagramOptions {
  /** Show the description of waiting states inside their box (the non-waiting ones always show it). */
  readonly descriptions?: boolean;
}

function labelText(l: Label & { into?: string | undefined }, origins: readonly string[] = []): string {
  let s = text(l.event);
  if (l.answer) s += ` / ${text(l.answer)}`;
  if (l.when) s += ` [${text(l.when)}]`;
  if (l.into) s += ` → ${text(l.into)}`;
  if (origins.length > 0) s += ` (from ${origins.map(text).join(', ')})`;
  return s;
}

const sameLabel = (a: Label, b: Label) => a.event === b.event && a.answer === b.answer && a.when === b.when;

export function stateDiagram(machine: AnyStateMachine, options: StateDiagramOptions = {}): string {
  const showDescriptions = options.descriptions ?? true;
  const root = machine.root as unknown as Node;
  const all = [root, ...descendants(root)];
  const pending = new Map<Node, (t: Transition) => string | undefined>();
  for (const n of all) {
    const reader = pendingAnswers(n);
    if (reader && ![...pending.keys()].some((p) => isInside(n, p))) pending.set(n, reader);
  }
  const pendingOf = (n: Node) => [...pending.keys()].find((p) => isInside(n, p));

  // The `any state` pseudo state: a child of the root standing for every state.
  const ANY: Node = { key: 'any state', id: `${root.id}.<any>`, type: 'atomic', parent: root, states: {}, on: {} };

  const atoms: Atom[] = [];
  /** Root transitions that stay where the machine is. */
  const anyNote: Label[] = [];
  /** Transitions of a request in flight that lead back to where it was made. */
  const backNote: Label[] = [];
  /** Transitions inside a request in flight. */
  const innerNote: string[] = [];
  const addUnique = <T>(list: T[], item: T, same: (a: T, b: T) => boolean) => {
    if (!list.some((x) => same(x, item))) list.push(item);
  };

  // The transitions entering each request in flight, by where they come from.
  const entering = new Map<Node, { source: Node; t: Transition }[]>();
  for (const node of all) {
    if (pendingOf(node)) continue;
    for (const transitions of Object.values(node.on)) {
      for (const t of transitions) {
        for (const target of t.target ?? []) {
          const p = pendingOf(target);
          if (!p) continue;
          let list = entering.get(p);
          if (!list) entering.set(p, (list = []));
          list.push({ source: node === root ? ANY : node, t });
        }
      }
    }
  }

  for (const node of all) {
    if (pendingOf(node)) continue;
    const source = node === root ? ANY : node;
    for (const [eventType, transitions] of Object.entries(node.on)) {
      for (const t of transitions) {
        if (!t.target?.length && t.actions.length === 0) continue;
        const label: Label = { event: eventLabel(eventType), answer: answerOf(t), when: whenOf(t) };
        const targets = t.target ?? [];
        if (targets.length === 0) {
          if (node === root) anyNote.push(label);
          else atoms.push({ from: node, to: node, ...label });
        }
        for (const target of targets) {
          const p = pendingOf(target);
          if (!p) {
            atoms.push({ from: source, to: target, ...label });
            continue;
          }
          // `W --R--> pending --A--> T` is drawn `W --> T : R / A [when]`.
          const readAnswer = pending.get(p)!;
          for (const inner of [p, ...descendants(p)]) {
            for (const outcomes of Object.values(inner.on)) {
              for (const u of outcomes) {
                const answer = readAnswer(u);
                if (answer === undefined) continue;
                const tos = u.target && u.target.length > 0 ? u.target : [source];
                for (const to of tos) {
                  atoms.push({ from: source, to, event: messageOf(eventType) ?? label.event, answer, when: u.description });
                }
              }
            }
          }
        }
      }
    }
  }

  // What else may happen to a request in flight, said once for all of them.
  const outside: Atom[] = [];
  for (const [p, readAnswer] of pending) {
    const origins = new Set((entering.get(p) ?? []).map((e) => e.source));
    const first = p.initial?.target?.[0];
    const working = p.meta?.working === true;
    for (const inner of [p, ...descendants(p)]) {
      for (const [eventType, outcomes] of Object.entries(inner.on)) {
        for (const u of outcomes) {
          if (readAnswer(u) !== undefined) continue;
          const event = working
            ? eventType === 'effect.error'
              ? 'effect error'
              : eventType === 'effect.done'
                ? 'answer not allowed'
                : eventLabel(eventType)
            : eventLabel(eventType);
          const label: Label = { event, answer: answerOf(u), when: whenOf(u) };
          for (const to of u.target ?? [inner]) {
            // Back where the request was made: its origin, or the history of a request made anywhere.
            const back = origins.has(to) || (origins.has(ANY) && to.type === 'history');
            if (inner !== p && inner !== first) {
              addUnique(innerNote, `in ${inner.key}, ${labelText(label)} → ${back ? 'back' : text(to.key)}`, (a, b) => a === b);
            } else if (back) {
              addUnique(backNote, label, sameLabel);
            } else if (isInside(to, p)) {
              const what = to.description ? ` (${text(to.description)})` : '';
              addUnique(innerNote, `${labelText(label)} → ${text(to.key)}${what}`, (a, b) => a === b);
            } else {
              addUnique(outside, { from: ANY, to, ...label }, (a, b) => a.to === b.to && sameLabel(a, b));
            }
          }
        }
      }
    }
  }
  atoms.push(...outside);
  // What leads somewhere from some states and back from others is drawn as the edge.
  const backLines = backNote.filter((l) => !outside.some((o) => sameLabel(o, l)));

  // States shown: not in flight, and history states only when something leads to them.
  const targeted = new Set(atoms.map((a) => a.to));
  const shown = (n: Node) => !pendingOf(n) && (n.type !== 'history' || targeted.has(n));
  const notes = anyNote.length + backLines.length + innerNote.length;
  const showAny = notes > 0 || atoms.some((a) => a.from === ANY);

  // Ids: from the path below the root, unique, in Mermaid's alphabet.
  const ids = new Map<Node, string>();
  const used = new Set<string>();
  const idOf = (n: Node): string => {
    let id = ids.get(n);
    if (id !== undefined) return id;
    const raw = n === ANY ? 'any_state' : ancestry(n).slice(1).map((a) => a.key).join('_');
    id = mermaidId(raw || 'root');
    for (let i = 2; used.has(id); i++) id = `${mermaidId(raw)}_${i}`;
    used.add(id);
    ids.set(n, id);
    return id;
  };
  for (const n of all) if (shown(n) && n !== root) idOf(n);
  if (showAny) idOf(ANY);

  // Lift every atom to the children of the common composite; name the inner states in the label.
  const pathOf = (n: Node) => (n === ANY ? [root, ANY] : ancestry(n));
  const nameUnder = (top: Node, n: Node): string => {
    const sameKey = descendants(top).filter((d) => shown(d) && d.key === n.key);
    return sameKey.length <= 1 ? n.key : ancestry(n).slice(ancestry(top).length).map((r) => r.key).join('.');
  };
  const edges = new Map<string, Edge>();
  for (const atom of atoms) {
    const fromPath = pathOf(atom.from);
    const toPath = pathOf(atom.to);
    // The deepest composite that is a proper ancestor of both ends.
    let depth = 0;
    while (depth + 2 < fromPath.length && depth + 2 < toPath.length && fromPath[depth + 1] === toPath[depth + 1]) depth++;
    const container = fromPath[depth]!;
    const from = fromPath[depth + 1] ?? atom.from;
    const to = toPath[depth + 1] ?? atom.to;
    const origin = from === atom.from ? undefined : nameUnder(from, atom.from);
    // Entering `to` enters its initial states: name the state entered only when it is not one of them.
    let entered = atom.to;
    while (entered !== to && entered.parent && entered.parent.initial?.target?.[0] === entered) entered = entered.parent;
    const into = entered === to ? undefined : nameUnder(to, entered);

    const key = `${idOf(from)} ${idOf(to)}`;
    let edge = edges.get(key);
    if (!edge) edges.set(key, (edge = { from, to, container, lines: [] }));
    let line = edge.lines.find((l) => sameLabel(l, atom) && l.into === into);
    if (!line) edge.lines.push((line = { event: atom.event, answer: atom.answer, when: atom.when, into, origins: [] }));
    if (origin !== undefined && !line.origins.includes(origin)) line.origins.push(origin);
  }

  const edgeLabel = (edge: Edge) => {
    // Lines alike but for their event read better as one: `done or error / ABORT`.
    const merged: { events: string[]; line: EdgeLine }[] = [];
    for (const l of edge.lines) {
      const same = merged.find(
        (m) => m.line.answer === l.answer && m.line.when === l.when && m.line.into === l.into && m.line.origins.join() === l.origins.join(),
      );
      if (same) same.events.push(l.event);
      else merged.push({ events: [l.event], line: l });
    }
    return merged.map((m) => labelText({ ...m.line, event: m.events.join(' or ') }, m.line.origins)).join('<br/>');
  };

  const out: string[] = [
    'stateDiagram-v2',
    `%% Generated from the statechart ${text(root.id)} by src/diagrams (npm run diagrams): do not edit.`,
  ];
  const pad = (depth: number) => '  '.repeat(depth + 1);

  const render = (node: Node, depth: number) => {
    const children = Object.values(node.states).filter(shown);
    if (node === root && showAny) children.push(ANY);
    const initial = node.initial?.target?.[0];
    if (node.type !== 'parallel' && initial && shown(initial)) out.push(`${pad(depth)}[*] --> ${idOf(initial)}`);
    children.forEach((child, i) => {
      if (node.type === 'parallel' && i > 0) out.push(`${pad(depth)}--`);
      const label =
        child.type === 'history' ? `${child.key} (${child.history === 'deep' ? 'H*' : 'H'})` : child.key;
      out.push(`${pad(depth)}state "${text(label)}" as ${idOf(child)}`);
      if (Object.values(child.states).some(shown)) {
        out.push(`${pad(depth)}state ${idOf(child)} {`);
        render(child, depth + 1);
        out.push(`${pad(depth)}}`);
      } else if (child.description && (showDescriptions || child.meta?.waiting !== true)) {
        out.push(`${pad(depth)}${idOf(child)} : ${text(child.description)}`);
      }
      if (child.type === 'final') out.push(`${pad(depth)}${idOf(child)} --> [*]`);
    });
    if (node === root && showAny) {
      out.push(`${pad(depth)}class ${idOf(ANY)} pseudo`);
      if (notes > 0) {
        out.push(`${pad(depth)}note right of ${idOf(ANY)}`);
        const section = (title: string, lines: readonly string[]) => {
          if (lines.length === 0) return;
          out.push(`${pad(depth + 1)}${title}`);
          for (const l of lines) out.push(`${pad(depth + 2)}${l}`);
        };
        section('In any state, answered without leaving it -', anyNote.map((l) => labelText(l)));
        section('A request in flight, back to the state it was made in on -', backLines.map((l) => labelText(l)));
        section('A request in flight -', innerNote);
        out.push(`${pad(depth)}end note`);
      }
    }
    for (const edge of edges.values()) {
      if (edge.container === node) out.push(`${pad(depth)}${idOf(edge.from)} --> ${idOf(edge.to)} : ${edgeLabel(edge)}`);
    }
  };
  render(root, 0);
  if (showAny) out.push('  classDef pseudo font-style:italic,stroke-dasharray:5 5');
  return `${out.join('\n')}\n`;
}

// ---------------------------------------------------------------------------
// The sequence diagram of a phase.

/** When Alice gives each of the answers that can follow any request. */
const GENERIC_WHEN: Readonly<Record<(typeof GENERIC_ANSWERS)[number], string>> = {
  UNKOWN_COMMAND: 'the code is not one of the specification',
  INVALID_CONTENT: 'the content is not valid for the code',
  UNEXPECTED_COMMAND: 'the request is not expected in the current state',
  AUTHENTICATION_INVALID: 'the signature or the challenge is wrong',
  ABORT: 'the backend failed - the frame is discarded',
};

export interface SequenceDiagramOptions {
  /** Close with the answers any request may get (GENERIC_ANSWERS): for the generic phase. */
  readonly anyRequest?: boolean;
}

export function sequenceDiagram(phase: PhaseDef, options: SequenceDiagramOptions = {}): string {
  const out: string[] = [
    'sequenceDiagram',
    `%% Generated from the phase ${text(phase.id)} by src/diagrams (npm run diagrams): do not edit.`,
    '  participant Alice',
    '  participant Bob',
    `  Note over Alice,Bob: ${text(phase.title)}`,
  ];

  const then = (to: string, state: string) => {
    if (to === 'stay' || to === state) return '';
    if (to.startsWith('exit:')) return ` → end of phase (${to.slice(5)})`;
    return ` → ${to}`;
  };

  const exchange = (name: string, def: RequestDef, state: string, indent: string) => {
    out.push(`${indent}Bob->>Alice: ${name}`);
    const branches: { when: string; then: string; answer: string }[] = [];
    if (def.refuse) {
      const to = def.answers[def.refuse.answer]?.to ?? 'stay';
      branches.push({ when: `${REFUSALS[def.refuse.guard]} (refused at once)`, then: then(to, state), answer: def.refuse.answer });
    }
    for (const [answer, a] of Object.entries(def.answers)) {
      branches.push({ when: a!.when, then: then(a!.to, state), answer });
    }
    if (branches.length === 1) {
      const b = branches[0]!;
      out.push(`${indent}Alice-->>Bob: ${b.answer} (${text(b.when)})${b.then ? ` ${text(b.then)}` : ''}`);
      return;
    }
    branches.forEach((b, i) => {
      out.push(`${indent}${i === 0 ? 'alt' : 'else'} ${text(b.when + b.then)}`);
      out.push(`${indent}  Alice-->>Bob: ${b.answer}`);
    });
    out.push(`${indent}end`);
  };

  // A request whose answers all leave Alice where she was can be repeated.
  const repeatable = (def: RequestDef, state: string) =>
    !def.refuse && Object.values(def.answers).every((a) => a!.to === 'stay' || a!.to === state);

  const seen = new Set<string>();
  for (const [state, waiting] of Object.entries(phase.states)) {
    let inLoop = false;
    for (const [name, def] of Object.entries(waiting.on)) {
      if (seen.has(name)) continue;
      seen.add(name);
      const loop = repeatable(def!, state);
      if (loop && !inLoop) out.push('  loop any number of times');
      if (!loop && inLoop) out.push('  end');
      inLoop = loop;
      exchange(name, def!, state, loop ? '    ' : '  ');
    }
    if (inLoop) out.push('  end');
  }

  if (options.anyRequest) {
    out.push('  Note over Alice,Bob: Any request');
    out.push('  Bob->>Alice: any request');
    GENERIC_ANSWERS.forEach((answer, i) => {
      out.push(`  ${i === 0 ? 'alt' : 'else'} ${text(GENERIC_WHEN[answer])}`);
      out.push(`    Alice-->>Bob: ${answer}`);
    });
    out.push('  end');
  }
  return `${out.join('\n')}\n`;
}
