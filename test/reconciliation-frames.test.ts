/**
 * Whole seeded frames through the protocol's EC and PA messages: Alice's and
 * Bob's final keys are equal bit for bit whenever EC_VERIFICATION_SUCCESS was
 * answered, uncorrected blocks are counted and dropped on both sides, and two
 * frames' keys differ.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BobSession } from '../src/bob/session.ts';
import { runFrame, type FrameResult } from '../src/bob/run-frame.ts';
import type { FinalKey } from '../src/keys/final-key.ts';
import { startTestAlice, testReceiver, type TestAlice } from './support/alice.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function frames(alice: TestAlice, count: number, seed: string) {
  const session = await BobSession.connect({ port: alice.port });
  cleanups.push(() => session.disconnect().catch(() => undefined));
  const bob = testReceiver(alice, { seed });
  const out: { result: FrameResult; bobKey: Uint8Array | null; aliceKey: Uint8Array | null }[] = [];
  for (let i = 0; i < count; i++) {
    let bobKey: Uint8Array | null = null;
    const result = await runFrame(session, bob, { onFinalKey: (k: FinalKey) => (bobKey = k.key) });
    out.push({ result, bobKey, aliceKey: alice.sim.frame(result.frameUuid)?.finalKey ?? null });
  }
  return out;
}

describe('reconciled and amplified frames: the same secret key at both ends', () => {
  it.each([
    [0, 'rf-0km'],
    [2, 'rf-2km'],
  ])('at %d km, seeded frames end with equal keys whenever the verification succeeded', async (distance, seed) => {
    const alice = await startTestAlice({ sim: { distance_km: distance, seed } });
    cleanups.push(() => alice.close());
    const runs = await frames(alice, 3, seed);
    for (const { result, bobKey, aliceKey } of runs) {
      console.log(distance, result.status, result.keyBits, result.blocks, result.reconciliation, result.estimation?.sent);
      expect(result.status).toBe('completed');
      expect(bobKey).not.toBeNull();
      expect(Buffer.from(aliceKey!).equals(Buffer.from(bobKey!))).toBe(true);
      expect(bobKey!.length).toBe(Math.floor(result.keyBits / 8));
    }
    expect(Buffer.from(runs[0]!.bobKey!).equals(Buffer.from(runs[1]!.bobKey!))).toBe(false);
  });
});
