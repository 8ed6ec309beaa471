/** Duplicate keys: the last wins on both parse paths, as with Python's json (and JSON.parse). */
import { describe, expect, it } from 'vitest';
import { parseJsonText } from '../src/protocol/json.ts';

describe('duplicate keys', () => {
  it('the native path (no long integer, no NaN, no integral float): the last wins', () => {
    expect(parseJsonText('{"a": 1, "b": 0, "a": 2}')).toEqual({ ok: true, value: { a: 2, b: 0 } });
  });

  it('the lossless path: the last wins, whatever the values', () => {
    expect(parseJsonText('{"a": 1, "h": 385789897481570657, "a": 2}')).toEqual({ ok: true, value: { a: 2, h: 385789897481570657n } });
    expect(parseJsonText('{"a": 385789897481570657, "a": [1, 2]}')).toEqual({ ok: true, value: { a: [1, 2] } });
    expect(parseJsonText('{"a": {"x": NaN}, "a": "last"}')).toEqual({ ok: true, value: { a: 'last' } });
  });
});
