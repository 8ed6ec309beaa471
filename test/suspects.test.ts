/** The man-in-the-middle defence's arithmetic, on a clock of our own (the TCP behaviour is in alice-errors.test.ts). */
import { describe, expect, it } from 'vitest';
import { SuspectList } from '../src/alice/suspects.ts';

const policy = { maxFailures: 3, windowMs: 60_000, banMs: 5_000, banMaxMs: 300_000, allowList: ['10.0.0.9'] };

/** Three failures at `at`, `at`+1, `at`+2 ms; the verdict of the last. */
function threeFailures(list: SuspectList, address: string, at: number) {
  list.failure(address, at);
  list.failure(address, at + 1);
  return list.failure(address, at + 2);
}

describe('SuspectList', () => {
  it('counts failures per address within the window', () => {
    const list = new SuspectList(policy);
    expect(list.failure('10.0.0.1', 0)).toEqual({ suspected: false, failures: 1 });
    expect(list.failure('10.0.0.2', 1)).toEqual({ suspected: false, failures: 1 });
    expect(list.failure('10.0.0.1', 59_999)).toEqual({ suspected: false, failures: 2 });
    // The first failure is now older than the window.
    expect(list.failure('10.0.0.1', 60_001)).toEqual({ suspected: false, failures: 2 });
    expect(list.failure('10.0.0.1', 60_002)).toEqual({ suspected: true, failures: 3, banMs: 5_000 });
  });

  it('backs off exponentially up to the ceiling, and forgets after a quiet period', () => {
    const list = new SuspectList(policy);
    let t = 0;
    const bans: number[] = [];
    for (let i = 0; i < 8; i++) {
      const verdict = threeFailures(list, '10.0.0.1', t);
      if (!verdict.suspected) throw new Error('expected a refusal');
      bans.push(verdict.banMs);
      expect(list.isBanned('10.0.0.1', t + 2 + verdict.banMs - 1)).toBe(true);
      expect(list.isBanned('10.0.0.1', t + 2 + verdict.banMs)).toBe(false);
      t += verdict.banMs + 10;
    }
    expect(bans).toEqual([5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
    // Quiet for longer than the longest refusal: the next one starts from the first length again.
    t += 300_001 + 300_000;
    expect(threeFailures(list, '10.0.0.1', t)).toEqual({ suspected: true, failures: 3, banMs: 5_000 });
  });

  it('never refuses an allow-listed address, but still reports the suspicion', () => {
    const list = new SuspectList(policy);
    expect(threeFailures(list, '10.0.0.9', 0)).toEqual({ suspected: true, failures: 3, banMs: 0 });
    expect(list.isBanned('10.0.0.9', 1)).toBe(false);
  });
});
