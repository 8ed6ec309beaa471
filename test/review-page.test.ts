/**
 * The offline review page in headless Chromium: a frame runs and the page
 * shows the session moving through the phases and the messages passing.
 * Skipped, with the reason printed, only when no browser is installed
 * (.ci/run installs Debian's chromium).
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { connect, type BobSession } from '../src/bob/session.ts';
import { FRAME_UUID, startTestAlice, type TestAlice } from './support/alice.ts';
import { emptyKeyHash } from './support/stimuli.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasBrowser = existsSync(CHROMIUM);
if (!hasBrowser) console.warn(`review page test skipped: no browser at ${CHROMIUM} (install Debian's chromium or set CHROMIUM_PATH)`);

describe.skipIf(!hasBrowser)('the offline review page', () => {
  let alice: TestAlice;
  let browser: Browser;
  let page: Page;
  let base: string;

  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    alice = await startTestAlice({ review_port: 0 });
    base = `http://127.0.0.1:${alice.reviewPort}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    // No internet: every request the page makes must be served by us.
    await page.route('**/*', (route) => (route.request().url().startsWith(base) ? route.continue() : route.abort()));
    await page.goto(`${base}/`);
    await page.waitForSelector('#status:has-text("live")');
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await alice?.close();
  });

  const phaseShown = (phase: string, state: string) =>
    page.waitForFunction(
      ([p, s]) => {
        const row = document.querySelector('#sessions tr[data-session]');
        return row?.querySelector('.phase')?.textContent === p && (row?.querySelector('.state')?.textContent ?? '').includes(s!);
      },
      [phase, state],
      { timeout: 15_000 },
    );

  it('follows a session through the phases, live', async () => {
    const bob: BobSession = await connect({ port: alice.port });
    await bob.identify();
    await bob.initialize({ frame_uuid: FRAME_UUID });
    await phaseShown('quantum-information-exchange', 'initialized');
    await bob.call('QIE_REQUEST', null);
    await bob.call('QIE_TRIGGER', null);
    await phaseShown('quantum-information-exchange', 'emitting');
    // The current state is highlighted in the session's statechart.
    await page.waitForFunction(() => document.querySelector('.diagram g.node.active')?.id.includes('emitting') === true, undefined, { timeout: 30_000 });
    if (process.env.UPDATE_SCREENSHOT) {
      await page.evaluate(() => {
        document.querySelector('.diagram g.node.active')?.scrollIntoView({ block: 'center' });
        window.scrollTo(0, 0);
      });
      await page.screenshot({ path: 'docs/review-page.png' });
    }
    await bob.call('QIE_ACQUISITION_ENDED', null);
    await phaseShown('parameter-estimation', 'estimating');
    await bob.finishEstimation({ transmittance: 0.5, excess_noise: 0.01, key_rate: 100 });
    await phaseShown('error-correction', 'approved');
    await bob.ecInitialize({ matrix: [[1, 1], [1, 1]], noise: 0.1 });
    await bob.ecVerify(emptyKeyHash());
    await phaseShown('privacy-amplification', 'reconciled');
    await bob.privacyAmplification({ seed: [1, 0, 1, 1, 0], secret_key_length: 100, subblock_length: 5, feedback_polynomial: [1, 1, 1, 0, 0] });
    await bob.endFrame();
    await phaseShown('initialization', 'idle');

    const messages = await page.locator('#log tr td:nth-child(3)').allInnerTexts();
    for (const name of ['IDENTIFICATION_REQUEST', 'QIE_TRIGGER', 'QIE_EMISSION_STARTED', 'PE_APPROVED', 'EC_VERIFICATION_SUCCESS', 'FRAME_ENDED_ACK']) {
      expect(messages).toContain(name);
    }
    await bob.disconnect();
    await page.waitForSelector('#sessions td.empty', { timeout: 15_000 });
  }, 120_000);

  it('draws every statechart from our own assets', async () => {
    await page.waitForFunction(() => document.querySelectorAll('.diagram svg').length > 10, undefined, { timeout: 20_000 });
    const names = await page.locator('#diagrams summary').allInnerTexts();
    expect(names).toEqual(expect.arrayContaining(['alice-session', 'bob-session', 'quantum-information-exchange', 'parameter-estimation']));
  }, 60_000);

  it('is read-only', async () => {
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const res = await fetch(`${base}/events`, { method });
      expect(res.status).toBe(405);
    }
  });
});
