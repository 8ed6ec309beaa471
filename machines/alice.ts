/**
 * Builds Alice's statecharts from the phase definitions and a layout.
 *
 * Every waiting state accepts the requests of its definition; a request
 * with an effect goes through a working state that asks the session's
 * effects actor (invoked once, at the root, from the backend's logic) and
 * gives the answer it replies (when the definition allows it). The root
 * holds the catch-all: any message no state accepts is answered
 * UNEXPECTED_COMMAND, by construction. An effect that fails leads to
 * `failing`: the frame is discarded (emission stopped) and Alice answers ABORT.
 */
import { and, assign, emit, sendTo, setup } from 'xstate';
import type { MessageName } from '../src/protocol/codes.ts';
import { merge, Resolver, type Config } from './compose.ts';
import { fromEffects, type EffectReply, type EffectRequest, type EffectRun, type EffectsLogic } from './effect.ts';
import type { Layout, Mount, Stage } from './layout.ts';
import { EFFECTS, REFUSALS, sessionUpdate, type AnswerDef, type EffectName, type PhaseDef, type RequestDef, type UpdateName } from './phase.ts';

export interface RequestInfo {
  readonly name: MessageName;
  readonly code: number;
  readonly content: Readonly<Record<string, unknown>> | null;
}

export interface AliceInput {
  serialNumber: string;
  /** A phase machine tried on its own starts identified. */
  identified?: boolean;
  /** Compatible protocol versions, the preferred one first (named in INVALID_QOSST_VERSION). */
  versions: readonly string[];
  /**
   * What the effects actor starts with (the session's backend): handed on,
   * never read by the machine. It is in the context, which the inspector
   * serialises at every step: give it a `toJSON` that names it.
   */
  session?: unknown;
}

export interface AliceContext extends Omit<AliceInput, 'identified'> {
  identified: boolean;
  peerSerialNumber: string | null;
  frameUuid: string | null;
  /** Why the frame is being aborted by Alice. */
  failure: string | null;
}

/** A decoded, authenticated, validated request: its type is its message name. */
export type RequestEvent = RequestInfo & { readonly type: MessageName };
export type AliceEvent =
  | RequestEvent
  /** The effects actor's reply, naming the request it answers (none for a frame discarded on Alice's own decision). */
  | EffectReply<EffectOutput, RequestInfo | null>
  | { type: 'AUTHENTICATION_FAILED'; code: number; reason: string }
  /** Alice's own decision (a session holding the emitter makes no progress): the frame is aborted. */
  | { type: 'STALLED'; reason: string };

export interface AnswerEvent {
  type: 'answer';
  name: MessageName;
  content: object | null;
}

export interface EffectInput {
  request: RequestInfo | null;
  context: AliceContext;
}

export interface EffectOutput {
  answer: MessageName;
  content?: object | null;
}

/** The backend's function for one effect. */
export type EffectFunction = EffectRun<EffectInput, EffectOutput>;

/** The effects actor a backend supplies with `machine.provide({ actors: { effects } })`, once for every session. */
export type AliceEffectsLogic<TSession = unknown> = EffectsLogic<EffectName, EffectInput, TSession>;

/** The placeholder: every effect fails (the frame is aborted) until a backend supplies the actor. */
const missing =
  (name: EffectName): EffectFunction =>
  () => {
    throw new Error(`no backend supplies the effect ${name}`);
  };
const missingEffects: AliceEffectsLogic = fromEffects(() => Object.fromEntries(EFFECTS.map((name) => [name, missing(name)])) as Record<EffectName, EffectFunction>);

/** The request an event answers: the request itself, or the one the effects actor's reply names. */
function requestOf(event: AliceEvent): RequestInfo | null {
  switch (event.type) {
    case 'effect.done':
    case 'effect.error':
      return event.request;
    case 'AUTHENTICATION_FAILED':
    case 'STALLED':
      return null;
    default:
      return event;
  }
}

/** The content of an answer the machine gives itself, without asking the backend. */
function ownContent(answer: MessageName, context: AliceContext): object | null {
  return answer === 'IDENTIFICATION_RESPONSE' ? { serial_number: context.serialNumber } : null;
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

function refusalContent(answer: MessageName, request: RequestInfo, why: string, context: AliceContext): object {
  switch (answer) {
    case 'INVALID_QOSST_VERSION':
      return { qosst_version: context.versions[0] };
    case 'PE_DENIED':
      return { deny_message: `Estimation denied: ${why}.` };
    default:
      return { code: request.code, error_message: `${request.name}: ${why}.` };
  }
}

/** The meta of a waiting state: what it accepts, named in UNEXPECTED_COMMAND. */
interface WaitingMeta {
  waiting: true;
  expects: readonly MessageName[];
}

/** The meta of a working state: the request it answers, through which effect. */
interface WorkingMeta {
  working: true;
  request: MessageName;
  effect: EffectName;
}

type StateMeta = Partial<WaitingMeta> & Partial<WorkingMeta>;

function stateMeta(metas: Record<string, unknown>): StateMeta {
  for (const meta of Object.values(metas)) if ((meta as StateMeta | undefined)?.waiting || (meta as StateMeta | undefined)?.working) return meta as StateMeta;
  return {};
}

// One literal per update, no spreads: identification updates the context on every request of the kind.
function contextUpdate(update: UpdateName, content: RequestInfo['content'] | undefined): Partial<AliceContext> {
  if (update === 'identify') return { identified: true, peerSerialNumber: String(content?.serial_number) };
  return sessionUpdate(update, content);
}

const aliceSetup = setup({
  types: {
    context: {} as AliceContext,
    events: {} as AliceEvent,
    input: {} as AliceInput,
    emitted: {} as AnswerEvent,
  },
  actors: { effects: missingEffects },
  guards: {
    identified: ({ context }) => context.identified,
    incompatibleVersion: ({ context, event }) =>
      !context.versions.includes(String((event as RequestEvent).content?.qosst_version)),
    // QIE_REQUEST may name no frame (wire notes 12); FRAME_ENDED always names one.
    otherFrame: ({ context, event }) => {
      const uuid = (event as RequestEvent).content?.frame_uuid;
      return uuid !== undefined && String(uuid).toLowerCase() !== context.frameUuid?.toLowerCase();
    },
    keyRateNotPositive: ({ event }) => !(Number((event as RequestEvent).content?.key_rate) > 0),
    answerIs: ({ event }, params: { answer: MessageName }) =>
      (event as unknown as { output: EffectOutput }).output.answer === params.answer,
  },
  actions: {
    // The request is not kept in the context: an assignment costs a new snapshot, and the reply names it.
    perform: sendTo(
      'effects',
      ({ context, event }, params: { effect: EffectName }): EffectRequest<EffectName, EffectInput> => ({
        type: 'effect',
        effect: params.effect,
        input: { request: requestOf(event), context },
      }),
    ),
    answer: emit(({ context }, params: { name: MessageName }) => ({
      type: 'answer' as const,
      name: params.name,
      content: ownContent(params.name, context),
    })),
    answerOutput: emit(({ event }) => {
      const { answer, content } = (event as unknown as { output: EffectOutput }).output;
      return { type: 'answer' as const, name: answer, content: content ?? null };
    }),
    refuse: emit(({ context, event }, params: { answer: MessageName; why: string }) => ({
      type: 'answer' as const,
      name: params.answer,
      content: refusalContent(params.answer, event as RequestEvent, params.why, context),
    })),
    // The catch-all leaves the state as it is: what the session accepts is in the meta of the waiting state it is in.
    unexpected: emit(({ context, event, self }) => {
      const e = event as RequestEvent;
      const { expects, request } = stateMeta(self.getSnapshot().getMeta());
      const expected = !context.identified
        ? 'the client is not identified: IDENTIFICATION_REQUEST expected'
        : expects
          ? `expected now: ${expects.join(', ')}`
          : `the answer to ${request ?? 'the previous request'} is being prepared`;
      return {
        type: 'answer' as const,
        name: 'UNEXPECTED_COMMAND' as const,
        content: { code: e.code, error_message: `${e.name ?? e.type} is not expected here; ${expected}.` },
      };
    }),
    forgetIdentification: assign({ identified: false }),
    update: assign(({ event }, params: { update: UpdateName }) => contextUpdate(params.update, requestOf(event)?.content)),
    failEffect: assign({
      failure: ({ event }) => `${requestOf(event)?.name ?? 'request'} failed: ${errorText((event as unknown as { error: unknown }).error)}`,
    }),
    failStalled: assign({ failure: ({ event }) => (event as { type: 'STALLED'; reason: string }).reason }),
    failAnswer: assign({
      failure: ({ event }) =>
        `the backend answered ${(event as unknown as { output: EffectOutput }).output.answer} to ${requestOf(event)?.name}, which the specification does not allow`,
    }),
    abort: emit(({ context }) => ({
      type: 'answer' as const,
      name: 'ABORT' as const,
      content: { abort_message: context.failure ?? 'frame aborted by Alice' },
    })),
    clearFrame: assign({ failure: null, frameUuid: null }),
  },
});

interface Builder {
  r: Resolver;
  failing: string;
  globalExpects: readonly MessageName[];
}

function requestTransitions(
  b: Builder,
  stage: Stage | null,
  mount: Mount,
  origin: string,
  name: MessageName,
  def: RequestDef,
  working: string,
): { on: Config[]; states: Record<string, Config> } {
  const gate = def.open ? [] : ['identified'];
  const guardOf = (extra: string[]) => {
    const all = [...gate, ...extra];
    return all.length === 0 ? undefined : all.length === 1 ? all[0] : and(all as never[]);
  };
  const updates = (a: AnswerDef | undefined) => (a?.update ? [{ type: 'update', params: { update: a.update } }] : []);
  const { r } = b;
  const stayAt = stage === null ? undefined : r.ref(stage.id, origin);
  const on: Config[] = [];
  if (def.refuse) {
    const { guard, answer } = def.refuse;
    const a = def.answers[answer];
    on.push({
      guard: guardOf([guard]),
      target: a ? r.answerTarget(stage, mount, origin, a) : undefined,
      actions: [...updates(a), { type: 'refuse', params: { answer, why: REFUSALS[guard] } }],
      description: REFUSALS[guard],
    });
  }
  const answers = Object.entries(def.answers) as [MessageName, AnswerDef][];
  if (!def.effect) {
    const [answer, a] = answers[0]!;
    on.push({
      guard: guardOf([]),
      target: r.answerTarget(stage, mount, origin, a),
      actions: [...updates(a), { type: 'answer', params: { name: answer } }],
      // Beside a refusal, the answer is one of two: say when.
      ...(def.refuse ? { description: a.when } : {}),
    });
    return { on, states: {} };
  }
  const workingTarget = stage ? r.ref(stage.id, working) : r.root(working);
  on.push({ guard: guardOf([]), target: workingTarget });
  const onDone: Config[] = answers.map(([answer, a]) => ({
    guard: { type: 'answerIs', params: { answer } },
    target: r.answerTarget(stage, mount, origin, a) ?? stayAt ?? r.history,
    actions: ['answerOutput', ...updates(a)],
    description: a.when,
  }));
  onDone.push({ target: b.failing, actions: ['failAnswer'] });
  const state: Config = {
    description: `Answering ${name}: the backend's ${def.effect} decides.`,
    meta: { working: true, request: name, effect: def.effect } satisfies WorkingMeta,
    ...performing(def.effect, onDone, { target: b.failing, actions: ['failEffect'] }),
  };
  return { on, states: { [working]: state } };
}

/** A state that asks the effects actor for `effect` on entry and leaves on its reply. */
function performing(effect: EffectName, done: Config | Config[], error: Config): Config {
  return { entry: { type: 'perform', params: { effect } }, on: { 'effect.done': done, 'effect.error': error } };
}

function stageConfig(b: Builder, stage: Stage): Config {
  const states: Record<string, Config> = {};
  for (const w of b.r.waitingStates(stage)) {
    const on: Record<string, Config[]> = {};
    for (const { name, def, mount } of w.requests) {
      const t = requestTransitions(b, stage, mount, w.key, name, def, `${w.key}_${name}`);
      merge(on, name, t.on);
      Object.assign(states, t.states);
    }
    const expects = [...new Set([...Object.keys(on), ...b.globalExpects])] as MessageName[];
    states[w.key] = { description: w.description, on, meta: { waiting: true, expects } satisfies WaitingMeta };
  }
  return { initial: b.r.initialKey(stage), states };
}

/**
 * The stages are children of the root unless a transition resumes the
 * session's deep history, which needs them in a `session` state: every
 * level of the hierarchy is walked by every transition (README, "What
 * XState costs per event in our machine").
 */
export function buildAliceMachine(layout: Layout) {
  const flat = aliceConfig(layout, false);
  const config = flat.historyUsed ? aliceConfig(layout, true).config : flat.config;
  return aliceSetup.createMachine(config as Parameters<typeof aliceSetup.createMachine>[0]);
}

function aliceConfig(layout: Layout, nested: boolean): { config: Config; historyUsed: boolean } {
  const r = new Resolver(layout.id, layout, nested);
  const globals = r.globalRequests();
  const globalExpects = new Set<MessageName>(globals.map((g) => g.name));
  if (layout.renew) globalExpects.add(layout.renew.request);
  const b: Builder = { r, failing: r.root('failing'), globalExpects: [...globalExpects] };
  const firstStage = layout.stages[0]!;
  const stageStates: Record<string, Config> = {};
  for (const stage of layout.stages) stageStates[stage.id] = stageConfig(b, stage);
  // Where the session starts again after a failure: its first stage.
  const session = nested ? 'session' : firstStage.id;
  const states: Record<string, Config> = nested ? { session: { initial: firstStage.id, states: stageStates } } : stageStates;

  const rootOn: Record<string, Config[]> = {};
  for (const { name, def, mount } of globals) {
    const t = requestTransitions(b, null, mount, mount.phase.initial, name, def, `any_${name}`);
    merge(rootOn, name, t.on);
    Object.assign(states, t.states);
  }
  if (layout.renew) {
    const { request, stage } = layout.renew;
    const target = r.ref(stage, `${r.initialKey(stage)}_${request}`);
    merge(rootOn, request, [{ guard: 'identified', target: r.root('renewing') }]);
    // The discard's reply names the request: the working state entered next asks the backend about it.
    states.renewing = {
      description: `A new ${request}: the frame in progress is discarded first.`,
      ...performing('discardFrame', { target }, { target: b.failing, actions: ['failEffect'] }),
    };
  }
  rootOn.AUTHENTICATION_FAILED = [{ actions: ['forgetIdentification', { type: 'answer', params: { name: 'AUTHENTICATION_INVALID' } }] }];
  rootOn.STALLED = [{ target: b.failing, actions: ['failStalled'], description: 'Alice - the emitter held without progress' }];
  rootOn['*'] = [{ actions: ['unexpected'] }];
  // A reply the machine no longer waits for (the connection serialises requests, so only after the session moved on).
  rootOn['effect.*'] = [{}];

  states.failing = {
    description: 'An effect failed: the frame is discarded and emission stopped, then Alice answers ABORT.',
    ...performing('discardFrame', { target: session, actions: ['abort', 'clearFrame'] }, { target: session, actions: ['abort', 'clearFrame'] }),
  };
  for (const name of r.ends) states[name] = { type: 'final' };
  // Exiting a state that has a deep history records the whole configuration: worth it only when something resumes.
  if (r.historyUsed) stageStates.resume = { type: 'history', history: 'deep' };

  const config: Config = {
    id: layout.id,
    context: ({ input }: { input: AliceInput }) => ({
      ...input,
      identified: input.identified ?? false,
      peerSerialNumber: null,
      frameUuid: null,
      failure: null,
    }),
    // One effects actor for the session's life: working states ask it, nothing is spawned per request.
    invoke: { id: 'effects', src: 'effects', input: ({ context }: { context: AliceContext }) => context.session },
    initial: session,
    on: rootOn,
    states,
  };
  return { config, historyUsed: r.historyUsed };
}

export type AliceMachine = ReturnType<typeof buildAliceMachine>;

/** A phase on its own: the statechart of one phase, with Alice's catch-all and failure handling. */
export function phaseMachine(phase: PhaseDef) {
  const exits = Object.fromEntries(phase.exits.map((e) => [e, `end:${e}`]));
  return buildAliceMachine({ id: phase.id, stages: [{ id: phase.id, mounts: [{ phase, exits }] }], globals: [] });
}

