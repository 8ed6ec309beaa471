/**
 * Answers never grow with their request: a string an answer quotes (a
 * parameter name, a message that names a value) is cut to a fixed length,
 * so that a request's size bounds neither the answer nor the time to write it.
 */
import type { MessageName } from '../protocol/codes.ts';

/** Characters of a quoted string kept in an answer (at most 6 bytes each once escaped). */
export const MAX_QUOTED_LENGTH = 256;

/** Answers whose strings are Alice's own, never Bob's. */
const OWN_CONTENT: ReadonlySet<MessageName> = new Set(['INITIALIZATION_CONFIG', 'IDENTIFICATION_RESPONSE']);

export function cut(text: string, max = MAX_QUOTED_LENGTH): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`;
}

/** The answer's content with every top-level string cut to MAX_QUOTED_LENGTH. */
export function boundAnswer(name: MessageName, content: object | null): object | null {
  if (content === null || OWN_CONTENT.has(name)) return content;
  let bounded: Record<string, unknown> | null = null;
  for (const [key, value] of Object.entries(content)) {
    if (typeof value === 'string' && value.length > MAX_QUOTED_LENGTH) (bounded ??= { ...content })[key] = cut(value);
  }
  return bounded ?? content;
}

/** Nesting levels of a JSON value, counted without recursion (a 100k-deep array must not overflow the stack). */
export function nestingDepth(value: unknown, stopAt = Infinity): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    const d = depth + 1;
    if (d > deepest) deepest = d;
    if (deepest > stopAt) return deepest;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d]);
  }
  return deepest;
}

/** Values nested deeper than this are described, never written out. */
export const MAX_QUOTED_DEPTH = 32;

/** A value as an answer may quote it: short, and never by recursion over an arbitrarily deep value. */
export function quoteValue(value: unknown, write: (v: unknown) => string): string {
  if (nestingDepth(value, MAX_QUOTED_DEPTH) > MAX_QUOTED_DEPTH) return `(a value nested more than ${MAX_QUOTED_DEPTH} levels deep)`;
  try {
    return cut(write(value));
  } catch {
    return cut(String(value));
  }
}
