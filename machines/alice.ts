/**
 * Builds Alice's statecharts from the phase definitions and a layout.
 *
 * Every waiting state accepts the requests of its definition; a request
 * with an effect goes through a working state that invokes the backend's
 * actor and gives the answer it returns (when the definition allows it).
 * The root holds the catch-all: any message no state accepts is answered
 * UNEXPECTED_COMMAND, by construction. An effect that fails leads to
 * `failing`: the frame is discarded (emission stopped) and Alice answers ABORT.
 */
import { and, assign, emit, setup } from 'xstate';
import type { MessageName } from '../src/protocol/codes.ts';
import { merge, Resolver, type Config } from './compose.ts';
import { fromEffect, type EffectActorLogic } from './effect.ts';
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
}

export interface AliceContext extends Omit<AliceInput, 'identified'> {
  identified: boolean;
  peerSerialNumber: string | null;
  frameUuid: string | null;
  /** The request being answered. */
  request: RequestInfo | null;
  /** Why the frame is being aborted by Alice. */
  failure: string | null;
}

/** A decoded, authenticated, validated request: its type is its message name. */
export type RequestEvent = RequestInfo & { readonly type: MessageName };
export type AliceEvent =
  | RequestEvent
  | { type: 'AUTHENTICATION_FAILED'; code: number; reason: string }
  /** Alice's own decision (a session holding the emitter makes no progress): the frame is aborted. */
  | { type: 'STALLED'; reason: string };

export interface AnswerEvent {
  type: 'answer';
  name: MessageName;
  content: object | null;
}

export interface EffectInput {
  request: RequestInfo;
  context: AliceContext;
}

export interface EffectOutput {
  answer: MessageName;
  content?: object | null;
}

export type EffectLogic = EffectActorLogic<EffectOutput, EffectInput>;

/** Placeholders: a backend supplies the real actors with `machine.provide({ actors })`. */
const missingEffects = Object.fromEntries(
  EFFECTS.map((name) => [
    name,
    fromEffect<EffectOutput, EffectInput>(() => {
      throw new Error(`no backend supplies the effect ${name}`);
    }),
  ]),
) as Record<EffectName, EffectLogic>;

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

function waitingMeta(metas: Record<string, unknown>): WaitingMeta | undefined {
  for (const meta of Object.values(metas)) if ((meta as Partial<WaitingMeta> | undefined)?.waiting) return meta as WaitingMeta;
  return undefined;
}

function contextUpdate(update: UpdateName, content: RequestInfo['content'] | undefined): Partial<AliceContext> {
  const peer = update === 'identify' ? { peerSerialNumber: String(content?.serial_number) } : {};
  return { ...sessionUpdate(update, content), ...peer };
}

const aliceSetup = setup({
  types: {
    context: {} as AliceContext,
    events: {} as AliceEvent,
    input: {} as AliceInput,
    emitted: {} as AnswerEvent,
  },
  actors: missingEffects,
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
    // Saving the request and the update of an answer given at once are one assignment: each costs a new snapshot.
    saveRequest: assign(({ event }, params: { update?: UpdateName } | undefined) => {
      const { name, code, content } = event as RequestEvent;
      const request = { name, code, content };
      return params?.update ? { request, ...contextUpdate(params.update, content) } : { request };
    }),
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
      const expects = waitingMeta(self.getSnapshot().getMeta())?.expects;
      const expected = !context.identified
        ? 'the client is not identified: IDENTIFICATION_REQUEST expected'
        : expects
          ? `expected now: ${expects.join(', ')}`
          : `the answer to ${context.request?.name ?? 'the previous request'} is being prepared`;
      return {
        type: 'answer' as const,
        name: 'UNEXPECTED_COMMAND' as const,
        content: { code: e.code, error_message: `${e.name ?? e.type} is not expected here; ${expected}.` },
      };
    }),
    forgetIdentification: assign({ identified: false }),
    update: assign(({ context }, params: { update: UpdateName }) => contextUpdate(params.update, context.request?.content)),
    failEffect: assign({
      failure: ({ context, event }) =>
        `${context.request?.name ?? 'request'} failed: ${errorText((event as unknown as { error: unknown }).error)}`,
    }),
    failStalled: assign({ failure: ({ event }) => (event as { type: 'STALLED'; reason: string }).reason }),
    failAnswer: assign({
      failure: ({ context, event }) =>
        `the backend answered ${(event as unknown as { output: EffectOutput }).output.answer} to ${context.request?.name}, which the specification does not allow`,
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
  const saveWith = (a: AnswerDef | undefined) => (a?.update ? { type: 'saveRequest', params: { update: a.update } } : 'saveRequest');
  const { r } = b;
  const stayAt = stage === null ? undefined : r.ref(stage.id, origin);
  const on: Config[] = [];
  if (def.refuse) {
    const { guard, answer } = def.refuse;
    const a = def.answers[answer];
    on.push({
      guard: guardOf([guard]),
      target: a ? r.answerTarget(stage, mount, origin, a) : undefined,
      actions: [saveWith(a), { type: 'refuse', params: { answer, why: REFUSALS[guard] } }],
      description: REFUSALS[guard],
    });
  }
  const answers = Object.entries(def.answers) as [MessageName, AnswerDef][];
  if (!def.effect) {
    const [answer, a] = answers[0]!;
    on.push({
      guard: guardOf([]),
      target: r.answerTarget(stage, mount, origin, a),
      actions: [saveWith(a), { type: 'answer', params: { name: answer } }],
      // Beside a refusal, the answer is one of two: say when.
      ...(def.refuse ? { description: a.when } : {}),
    });
    return { on, states: {} };
  }
  const workingTarget = stage ? r.ref(stage.id, working) : r.root(working);
  on.push({ guard: guardOf([]), target: workingTarget, actions: ['saveRequest'] });
  const onDone: Config[] = answers.map(([answer, a]) => ({
    guard: { type: 'answerIs', params: { answer } },
    target: r.answerTarget(stage, mount, origin, a) ?? stayAt ?? r.history,
    actions: ['answerOutput', ...updates(a)],
    description: a.when,
  }));
  onDone.push({ target: b.failing, actions: ['failAnswer'] });
  const state: Config = {
    description: `Answering ${name}: the backend's ${def.effect} decides.`,
    invoke: {
      src: def.effect,
      input: ({ context }: { context: AliceContext }) => ({ request: context.request!, context }),
      onDone,
      onError: { target: b.failing, actions: ['failEffect'] },
    },
  };
  return { on, states: { [working]: state } };
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

export function buildAliceMachine(layout: Layout) {
  const r = new Resolver(layout.id, layout);
  const globals = r.globalRequests();
  const globalExpects = new Set<MessageName>(globals.map((g) => g.name));
  if (layout.renew) globalExpects.add(layout.renew.request);
  const b: Builder = { r, failing: r.root('failing'), globalExpects: [...globalExpects] };
  const firstStage = layout.stages[0]!;
  const stageStates: Record<string, Config> = {};
  for (const stage of layout.stages) stageStates[stage.id] = stageConfig(b, stage);
  const states: Record<string, Config> = {
    session: { initial: firstStage.id, states: stageStates },
  };

  const rootOn: Record<string, Config[]> = {};
  for (const { name, def, mount } of globals) {
    const t = requestTransitions(b, null, mount, mount.phase.initial, name, def, `any_${name}`);
    merge(rootOn, name, t.on);
    Object.assign(states, t.states);
  }
  if (layout.renew) {
    const { request, stage } = layout.renew;
    const target = r.ref(stage, `${r.initialKey(stage)}_${request}`);
    merge(rootOn, request, [{ guard: 'identified', target: r.root('renewing'), actions: ['saveRequest'] }]);
    states.renewing = {
      description: `A new ${request}: the frame in progress is discarded first.`,
      invoke: { src: 'discardFrame', input: ({ context }: { context: AliceContext }) => ({ request: context.request!, context }), onDone: { target }, onError: { target: b.failing, actions: ['failEffect'] } },
    };
  }
  rootOn.AUTHENTICATION_FAILED = [{ actions: ['forgetIdentification', { type: 'answer', params: { name: 'AUTHENTICATION_INVALID' } }] }];
  rootOn.STALLED = [{ target: b.failing, actions: ['failStalled'], description: 'Alice - the emitter held without progress' }];
  rootOn['*'] = [{ actions: ['unexpected'] }];

  states.failing = {
    description: 'An effect failed: the frame is discarded and emission stopped, then Alice answers ABORT.',
    invoke: {
      src: 'discardFrame',
      input: ({ context }: { context: AliceContext }) => ({ request: context.request!, context }),
      onDone: { target: 'session', actions: ['abort', 'clearFrame'] },
      onError: { target: 'session', actions: ['abort', 'clearFrame'] },
    },
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
      request: null,
      failure: null,
    }),
    initial: 'session',
    on: rootOn,
    states,
  };
  return aliceSetup.createMachine(config as Parameters<typeof aliceSetup.createMachine>[0]);
}

export type AliceMachine = ReturnType<typeof buildAliceMachine>;

/** A phase on its own: the statechart of one phase, with Alice's catch-all and failure handling. */
export function phaseMachine(phase: PhaseDef) {
  const exits = Object.fromEntries(phase.exits.map((e) => [e, `end:${e}`]));
  return buildAliceMachine({ id: phase.id, stages: [{ id: phase.id, mounts: [{ phase, exits }] }], globals: [] });
}

