/**
 * One zod schema per message content, as the specification and the wire
 * notes describe it. Each entry also says whether the content is required,
 * optional (the message may come with no content at all) or forbidden.
 */
import { z } from 'zod';
import type { MessageName } from './codes.ts';
import { paRequest } from './pa-request.ts';

// The deployed peers send version-1 and version-4 UUIDs; any 8-4-4-4-12 hex form is accepted.
const uuid = z.guid({ error: 'must be a UUID (8-4-4-4-12 hexadecimal digits)' });
const text = z.string();
const real = z.number();
/** Any number, NaN and the infinities included (the deployed peers write them): the receiver's policy decides. */
const anyNumber = z.custom<number>((v) => typeof v === 'number', { error: 'expected a number' });
const index = z.number().int().nonnegative();
/** Python's `hash()` is a signed 64-bit integer: large values arrive as bigint. */
const bigInteger = z.union([z.number().int(), z.bigint()], { error: 'must be an integer' });
/** Any JSON value but absent: parameter values and configurations are the application's. */
const anyValue = z.custom<unknown>((v) => v !== undefined, { error: 'is required' });
const errorMessage = z.object({ error_message: text });
const optionalErrorMessage = z.object({ error_message: text.optional() });
const denyMessage = z.object({ deny_message: text });
const codeAndMessage = z.object({ code: z.number().int(), error_message: text.optional() });
const frameUuid = z.object({ frame_uuid: uuid });

type Spec =
  | { readonly content: 'none' }
  | { readonly content: 'required' | 'optional'; readonly schema: z.ZodType };

const none = { content: 'none' } as const;
const required = <S extends z.ZodType>(schema: S) => ({ content: 'required', schema }) as const;
const optional = <S extends z.ZodType>(schema: S) => ({ content: 'optional', schema }) as const;

export const CONTENT = {
  // Wire notes 16: the deployed Alice sends UNKOWN_COMMAND without content.
  UNKOWN_COMMAND: optional(z.object({ code: z.number().int() })),
  UNEXPECTED_COMMAND: required(codeAndMessage),
  INVALID_CONTENT: required(codeAndMessage),
  INVALID_RESPONSE: optional(optionalErrorMessage),
  INVALID_RESPONSE_ACK: none,
  ABORT: optional(z.object({ abort_message: text.optional() })),
  ABORT_ACK: none,
  AUTHENTICATION_INVALID: none,

  CHANGE_PARAMETER_REQUEST: required(z.object({ parameter: text, value: anyValue })),
  PARAMETER_CHANGED: required(z.object({ parameter: text, old_value: anyValue, new_value: anyValue })),
  PARAMETER_UNKOWN: required(z.object({ parameter: text })),
  PARAMETER_INVALID_VALUE: required(z.object({ parameter: text, old_value: anyValue, error_message: text.optional() })),
  PARAMETER_UNCHANGED: required(z.object({ parameter: text, old_value: anyValue, error_message: text.optional() })),

  REQUEST_POLARISATION_RECOVERY: none,
  POLARISATION_RECOVERY_ACK: none,
  END_POLARISATION_RECOVERY: none,
  POLARISATION_RECOVERY_ENDED: none,

  IDENTIFICATION_REQUEST: required(z.object({ serial_number: text, qosst_version: text })),
  IDENTIFICATION_RESPONSE: required(z.object({ serial_number: text })),
  INVALID_QOSST_VERSION: required(z.object({ qosst_version: text })),

  // Bob adds any parameters he wants beside the UUID.
  INITIALIZATION_REQUEST: required(z.looseObject({ frame_uuid: uuid })),
  INITIALIZATION_ACCEPTED: none,
  INITIALIZATION_DENIED: required(denyMessage),
  INITIALIZATION_PROPOSAL: required(denyMessage),
  INITIALIZATION_REQUEST_CONFIG: none,
  INITIALIZATION_CONFIG: required(z.object({ config: anyValue })),

  // Wire notes 12: the deployed Bob sends QIE_REQUEST without content.
  QIE_REQUEST: optional(z.object({ frame_uuid: uuid.optional() })),
  QIE_READY: none,
  QIE_TRIGGER: none,
  QIE_EMISSION_STARTED: none,
  QIE_ACQUISITION_ENDED: none,
  QIE_ENDED: none,

  PE_SYMBOLS_REQUEST: required(z.object({ indices: z.array(index) })),
  PE_SYMBOLS_RESPONSE: required(
    z
      .object({ symbols_real: z.array(real), symbols_imag: z.array(real) })
      .refine((c) => c.symbols_real.length === c.symbols_imag.length, {
        error: 'symbols_real and symbols_imag differ in length',
        path: ['symbols_imag'],
      }),
  ),
  PE_SYMBOLS_ERROR: required(errorMessage),
  PE_NPHOTON_REQUEST: none,
  PE_NPHOTON_RESPONSE: required(z.object({ n_photon: real })),
  // The prose names transmittance, excess noise and key rate; the example adds three more.
  // Non-finite values are Alice's policy to deny (PE_DENIED), not a malformed content.
  PE_FINISHED: required(
    z.object({
      transmittance: anyNumber,
      excess_noise: anyNumber,
      key_rate: anyNumber,
      n_photon: anyNumber.optional(),
      electronic_noise: anyNumber.optional(),
      eta: anyNumber.optional(),
    }),
  ),
  PE_APPROVED: none,
  PE_DENIED: required(denyMessage),

  EC_INITIALIZATION: required(z.looseObject({ matrix: z.array(z.array(real)), noise: real })),
  EC_READY: none,
  EC_DENIED: required(errorMessage),
  EC_BLOCK: required(z.object({ syndrome: z.array(real) })),
  EC_BLOCK_ACK: none,
  EC_BLOCK_ERROR: required(errorMessage),
  // The parameters of the remaining-errors algorithm are the application's.
  EC_REMAINING: required(z.looseObject({})),
  EC_REMAINING_ACK: none,
  EC_REMAINING_ERROR: required(errorMessage),
  EC_VERIFICATION: required(z.object({ hash: bigInteger })),
  EC_VERIFICATION_SUCCESS: none,
  EC_VERIFICATION_FAIL: required(errorMessage),

  // The specification's form or the newer deployed one (wire notes 23): src/protocol/pa-request.ts.
  PA_REQUEST: required(paRequest),
  PA_SUCCESS: none,
  PA_ERROR: required(errorMessage),

  FRAME_ENDED: required(frameUuid),
  FRAME_ENDED_ACK: required(frameUuid),
  DISCONNECTION: none,
  DISCONNECTION_ACK: none,
} as const satisfies Record<MessageName, Spec>;

type Specs = typeof CONTENT;

/** The content type of a message, derived from its schema; `null` where there is none. */
export type ContentOf<N extends MessageName> = Specs[N] extends { content: 'required'; schema: infer S extends z.ZodType }
  ? z.infer<S>
  : Specs[N] extends { content: 'optional'; schema: infer S extends z.ZodType }
    ? z.infer<S> | null
    : null;

export type Validated<N extends MessageName> = { ok: true; content: ContentOf<N> } | { ok: false; error: string };

type Issue = z.core.$ZodIssue;

/**
 * One line per issue, naming the field. A union that fails without a
 * message of its own (the forms of PA_REQUEST) is explained by its closest
 * alternative, the one with the fewest issues.
 */
function describeIssues(issues: readonly Issue[], prefix: readonly PropertyKey[] = []): string {
  return issues
    .map((issue) => {
      const path = [...prefix, ...issue.path];
      if (issue.code === 'invalid_union' && issue.message === 'Invalid input' && issue.errors.length > 0) {
        const closest = issue.errors.reduce((a, b) => (b.length < a.length ? b : a));
        return describeIssues(closest, path);
      }
      return `${path.length > 0 ? path.join('.') : 'content'}: ${issue.message}`;
    })
    .join('; ');
}

/**
 * Checks the content of a message; on failure the error names the field and
 * is ready to send as `INVALID_CONTENT`'s `error_message`.
 */
export function validateContent<N extends MessageName>(name: N, content: unknown): Validated<N> {
  const spec: Spec = CONTENT[name];
  if (content === null || content === undefined) {
    return spec.content === 'required' ? { ok: false, error: `${name} requires content` } : { ok: true, content: null as ContentOf<N> };
  }
  if (spec.content === 'none') return { ok: false, error: `${name} takes no content` };
  const result = spec.schema.safeParse(content);
  return result.success
    ? { ok: true, content: result.data as ContentOf<N> }
    : { ok: false, error: `${name}: ${describeIssues(result.error.issues)}` };
}
