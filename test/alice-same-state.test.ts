import { describe, expect, it } from 'vitest';
import { sameState } from '../src/alice/connection.ts';

describe('sameState: the emitter holder made progress when its state value changed', () => {
  it('equal values, whatever their keys\' order', () => {
    expect(sameState('idle', 'idle')).toBe(true);
    expect(sameState({ session: { qie: 'ready' } }, { session: { qie: 'ready' } })).toBe(true);
    expect(sameState({ a: 'x', b: { c: 'y' } }, { b: { c: 'y' }, a: 'x' })).toBe(true);
  });

  it('any difference: a leaf, a key, a level, one more region', () => {
    expect(sameState('idle', 'ready')).toBe(false);
    expect(sameState({ session: { qie: 'ready' } }, { session: { qie: 'emitting' } })).toBe(false);
    expect(sameState({ session: { qie: 'ready' } }, { session: { pe: 'ready' } })).toBe(false);
    expect(sameState({ session: 'qie' }, { session: { qie: 'ready' } })).toBe(false);
    expect(sameState({ a: 'x' }, { a: 'x', b: 'y' })).toBe(false);
    expect(sameState({ a: 'x', b: 'y' }, { a: 'x' })).toBe(false);
  });
});
