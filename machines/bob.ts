/**
 * Builds Bob's statechart from the same phase definitions and layout as
 * Alice's: where Alice's waiting state accepts a request, Bob's sends it
 * and waits for one of the answers the definition allows.
 *
 * Events: `request.<NAME>` (the driver asks to send a request),
 * `answer.<NAME>` (a decoded, authenticated answer from Alice),
 * `link.authentication-failure` and `link.lost`. The machine emits `send`
 * (a frame to write) and `outcome` (how the pending request ended).
 */
import { assign, emit, setup } from 'xstate';
import type { MessageName } from '../src/protocol/codes.ts';
import { merge, Resolver, type AcceptedRequest, type Config } from './compose.ts';
import type { Layout, Stage } from './layout.ts';
import { sessionUpdate, type AnswerDef, type UpdateName } from './phase.ts';

export interface BobRequest {
  name: MessageName;
  content: Readonly<Record<string, unknown>> | null;
}

export interface BobContext {
  identified: boolean;
  frameUuid: string | null;
  /** The request in flight. */
  request: BobRequest | null;
  /** Why the last answer was rejected as invalid. */
  invalid: string | null;
}

export type BobEvent =
  | { type: `request.${string}`; content: Record<string, unknown> | null }
  /** `reason` is set when the answer cannot be accepted whatever the state (bad content, unknown code). */
  | { type: `answer.${string}`; name: MessageName; content: Record<string, unknown> | null; reason?: string }
  | { type: 'link.authentication-failure'; reason: string }
  | { type: 'link.lost' };

export type OutcomeKind =
  /** One of the answers the specification allows for the request. */
  | 'answered'
  /** Alice aborted the frame (ABORT); the session goes back to the initialization stage. */
  | 'aborted'
  /** Alice refused the request: UNEXPECTED_COMMAND, INVALID_CONTENT or UNKOWN_COMMAND. */
  | 'refused'
  /** AUTHENTICATION_INVALID, or Alice's frame did not verify: identify again. */
  | 'authentication-lost'
  /** An answer outside the allowed ones: INVALID_RESPONSE was sent and acknowledged. */
  | 'invalid-response'
  /** The connection was lost. */
  | 'lost';

export interface SendEvent {
  type: 'send';
  name: MessageName;
  content: Record<string, unknown> | null;
}

export interface OutcomeEvent {
  type: 'outcome';
  kind: OutcomeKind;
  request: MessageName | null;
  answer: MessageName | null;
  content: Record<string, unknown> | null;
}

/** Answers that may follow any request, with what they mean for Bob. */
const REFUSED = ['UNEXPECTED_COMMAND', 'INVALID_CONTENT', 'UNKOWN_COMMAND'] as const;

type AnswerLike = { name?: MessageName; content?: Record<string, unknown> | null; reason?: string };

const bobSetup = setup({
  types: {
    context: {} as BobContext,
    events: {} as BobEvent,
    emitted: {} as SendEvent | OutcomeEvent,
  },
  guards: {
    identified: ({ context }) => context.identified,
  },
  actions: {
    saveRequest: assign({
      request: ({ event }) => ({
        name: event.type.slice('request.'.length) as MessageName,
        content: (event as { content: Record<string, unknown> | null }).content,
      }),
    }),
    sendRequest: emit(({ context }) => ({
      type: 'send' as const,
      name: context.request!.name,
      content: context.request!.content as Record<string, unknown> | null,
    })),
    sendInvalidResponse: emit(({ context }) => ({
      type: 'send' as const,
      name: 'INVALID_RESPONSE' as const,
      content: { error_message: context.invalid ?? 'invalid response' },
    })),
    noteInvalid: assign({
      invalid: ({ context, event }) => {
        const { name, reason } = event as AnswerLike;
        return reason ?? `${name ?? event.type.slice('answer.'.length)} is not an answer to ${context.request?.name} allowed by the specification`;
      },
    }),
    outcome: emit(({ context, event }, params: { kind: OutcomeKind }) => {
      const answer = event as AnswerLike;
      return {
        type: 'outcome' as const,
        kind: params.kind,
        request: context.request?.name ?? null,
        answer: answer.name ?? null,
        content: answer.content ?? null,
      };
    }),
    update: assign(({ context }, params: { update: UpdateName }) => sessionUpdate(params.update, context.request?.content)),
    forgetIdentification: assign({ identified: false }),
    clearFrame: assign({ frameUuid: null }),
  },
});

const outcome = (kind: OutcomeKind) => ({ type: 'outcome', params: { kind } });

/** The awaiting state for one request: send it, then take the answer. */
function awaiting(r: Resolver, stage: Stage | null, origin: string, { name, def, mount }: AcceptedRequest): Config {
  const back = stage ? r.ref(stage.id, origin) : r.history;
  const restart = r.ref(r.layout.stages[0]!.id, r.initialKey(r.layout.stages[0]!));
  const on: Record<string, Config[]> = {};
  for (const [answer, a] of Object.entries(def.answers) as [MessageName, AnswerDef][]) {
    const target = r.answerTarget(stage, mount, origin, a) ?? back;
    on[`answer.${answer}`] = [
      { target, actions: [outcome('answered'), ...(a.update ? [{ type: 'update', params: { update: a.update } }] : [])], description: a.when },
    ];
  }
  on['answer.ABORT'] ??= [{ target: restart, actions: ['clearFrame', outcome('aborted')], description: 'Alice aborts the frame' }];
  on['answer.AUTHENTICATION_INVALID'] = [{ target: back, actions: ['forgetIdentification', outcome('authentication-lost')] }];
  on['link.authentication-failure'] = [{ target: back, actions: ['forgetIdentification', outcome('authentication-lost')] }];
  for (const refused of REFUSED) on[`answer.${refused}`] ??= [{ target: back, actions: [outcome('refused')] }];
  on['answer.*'] = [{ target: 'rejecting', actions: ['noteInvalid'] }];
  return {
    description: `Sent ${name}: waiting for ${Object.keys(def.answers).join(', ')}.`,
    entry: ['sendRequest'],
    initial: 'waiting',
    states: {
      waiting: { on },
      rejecting: {
        description: 'An answer outside the specification: INVALID_RESPONSE sent, waiting for its acknowledgement.',
        entry: ['sendInvalidResponse'],
        on: { 'answer.*': [{ target: back, actions: [outcome('invalid-response')] }] },
      },
    },
    meta: { request: name, answers: Object.keys(def.answers) },
  };
}

function requestTransition(target: string, def: { open?: boolean }): Config {
  return { guard: def.open ? undefined : 'identified', target, actions: ['saveRequest'] };
}

export function buildBobMachine(layout: Layout, id = 'bob') {
  const r = new Resolver(id, layout);
  const stageStates: Record<string, Config> = {};
  for (const stage of layout.stages) {
    const states: Record<string, Config> = {};
    for (const w of r.waitingStates(stage)) {
      const on: Record<string, Config[]> = {};
      for (const accepted of w.requests) {
        const key = `${w.key}_${accepted.name}`;
        states[key] = awaiting(r, stage, w.key, accepted);
        merge(on, `request.${accepted.name}`, [requestTransition(r.ref(stage.id, key), accepted.def)]);
      }
      states[w.key] = { description: w.description, on, meta: { waiting: true } };
    }
    stageStates[stage.id] = { initial: r.initialKey(stage), states };
  }
  stageStates.resume = { type: 'history', history: 'deep' };

  const states: Record<string, Config> = { session: { initial: layout.stages[0]!.id, states: stageStates } };
  const rootOn: Record<string, Config[]> = {};
  for (const accepted of r.globalRequests()) {
    const key = `any_${accepted.name}`;
    states[key] = awaiting(r, null, accepted.mount.phase.initial, accepted);
    merge(rootOn, `request.${accepted.name}`, [requestTransition(r.root(key), accepted.def)]);
  }
  if (layout.renew) {
    const { request, stage } = layout.renew;
    merge(rootOn, `request.${request}`, [requestTransition(r.ref(stage, `${r.initialKey(stage)}_${request}`), {})]);
  }
  // A lost connection ends the frame; the driver reconnects and identifies again.
  rootOn['link.lost'] = [
    {
      target: r.ref(layout.stages[0]!.id, r.initialKey(layout.stages[0]!)),
      actions: ['forgetIdentification', 'clearFrame', outcome('lost')],
    },
  ];
  for (const name of r.ends) states[name] = { type: 'final' };

  const config: Config = {
    id,
    context: { identified: false, frameUuid: null, request: null, invalid: null },
    initial: 'session',
    on: rootOn,
    states,
  };
  return bobSetup.createMachine(config as Parameters<typeof bobSetup.createMachine>[0]);
}

export type BobMachine = ReturnType<typeof buildBobMachine>;
