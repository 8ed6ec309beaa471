/**
 * `qosst-bob sweep` end to end: the command line in its own process starts
 * one Alice daemon process per distance and runs real seeded frames over
 * loopback TCP (2 distances x 1 small frame); its JSON must be sane against
 * the physics computed here and its SVG well formed.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SweepResult } from '../src/bob/sweep.ts';
import { TEST_BLOCK_LENGTH, TEST_SIM, testReceiverSimArgs } from './support/alice.ts';
import { finished, start } from './support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'qosst-sweep-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sweep = (args: string[]) => finished(start('src/cli/bob.ts', ['sweep', ...args]), 90_000);

/** T = 10^(-0.2·L/10) at the default loss (Laudenbach et al. 2018, section 2.4), computed here. */
const transmittance = (km: number) => 10 ** (-0.02 * km);

describe('qosst-bob sweep over loopback TCP', () => {
  it('2 distances x 1 seeded frame: sane numbers in --json and the plot on disk', async () => {
    const out = join(dir, 'sweep.svg');
    // The test link's frames (test/support/alice.ts): small, and a key at 0 km every time.
    const ran = await sweep([
      '--distances', '0:5:5',
      '--frames', '1',
      '--out', out,
      '--json',
      ...testReceiverSimArgs('sweep-e2e'),
    ]);
    expect(ran.code, ran.stderr).toBe(0);
    const result = JSON.parse(ran.stdout) as SweepResult;
    expect(result.interrupted).toBe(false);
    expect(result.symbols_per_frame).toBe(TEST_SIM.symbols);
    expect(result.link).toEqual({ variance: 4, loss_db_per_km: 0.2, excess_noise: 0.01, efficiency: 0.6, electronic_noise: 0.05 });
    expect(result.points.map((p) => p.distance_km)).toEqual([0, 5]);
    for (const p of result.points) {
      expect(p.transmittance).toBeCloseTo(transmittance(p.distance_km), 12);
      expect(p.counts.attempted).toBe(1);
      expect(p.counts.completed + p.counts.denied + p.counts.aborted).toBe(1);
      expect(p.frames).toHaveLength(1);
      const [frame] = p.frames;
      // Final key bits over the frame's symbols; a frame without a key is a rate of 0.
      expect(frame!.key_rate).toBe(frame!.key_bits / TEST_SIM.symbols);
      if (frame!.status !== 'completed') expect(frame!.key_bits).toBe(0);
      expect(p.zero_key_frames).toBe(frame!.key_bits === 0 ? 1 : 0);
      expect(p.key_rate.mean).toBe(frame!.key_rate);
      expect(p.key_rate.min).toBeGreaterThanOrEqual(0);
      expect(p.key_rate.max).toBeGreaterThanOrEqual(p.key_rate.mean);
      // Finite-size, worst-case, less the hash and PA's margin: never above the asymptotic rate at beta = 1.
      expect(p.key_rate.max).toBeLessThanOrEqual(p.theoretical_key_rate.beta_1);
      expect(p.theoretical_key_rate.beta_1).toBeGreaterThan(0);
      if (p.beta !== null) {
        expect(p.beta.mean).toBeGreaterThan(0);
        expect(p.beta.mean).toBeLessThanOrEqual(1);
        expect(p.theoretical_key_rate.achieved_beta).not.toBeNull();
        expect(p.theoretical_key_rate.achieved_beta!).toBeLessThanOrEqual(p.theoretical_key_rate.beta_1);
        expect(p.key_rate.max).toBeLessThanOrEqual(p.theoretical_key_rate.achieved_beta!);
        expect(p.theoretical_key_rate.finite_size).not.toBeNull();
        expect(p.theoretical_key_rate.finite_size!).toBeLessThan(p.theoretical_key_rate.achieved_beta!);
        expect(p.blocks).toBeGreaterThan(0);
        expect(p.block_error_rate).toBe(p.block_errors / p.blocks);
      }
      // SNR per real at the worst case, below the link's true eta·T·Va/2 / (1 + Vel + eta·T·xi/2) by a little (estimation).
      const T = transmittance(p.distance_km);
      const trueSnr = (0.6 * T * 4) / 2 / (1 + 0.05 + (0.6 * T * 0.01) / 2);
      expect(p.snr!.mean).toBeGreaterThan(0.5 * trueSnr);
      expect(p.snr!.mean).toBeLessThan(1.5 * trueSnr);
    }
    // At 0 km the test link keeps a key (seeded), and distilling it took real blocks.
    const [near, far] = result.points;
    expect(near!.counts.completed).toBe(1);
    expect(near!.key_rate.mean).toBeGreaterThan(0);
    // Half the symbols are revealed; the other half's q and p make the reals, in whole blocks.
    expect(near!.blocks).toBe(Math.floor((2 * (TEST_SIM.symbols - TEST_SIM.symbols / 2)) / TEST_BLOCK_LENGTH));
    // The theory falls with the distance.
    expect(far!.theoretical_key_rate.beta_1).toBeLessThan(near!.theoretical_key_rate.beta_1);
    const curve = result.theory_beta_1;
    expect(curve[0]![0]).toBe(0);
    expect(curve.at(-1)![0]).toBe(5);
    for (let i = 1; i < curve.length; i++) expect(curve[i]![1]).toBeLessThanOrEqual(curve[i - 1]![1]);

    const svg = readFileSync(out, 'utf8');
    expect(svg.startsWith('<?xml')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toMatch(/Va = 4 SNU, \u03be = 0\.01 SNU, \u03b7 = 0\.6, Vel = 0\.05 SNU, fibre 0\.2 dB\/km/);
    // Every distance is on the plot: as a measured point or on the no-key strip.
    for (const p of result.points) {
      const shown = p.key_rate.mean > 0 ? `class="measured" data-distance-km="${p.distance_km}"` : `class="no-key" data-distance-km="${p.distance_km}"`;
      expect(svg).toContain(shown);
    }
  }, 120_000);

  it('a daemon that cannot start fails the sweep with its reason, exit 1', async () => {
    // Alice's simulated emitter takes at most 10^6 symbols a frame.
    const ran = await sweep(['--distances', '0:0:1', '--sim-symbols', '2000000', '--out', join(dir, 'never.svg')]);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toMatch(/sim\.symbols/);
    expect(ran.stderr).toMatch(/sweep failed: the Alice daemon exited before listening \(code 2/);
  }, 60_000);
});
