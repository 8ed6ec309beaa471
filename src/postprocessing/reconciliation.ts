/**
 * One reconciliation block, reverse direction: Bob's reals are the
 * reference. Bob draws the block's key bits, sends the syndrome of his bits
 * and the multidimensional side information; Alice turns her reals into
 * LLRs and decodes toward Bob's bits. A block Alice cannot decode is an
 * error (EC_BLOCK_ERROR): both sides discard it.
 */
import { buildCode, syndrome, type LdpcCode } from './ldpc-code.ts';
import { decode, type DecodeOptions } from './ldpc-decoder.ts';
import { aliceLlrs, bobSideInformation, type Dimension, type LinearGaussianModel } from './multidimensional.ts';

export interface BobBlock {
  readonly bits: Uint8Array;
  readonly syndrome: Uint8Array;
  readonly sideInformation: Float64Array;
}

/** Bob's block from his n reals and n uniformly random bits (from a CSPRNG in production). */
export function bobBlock(code: LdpcCode, dimension: Dimension, y: ArrayLike<number>, bits: Uint8Array): BobBlock {
  if (y.length !== code.n) throw new RangeError(`a block of ${code.id} takes ${code.n} reals, got ${y.length}`);
  return { bits, syndrome: syndrome(code, bits), sideInformation: bobSideInformation(dimension, y, bits) };
}

export type AliceBlock = { readonly ok: true; readonly bits: Uint8Array; readonly iterations: number } | { readonly ok: false; readonly error: string; readonly iterations: number };

/** Alice's correction of one block; never throws on a well-formed block. */
export function aliceBlock(
  codeId: string,
  dimension: Dimension,
  x: ArrayLike<number>,
  received: { readonly syndrome: Uint8Array; readonly sideInformation: ArrayLike<number> },
  model: LinearGaussianModel,
  options: DecodeOptions = {},
): AliceBlock {
  const code = buildCode(codeId);
  if (received.syndrome.length !== code.m) return { ok: false, error: `Wrong syndrome length: ${received.syndrome.length}, expected ${code.m}.`, iterations: 0 };
  if (received.sideInformation.length !== code.n) return { ok: false, error: `Wrong side information length: ${received.sideInformation.length}, expected ${code.n}.`, iterations: 0 };
  const llr = aliceLlrs(dimension, x, received.sideInformation, model);
  const result = decode(code, llr, received.syndrome, options);
  if (!result.ok) return { ok: false, error: `Block not corrected after ${result.iterations} iterations.`, iterations: result.iterations };
  return { ok: true, bits: result.bits, iterations: result.iterations };
}
