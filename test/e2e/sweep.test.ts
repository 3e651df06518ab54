/**
 * The Sweep panel in headless Chromium (TF.js WASM): a tiny sweep of two methods and two seeds run in the page, one
 * saved run after another, summarised with its fronts and table; the charts' x axis as samples generated; a sweep
 * file of the CLI opened from Compare runs; a file that is not a sweep refused with a message.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { chromiumAvailable, launchChromium, PAGE_OPTIONS } from './chromium';
import { storedStats } from './stored-stats';

const baseUrl = inject('e2eBaseUrl');
const TINY = '#v=2&seed=1&c=1&p=2&k=2&len=8&ev=2&evk=1&evt=4&ep=1';

describe.skipIf(!baseUrl || !chromiumAvailable())('the Sweep panel in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('runs methods x seeds here (each a saved run), shows fronts and intervals, and opens a CLI sweep file', { timeout: 300_000 }, async () => {
    const page = await (await browser.newContext({ ...PAGE_OPTIONS, viewport: { width: 1400, height: 1000 } })).newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.goto(`${baseUrl}index.html?backend=wasm${TINY}`);
    await page.getByTestId('backend').waitFor({ timeout: 60_000 });
    const panel = page.getByTestId('sweep-panel');
    // methods: raft (checked by default) and grpo; ppo unchecked
    await panel.getByLabel('ppo', { exact: true }).uncheck();
    await panel.getByLabel('grpo', { exact: true }).check();
    await panel.getByTestId('sweep-seeds').fill('1,2');
    await panel.getByRole('button', { name: 'Run the sweep' }).click();
    await panel.getByRole('button', { name: 'Run the sweep' }).waitFor({ timeout: 240_000 }); // back when it is done
    const table = panel.getByTestId('sweep-table');
    const rows = await table.locator('tbody tr').allInnerTexts();
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/^raft\tdefaults\t1\t4\t0\.\d{3} \[/);
    expect(rows[1]).toMatch(/^grpo\tdefaults\t1\t4\t/);
    // reward vs perplexity, vs KL, at equal cost, and the entropy at equal cost (sentiment has no pass rate: no pass chart)
    expect(await panel.locator('figure[data-name]').evaluateAll((fs) => fs.map((f) => f.getAttribute('data-name')))).toEqual(['perplexity', 'kl', 'samples', 'entropy']);
    const stored = await storedStats(page);
    expect(stored).toHaveLength(4); // 2 methods x 2 seeds, each saved like any run
    // the charts' x axis: samples generated so far
    await page.getByTestId('chart-axis').selectOption('samples');
    expect(await page.locator('section[aria-labelledby=charts-title] .u-legend').first().textContent()).toContain('samples generated');

    // a CLI sweep file opened from Compare runs, and a file that is not one
    const file = readFileSync('test/fixtures/sweep-tiny.json');
    await page.getByLabel(/Or open a sweep file/).setInputFiles({ name: 'sweep.json', mimeType: 'application/json', buffer: file });
    // the file is read asynchronously: wait for its four summary rows (2 methods x 2 grid points at its last cycle)
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=sweep-table] tbody tr').length === 4, undefined, { timeout: 30_000 });
    expect(await table.locator('tbody tr').count()).toBe(4);
    await page.getByLabel(/Or open a sweep file/).setInputFiles({ name: 'nope.json', mimeType: 'application/json', buffer: Buffer.from('{"runs": 1}') });
    await expect.poll(() => panel.getByRole('alert').textContent(), { timeout: 10_000 }).toMatch(/nope.json: not a sweep file of this lab/);
  });
});
