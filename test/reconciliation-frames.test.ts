/**
 * Whole seeded frames through the protocol's EC and PA messages: Alice's and
 * Bob's final keys are equal bit for bit whenever EC_VERIFICATION_SUCCESS was
 * answered, uncorrected blocks are counted and dropped on both sides, and two
 * frames' keys differ.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BobSession } from '../src/bob/session.ts';
import { FrameFailedError, runFrame, type FrameResult } from '../src/bob/run-frame.ts';
import type { FinalKey } from '../src/keys/final-key.ts';
import { startTestAlice, TEST_BLOCK_LENGTH, testReceiver, type TestAlice } from './support/alice.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Frames in a row on one session: each one's result (or the reason it failed) and the key each side kept. */
async function frames(alice: TestAlice, count: number, seed: string) {
  const session = await BobSession.connect({ port: alice.port });
  cleanups.push(() => session.disconnect().catch(() => undefined));
  const bob = testReceiver(alice, { seed });
  const out: { result: FrameResult | null; failure?: string; bobKey: Uint8Array | null; aliceKey: Uint8Array | null }[] = [];
  for (let i = 0; i < count; i++) {
    let bobKey: Uint8Array | null = null;
    try {
      const result = await runFrame(session, bob, { onFinalKey: (k: FinalKey) => (bobKey = k.key) });
      out.push({ result, bobKey, aliceKey: alice.sim.frame(result.frameUuid)?.finalKey ?? null });
    } catch (error) {
      // A verification failure: the frame is aborted and neither side keeps a key.
      if (!(error instanceof FrameFailedError)) throw error;
      const uuid = session.frameUuid;
      await session.abort(`Bob: ${error.message}`);
      out.push({ result: null, failure: error.message, bobKey, aliceKey: uuid === null ? null : (alice.sim.frame(uuid)?.finalKey ?? null) });
    }
  }
  return out;
}

describe('reconciled and amplified frames: the same secret key at both ends', () => {
  // Fewer than the 20 per distance, to keep the suite fast: 6 seeded frames at each of two distances.
  it.each([
    [0, 'rf-0km'],
    [2, 'rf-2km'],
  ])('at %d km, seeded frames end with equal keys whenever the verification succeeded', async (distance, seed) => {
    const alice = await startTestAlice({ sim: { distance_km: distance, seed } });
    cleanups.push(() => alice.close());
    const runs = await frames(alice, 6, seed);
    for (const { result, failure, bobKey, aliceKey } of runs) {
      if (result === null) {
        expect(failure).toMatch(/^EC_VERIFICATION_FAIL/);
        expect(bobKey).toBeNull();
        expect(aliceKey).toBeNull();
        continue;
      }
      expect(result.status).toBe('completed');
      const r = result.reconciliation!;
      // Every block is accounted for: corrected, or reported as an error and dropped on both sides.
      expect(result.blocks).toEqual({ sent: r.blocks, errors: r.blockErrors });
      expect(r.reconciledBits).toBe((r.blocks - r.blockErrors) * TEST_BLOCK_LENGTH);
      expect(bobKey).not.toBeNull();
      expect(Buffer.from(aliceKey!).equals(Buffer.from(bobKey!))).toBe(true);
      expect(bobKey!.length * 8).toBe(result.keyBits);
      expect(r.finalKeyBits).toBe(result.keyBits);
    }
    const keys = runs.flatMap((run) => (run.bobKey ? [Buffer.from(run.bobKey).toString('hex')] : []));
    expect(keys.length).toBeGreaterThanOrEqual(2);
    // Two frames' keys differ (all of them here).
    expect(new Set(keys).size).toBe(keys.length);
  });
});
