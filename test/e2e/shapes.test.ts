/**
 * End-to-end test of the `shapes` image task in the built lab (headless Chromium, WebGPU on SwiftShader): a tiny
 * configuration (2 prompts x 2 images, 2 eval prompts x 1 fixed seed, 8 held-out images, 1 cycle, DDIM with 4 steps
 * through the link's `ddim=4`) runs with Step (cycle 0) then Run (cycle 1) to the end, and Reset clears it; the image grid shows pictures with kept marks, the compare view
 * pairs cycle 0 with cycle 1, and the stats table has cycles 0 and 1 with finite numbers (held-out loss in place of
 * perplexity); the run is listed in Saved runs and, opened after Reset, shows its eval thumbnails from IndexedDB.
 * A second, smaller run (on WASM) is stepped to cycle 0, reset, and resumed from its checkpoint in Saved runs to the end.
 * Skipped (with a message) when Chromium is missing; see DEVELOPERS.md.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM_PATH, chromiumAvailable, launchChromium, PAGE_OPTIONS } from './chromium';

const baseUrl = inject('e2eBaseUrl');
const TINY = '?backend=webgpu#v=2&task=shapes&rw=redness&seed=1&c=1&p=2&k=2&ev=2&evk=1&evi=8&ep=1&bs=16&ddim=4';
const RUN_TIMEOUT = 240_000;

if (!chromiumAvailable()) {
  console.warn(`e2e tests skipped: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set RAFTLAB_CHROMIUM)`);
}

/** Pixels of every canvas in `selector` that are not black: one count per canvas. */
function litPixels(page: Page, selector: string): Promise<number[]> {
  return page.locator(selector).evaluateAll((els) =>
    els.map((el) => {
      const c = el as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i]! + d[i + 1]! + d[i + 2]! > 30) n++;
      return c.width * c.height > 0 ? n : -1;
    }),
  );
}

describe.skipIf(!baseUrl)('the shapes image task in Chromium', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('runs one shapes cycle on WebGPU and shows the image grid', { timeout: 300_000 }, async () => {
    const page = await browser.newPage({ ...PAGE_OPTIONS, viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => (errors.push(e.message), console.error('page error:', e.message)));
    await page.goto(`${baseUrl}index.html${TINY}`);
    await page.getByTestId('backend').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('backend').textContent()).toBe('webgpu');

    const t0 = Date.now();
    const ended = () =>
      page.waitForFunction(
        () => ['paused', 'finished', 'error'].includes(document.querySelector('[data-testid=run-status]')?.textContent ?? ''),
        undefined,
        { timeout: RUN_TIMEOUT, polling: 250 },
      );
    // the settings panel shows the image settings only: no temperature or UFT controls, and it says what it hides
    expect(await page.locator('#cfg-imageReward').count()).toBe(1);
    expect(await page.locator('#cfg-temperature').count()).toBe(0);
    expect(await page.locator('#cfg-uftBeta').count()).toBe(0);
    expect(await page.locator('.hidden-settings').textContent()).toMatch(/Not used by the task shapes, so not shown: .*Temperature/);
    // Step: cycle 0 (the base model's eval images), then Run continues with cycle 1 on the same engine
    await page.getByRole('button', { name: 'Step', exact: true }).click();
    await ended();
    expect(await page.getByTestId('run-status').textContent(), (await page.locator('.error').allTextContents()).join(' | ')).toBe('paused');
    expect(await page.locator('[data-testid=stats-table] tbody tr').count()).toBe(1);
    expect(await page.getByTestId('eval-grid').locator('canvas').count()).toBe(2);
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.waitForFunction(
      () => ['finished', 'error'].includes(document.querySelector('[data-testid=run-status]')?.textContent ?? ''),
      undefined,
      { timeout: RUN_TIMEOUT, polling: 250 },
    );
    const seconds = (Date.now() - t0) / 1000;
    const status = await page.getByTestId('run-status').textContent();
    const errorText = await page.locator('.error').allTextContents();
    expect(status, `run ended with ${status}: ${errorText.join(' | ')}`).toBe('finished');

    // the loop diagram ranks one prompt's images of cycle 1, each with its thumbnail, the global cut drawn
    const loop = page.getByTestId('loop-diagram');
    const bars = await loop.getByTestId('ranked-samples').locator('rect').count();
    expect(bars).toBeGreaterThan(0);
    expect(await loop.locator('.thumbs canvas').count()).toBe(bars);
    expect(await loop.getByTestId('ranked-samples').locator('line').count()).toBe(1);

    // stats: cycles 0 and 1, finite numbers, held-out loss in place of perplexity
    const rows = page.locator('[data-testid=stats-table] tbody tr');
    const table = await rows.evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    const headers = await page.locator('[data-testid=stats-table] thead th').allTextContents();
    console.info(`shapes run on WebGPU: ${seconds.toFixed(1)} s\n${headers.join(' | ')}\n${table.map((r) => r.join(' | ')).join('\n')}`);
    expect(table.map((r) => r[0])).toEqual(['0', '1']);
    expect(headers).not.toContain('perplexity');
    for (const col of ['eval reward', 'held-out loss', 'diversity']) {
      const j = headers.indexOf(col);
      expect(j, col).toBeGreaterThan(0);
      for (const r of table) expect(Number.isFinite(Number(r[j])), `${col} = ${r[j]}`).toBe(true);
    }
    for (const col of ['kept reward', 'sample reward', 'kept fraction', 'train loss']) {
      const j = headers.indexOf(col);
      expect(Number.isFinite(Number(table[1]![j])), `${col} = ${table[1]![j]}`).toBe(true);
    }

    // the training grid of cycle 1: 2 prompts x 2 images, each drawn, some kept
    const grid = page.getByTestId('image-grid');
    expect(await grid.locator('canvas').count()).toBe(4);
    const lit = await litPixels(page, '[data-testid=image-grid] canvas');
    console.info(`lit pixels per training image (of 256): ${lit.join(', ')}`);
    for (const n of lit) expect(n).toBeGreaterThan(0);
    const kept = await grid.getByTestId('kept-badge').count();
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(4);
    expect(await grid.locator('figure.kept').count()).toBe(kept);

    // eval images (2 prompts x 1 seed) and the compare view (cycle 0 next to cycle 1 for each)
    expect(await page.getByTestId('eval-grid').locator('canvas').count()).toBe(2);
    expect(await page.getByTestId('image-compare').locator('canvas').count()).toBe(4);
    for (const n of await litPixels(page, '[data-testid=image-compare] canvas')) expect(n).toBeGreaterThan(0);
    // the run is saved in IndexedDB (no checkpoints): the Saved runs panel lists it with its 2 cycles
    const saved = page.getByTestId('saved-run');
    await saved.filter({ hasText: 'shapes' }).getByTestId('saved-cycles').getByText('2 / 2').waitFor({ timeout: 10_000 });
    expect(await saved.count()).toBe(1);
    // no text samples view for an image task
    expect(await page.getByTestId('samples-view').count()).toBe(0);

    if (process.env.RAFTLAB_E2E_SCREENSHOT_SHAPES) await page.screenshot({ path: process.env.RAFTLAB_E2E_SCREENSHOT_SHAPES, fullPage: true });
    expect(errors).toEqual([]);

    // Reset: back to the base model, no cycles
    await page.getByRole('button', { name: 'Reset', exact: true }).click();
    await page.getByText('No cycles yet.').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('image-grid').count()).toBe(0);

    // Open the saved run: its eval thumbnails come back from IndexedDB
    await saved.getByRole('button', { name: 'Open', exact: true }).click();
    await page.getByTestId('eval-grid').locator('canvas').nth(1).waitFor({ timeout: 10_000 });
    for (const n of await litPixels(page, '[data-testid=eval-grid] canvas')) expect(n).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('an image run stepped to cycle 0 and reset resumes from its checkpoint in Saved runs', { timeout: 300_000 }, async () => {
    const page = await browser.newPage({ ...PAGE_OPTIONS, viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => (errors.push(e.message), console.error('page error:', e.message)));
    // on WASM: resuming is the same on every backend, and the first test covers WebGPU (SwiftShader's shader compiles
    // would double this test's time)
    await page.goto(`${baseUrl}index.html${TINY.replace('backend=webgpu', 'backend=wasm').replace('ddim=4', 'ddim=2').replace('seed=1', 'seed=2')}`);
    await page.getByTestId('backend').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('backend').textContent()).toBe('wasm');
    const status = (...want: string[]) =>
      page.waitForFunction((w) => w.includes(document.querySelector('[data-testid=run-status]')?.textContent ?? ''), want, { timeout: RUN_TIMEOUT, polling: 250 });
    await page.getByRole('button', { name: 'Step', exact: true }).click();
    await status('paused', 'error');
    await page.getByRole('button', { name: 'Reset', exact: true }).click();
    await page.getByText('No cycles yet.').waitFor({ timeout: 30_000 });
    const saved = page.getByTestId('saved-run');
    await saved.getByTestId('saved-size').getByText(/\(1\)$/).waitFor({ timeout: 10_000 });
    await saved.getByRole('button', { name: 'Resume', exact: true }).click();
    await status('finished', 'error');
    expect(await page.getByTestId('run-status').textContent(), (await page.locator('.error').allTextContents()).join(' | ')).toBe('finished');
    expect(await page.locator('[data-testid=stats-table] tbody tr').count()).toBe(2);
    await saved.getByTestId('saved-cycles').getByText('2 / 2').waitFor({ timeout: 10_000 });
    expect(errors).toEqual([]);
    await page.close();
  });
});
