/**
 * Domain-RAFT in the lab (headless Chromium, TF.js WASM backend): a link to the answer-key task (it runs on the
 * generalist model) with method domain-raft and the General tasks setting runs in the trainer worker, and the Compare
 * runs panel shows the general task's metrics beside the domain's, with their change from the base model.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { chromiumAvailable, launchChromium, PAGE_OPTIONS } from './chromium';

const baseUrl = inject('e2eBaseUrl');
const LINK = '#v=2&task=answer-key&m=domain-raft&gen=sentiment&seed=1&c=1&p=2&len=8&ev=2&evk=1&evt=4&ep=1';

describe.skipIf(!baseUrl || !chromiumAvailable())('domain-RAFT and general metrics in Chromium', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('runs domain-raft on the generalist and compares the general task\'s change', { timeout: 240_000 }, async () => {
    const ctx = await browser.newContext({ ...PAGE_OPTIONS, viewport: { width: 1400, height: 1000 } });
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${baseUrl}index.html?backend=wasm${LINK}`);
    await page.getByTestId('backend').waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.waitForFunction(() => document.querySelector('[data-testid=run-status]')?.textContent === 'finished', undefined, { timeout: 180_000, polling: 200 });
    expect(await page.locator('[data-testid=stats-table] tbody tr').count()).toBe(2);

    const pick = page.getByTestId('compare-pick');
    await pick.first().waitFor({ timeout: 30_000 });
    expect(await pick.first().textContent()).toContain('domain-raft');
    await pick.first().locator('input').check();
    await page.getByTestId('compare-general-head').first().waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('compare-general-head').first().textContent()).toBe('sentiment: reward (Δ)');
    // sentiment has no pass notion: no pass column for it
    expect(await page.locator('[data-testid=compare-table] th').allTextContents()).not.toContain('sentiment: pass (Δ)');
    // the final cycle's sentiment reward and its change from cycle 0, e.g. "0.412 (-0.031)"
    expect(await page.getByTestId('compare-general').first().textContent()).toMatch(/^\d\.\d{3} \([+-]\d\.\d{3}\)$/);
    const charts = await page.locator('[data-testid=runs-compare] h3, [data-testid=runs-compare] figcaption').allTextContents();
    expect(charts.join(' ')).toContain('General: sentiment reward');
    expect(errors).toEqual([]);
    await ctx.close();
  });
});
