/**
 * Reads Alice's session machine as a graph: its waiting states, the
 * requests each accepts, and the answer edges between them. Tests derive
 * what to send from this, never from hand-written lists of states.
 */
import type { StateNode } from 'xstate';
import { CODES, codeName, type MessageName } from '../../src/protocol/codes.ts';

export interface Edge {
  request: MessageName;
  answer: MessageName;
  from: string;
  to: string;
}

type Node = StateNode<any, any>;
/** Any XState machine: only its state-node tree is read. */
type AnyMachine = { root: unknown };

function allNodes(node: Node): Node[] {
  return [node, ...Object.values(node.states).flatMap((child) => allNodes(child as Node))];
}

export function waitingStates(machine: AnyMachine): Node[] {
  return allNodes(machine.root as Node).filter((n) => (n.meta as { waiting?: boolean } | undefined)?.waiting === true);
}

/** Every message name the machine accepts in a state, its own and those the root accepts everywhere. */
export function accepted(machine: AnyMachine, node: Node): Set<MessageName> {
  const names = new Set<MessageName>();
  for (const n of [node, machine.root as Node]) for (const event of Object.keys(n.on)) if (event in CODES) names.add(event as MessageName);
  return names;
}

function answerOf(actions: readonly unknown[]): MessageName | undefined {
  for (const a of actions) {
    const params = (a as { type?: string; params?: { name?: MessageName } }).params;
    if ((a as { type?: string }).type === 'answer' && params?.name) return params.name;
  }
  return undefined;
}

/** The answer edges leaving a waiting state through its own requests (not the root's). */
export function edgesFrom(node: Node): Edge[] {
  const edges: Edge[] = [];
  for (const [event, transitions] of Object.entries(node.on)) {
    if (codeName(CODES[event as MessageName]?.code ?? -1) === undefined) continue;
    const request = event as MessageName;
    // The last transition is the request's normal path; earlier ones are the machine's own refusals.
    const t = transitions.at(-1)!;
    const target = t.target?.[0] as Node | undefined;
    // A working state: the effects actor's replies decide the answer.
    if ((target?.meta as { working?: boolean } | undefined)?.working) {
      for (const done of target!.on['effect.done'] ?? []) {
        const guard = done.guard as { type?: string; params?: { answer: MessageName } } | undefined;
        if (guard?.type !== 'answerIs') continue;
        edges.push({ request, answer: guard.params!.answer, from: node.id, to: (done.target?.[0] as Node).id });
      }
    } else {
      const answer = answerOf(t.actions as readonly unknown[]);
      if (answer) edges.push({ request, answer, from: node.id, to: target?.id ?? node.id });
    }
  }
  return edges;
}

/** Shortest paths of answer edges from the initial waiting state, using only edges `usable` allows. */
export function pathsTo(machine: AnyMachine, usable: (e: Edge) => boolean): Map<string, Edge[]> {
  const nodes = new Map(waitingStates(machine).map((n) => [n.id, n]));
  let start = machine.root as Node;
  while (start.initial?.target[0]) start = start.initial.target[0] as Node;
  const paths = new Map<string, Edge[]>([[start.id, []]]);
  const queue = [start.id];
  while (queue.length > 0) {
    const id = queue.shift()!;
    for (const edge of edgesFrom(nodes.get(id)!)) {
      if (!usable(edge) || paths.has(edge.to) || !nodes.has(edge.to)) continue;
      paths.set(edge.to, [...paths.get(id)!, edge]);
      queue.push(edge.to);
    }
  }
  return paths;
}
