/**
 * PA_REQUEST's contents: the specification's, and the newer deployed
 * post-processing's `{"seed", "secret_key_ratio"}` (wire notes 23), where
 * the final key length is the reconciled length times the ratio. Each form
 * is one schema in `PA_REQUEST_FORMS`; a new form is one more entry.
 */
import { z } from 'zod';

const bit = z.union([z.literal(0), z.literal(1)], { error: 'must be 0 or 1' });
const positiveInt = z.number().int().positive();

/** The specification's form: the final length and the Toeplitz hashing's parameters. */
export const paSpecificationForm = z.object({
  seed: z.array(bit),
  secret_key_length: positiveInt,
  subblock_length: positiveInt,
  feedback_polynomial: z.array(bit),
});

/** The deployed post-processing's form: the final length is a share of the reconciled key. */
export const paRatioForm = z.object({
  seed: z.array(bit),
  secret_key_ratio: z.number().gt(0, { error: 'must be in (0, 1]' }).lte(1, { error: 'must be in (0, 1]' }),
});

export const PA_REQUEST_FORMS = [paSpecificationForm, paRatioForm] as const;

export const paRequest = z.union(PA_REQUEST_FORMS);
export type PaRequest = z.infer<typeof paRequest>;

/**
 * The final key length a PA_REQUEST asks for, given the reconciled key's
 * length in bits: the ratio form truncates, as the deployed Python's
 * `int(length * ratio)` does.
 */
export function finalKeyLength(request: PaRequest, reconciledLength: number): number {
  return 'secret_key_ratio' in request ? Math.floor(reconciledLength * request.secret_key_ratio) : request.secret_key_length;
}
