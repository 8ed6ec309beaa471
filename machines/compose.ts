/**
 * Reads a layout the same way for Alice and Bob: which waiting states each
 * stage has, which requests each accepts, and where each answer leads.
 */
import type { MessageName } from '../src/protocol/codes.ts';
import { BACK, type Layout, type Mount, type Stage } from './layout.ts';
import type { AnswerDef, RequestDef } from './phase.ts';

/** XState configs are generated here; their types cannot follow that, so the tests check them. */
export type Config = Record<string, any>;

export interface AcceptedRequest {
  name: MessageName;
  def: RequestDef;
  mount: Mount;
}

export interface Waiting {
  key: string;
  description: string;
  requests: AcceptedRequest[];
}

export class Resolver {
  readonly ends = new Set<string>();
  /** Whether a transition leads to the session's deep history (`resume`): the machine needs the state only then. */
  historyUsed = false;
  private readonly historyRef: string;
  private readonly stages: ReadonlyMap<string, Stage>;

  /**
   * `nested`: the stages live in a `session` state, which a deep history
   * needs; without it they are children of the root, one level less for
   * every transition to walk.
   */
  constructor(
    readonly machineId: string,
    readonly layout: Layout,
    readonly nested = true,
  ) {
    this.stages = new Map(layout.stages.map((s) => [s.id, s]));
    this.historyRef = `#${machineId}.session.resume`;
  }

  /** Back where the session was when a request accepted anywhere interrupted it. */
  get history(): string {
    this.historyUsed = true;
    return this.historyRef;
  }

  /** Nested, stages live in `session`, so that leaving it for a global request records its history. */
  ref(stageId: string, key: string): string {
    return this.nested ? `#${this.machineId}.session.${stageId}.${key}` : `#${this.machineId}.${stageId}.${key}`;
  }

  root(key: string): string {
    return `#${this.machineId}.${key}`;
  }

  /** The stage's first waiting state: its first phase's initial state. */
  initialKey(stage: Stage | string): string {
    const s = typeof stage === 'string' ? this.stages.get(stage) : stage;
    if (!s) throw new Error(`no stage ${String(stage)}`);
    return s.mounts[0]!.phase.initial;
  }

  /** Where an exit of a mount leads, as an absolute target. */
  exitTarget(stage: Stage | null, target: string): string {
    if (target === BACK) return stage ? this.ref(stage.id, this.initialKey(stage)) : this.history;
    if (target.startsWith('end:')) {
      this.ends.add(target.slice(4));
      return this.root(target.slice(4));
    }
    const [stageId, key] = target.split('.') as [string, string | undefined];
    return this.ref(stageId, key ?? this.initialKey(stageId));
  }

  /**
   * Where an answer leads from a waiting state of a stage; from the root
   * (stage null) a state of the phase means "where the session was": undefined.
   */
  answerTarget(stage: Stage | null, mount: Mount, origin: string, a: AnswerDef): string | undefined {
    if (a.to.startsWith('exit:')) return this.exitTarget(stage, mount.exits[a.to.slice(5)]!);
    if (stage === null) return undefined;
    if (a.to === 'stay') return this.ref(stage.id, origin);
    return this.ref(stage.id, a.to === mount.phase.initial ? this.initialKey(stage) : a.to);
  }

  /** The waiting states of a stage, the first phase's initial state merged with the others'. */
  waitingStates(stage: Stage): Waiting[] {
    const initial = this.initialKey(stage);
    const waiting = new Map<string, Waiting>();
    for (const mount of stage.mounts) {
      for (const [stateName, ws] of Object.entries(mount.phase.states)) {
        const key = stateName === mount.phase.initial ? initial : stateName;
        let w = waiting.get(key);
        if (!w) waiting.set(key, (w = { key, description: ws.description, requests: [] }));
        for (const [name, def] of Object.entries(ws.on) as [MessageName, RequestDef][]) w.requests.push({ name, def, mount });
      }
    }
    return [...waiting.values()];
  }

  /** Requests accepted in every stage: the global phases' first states. */
  globalRequests(): AcceptedRequest[] {
    return this.layout.globals.flatMap((mount) =>
      (Object.entries(mount.phase.states[mount.phase.initial]!.on) as [MessageName, RequestDef][]).map(([name, def]) => ({ name, def, mount })),
    );
  }
}

export function merge(on: Record<string, Config[]>, name: string, transitions: Config[]): void {
  (on[name] ??= []).push(...transitions);
}
