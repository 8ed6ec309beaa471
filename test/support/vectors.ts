/** Reads the deployed peers' vectors from the project's own copy in test/vectors (see its README). */
import { readFileSync } from 'node:fs';
import { parseJsonText, type JsonObject } from '../../src/protocol/json.ts';

export const VECTORS_DIR = new URL('../vectors/', import.meta.url);

export function vectorPath(name: string): string {
  return new URL(name, VECTORS_DIR).pathname;
}

/** Parsed losslessly, so the integer above 2^53 in EC_VERIFICATION stays exact. */
export function readVector(name: string): JsonObject {
  const parsed = parseJsonText(readFileSync(vectorPath(name), 'utf8'));
  if (!parsed.ok) throw new Error(`${name}: ${parsed.reason}`);
  return parsed.value as JsonObject;
}

export interface VectorFrame {
  name: string;
  code: number;
  content: JsonObject | null;
  header_length: number;
  digest_length: number;
  challenge: string;
  next_challenge: string;
  frame_hex: string;
}

export function vectorFrames(name: string): VectorFrame[] {
  return readVector(name).frames as unknown as VectorFrame[];
}

export interface ConversationFrame {
  from: 'alice' | 'bob';
  frame_hex: string;
}

export function conversation(): ConversationFrame[] {
  return readVector('conversation-none.json').frames as unknown as ConversationFrame[];
}
