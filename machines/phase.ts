/**
 * The vocabulary of the phase definitions: the single source of truth from
 * which Alice's and Bob's statecharts and the diagrams are all built.
 *
 * A phase is a set of *waiting* states. In each, some requests from Bob are
 * accepted; each request has the answers the specification allows and, for
 * each answer, where the conversation goes next. Alice decides which answer
 * through a guard (a refusal the machine itself makes, visible in the chart)
 * or through an *effect*: an invoked actor supplied by her backend.
 */
import type { MessageName } from '../src/protocol/codes.ts';

/** Effects Alice's backend performs; each decides the answer to one request. */
export const EFFECTS = [
  'initialize',
  'proposeConfig',
  'prepareFrame',
  'startEmission',
  'stopEmission',
  'symbols',
  'photonNumber',
  'approveEstimation',
  'ecInitialize',
  'ecBlock',
  'ecRemaining',
  'ecVerify',
  'privacyAmplification',
  'endFrame',
  'changeParameter',
  'startPolarisationSignal',
  'stopPolarisationSignal',
  'discardFrame',
  'endSession',
] as const;
export type EffectName = (typeof EFFECTS)[number];

/** Guards by which Alice's machine refuses a request without asking the backend. */
export const REFUSALS = {
  incompatibleVersion: 'the QOSST version is not compatible',
  otherFrame: 'frame_uuid names another frame',
  keyRateNotPositive: 'key_rate <= 0',
} as const;
export type RefusalName = keyof typeof REFUSALS;

/** Context changes an answer makes, by name. */
export type UpdateName = 'identify' | 'forget' | 'startFrame' | 'endFrame';

/** What an update changes in either side's context, given the request it answers. */
export function sessionUpdate(
  update: UpdateName,
  request: Readonly<Record<string, unknown>> | null | undefined,
): { identified?: boolean; frameUuid?: string | null } {
  switch (update) {
    case 'identify':
      return { identified: true };
    case 'forget':
      return { identified: false };
    case 'startFrame':
      return { frameUuid: String(request?.frame_uuid) };
    case 'endFrame':
      return { frameUuid: null };
  }
}

/** `exit:<name>` leaves the phase; the session decides where that leads. */
export type Target = string;

export interface AnswerDef {
  /** A state of this phase, `exit:<name>`, or `stay` (the state the request was made in). */
  readonly to: Target;
  /** When Alice gives this answer: the label of the transition in diagrams. */
  readonly when: string;
  readonly update?: UpdateName;
}

export interface RequestDef {
  readonly answers: Partial<Record<MessageName, AnswerDef>>;
  /** The backend effect deciding the answer; without one, the single answer is given at once. */
  readonly effect?: EffectName;
  /** Checked before the effect: when the guard holds, this answer is given at once. */
  readonly refuse?: { readonly guard: RefusalName; readonly answer: MessageName };
  /** Accepted from a client that is not identified. */
  readonly open?: boolean;
}

export interface WaitingState {
  readonly description: string;
  readonly on: Partial<Record<MessageName, RequestDef>>;
}

export interface PhaseDef {
  /** Kebab-case name, also the file name of the phase's statechart. */
  readonly id: string;
  readonly title: string;
  readonly initial: string;
  readonly states: Record<string, WaitingState>;
  /** The ways out of the phase, named by the `exit:<name>` targets. */
  readonly exits: readonly string[];
}

export function definePhase<const P extends PhaseDef>(phase: P): P {
  for (const [state, waiting] of Object.entries(phase.states)) {
    for (const [request, def] of Object.entries(waiting.on)) {
      for (const [answer, a] of Object.entries(def!.answers)) {
        const to = a!.to;
        const ok = to === 'stay' || to in phase.states || (to.startsWith('exit:') && phase.exits.includes(to.slice(5)));
        if (!ok) throw new Error(`${phase.id}.${state}: ${request} -> ${answer} leads to unknown ${to}`);
      }
      if (def!.refuse && !(def!.refuse.answer in def!.answers) && def!.refuse.answer !== 'INVALID_CONTENT') {
        throw new Error(`${phase.id}.${state}: ${request} refuses with ${def!.refuse.answer}, which is not one of its answers`);
      }
    }
  }
  return phase;
}

/** The answers that can follow a request, beside its own, whatever the state. */
export const GENERIC_ANSWERS = ['UNEXPECTED_COMMAND', 'INVALID_CONTENT', 'UNKOWN_COMMAND', 'AUTHENTICATION_INVALID', 'ABORT'] as const;
