/**
 * End-to-end test of the `scenes` image task in the built lab (headless Chromium, WASM): a prompt typed into the Scene
 * prompts control with a word outside the grammar is refused with that word named at the control and Run stays
 * disabled; a prompt of the grammar then runs one tiny cycle (1 prompt x 2 images, DDIM with 4 steps, 1 noise draw)
 * with the fidelity reward on the shipped text-conditioned DiT, and the eval grid and the stats table (with the
 * fidelity column) show it. Skipped (with a message) when Chromium is missing; see DEVELOPERS.md.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { CHROMIUM_PATH, chromiumAvailable, launchChromium, PAGE_OPTIONS } from './chromium';

const baseUrl = inject('e2eBaseUrl');
const TINY = '?backend=wasm#v=2&task=scenes&rw=fidelity&seed=1&c=1&p=1&k=2&ev=1&evk=1&evi=4&ep=1&nd=1&ddim=4&min=1';
const RUN_TIMEOUT = 240_000;

if (!chromiumAvailable()) {
  console.warn(`e2e tests skipped: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set RAFTLAB_CHROMIUM)`);
}

describe.skipIf(!baseUrl)('the scenes image task in Chromium', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('refuses a typed prompt with an unknown word by name, then runs one cycle of a typed prompt', { timeout: 300_000 }, async () => {
    const page = await browser.newPage({ ...PAGE_OPTIONS, viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => (errors.push(e.message), console.error('page error:', e.message)));
    await page.goto(`${baseUrl}index.html${TINY}`);
    await page.getByTestId('backend').waitFor({ timeout: 60_000 });
    // before the first cycle the Cycles table already has the image task's columns, not the language ones
    const header = async () => (await page.getByTestId('stats-table').locator('thead').textContent())?.toLowerCase() ?? '';
    await expect.poll(header, { timeout: 10_000 }).toContain('held-out loss');
    expect(await header()).not.toContain('perplexity');
    const run = page.getByRole('button', { name: 'Run', exact: true });
    const prompts = page.locator('#cfg-scenePrompts');
    const problem = page.locator('.control', { has: prompts }).getByTestId('field-cross-problem');
    const type = async (text: string) => {
      await prompts.fill(text);
      await prompts.dispatchEvent('change');
    };

    await type('two pink squares');
    await expect.poll(() => problem.textContent(), { timeout: 10_000 }).toMatch(/"pink" is not a word of the scenes grammar/);
    expect(await run.isDisabled()).toBe(true);

    await type('a red circle at the top');
    await expect.poll(() => page.getByTestId('field-cross-problem').count()).toBe(0); // and no other problem
    await expect.poll(() => run.isDisabled(), { timeout: 60_000 }).toBe(false);
    await run.click();
    await page.waitForFunction(
      () => ['finished', 'error'].includes(document.querySelector('[data-testid=run-status]')?.textContent ?? ''),
      undefined,
      { timeout: RUN_TIMEOUT, polling: 250 },
    );
    const errorText = await page.locator('.error').allTextContents();
    expect(await page.getByTestId('run-status').textContent(), errorText.join(' | ')).toBe('finished');
    expect(errors).toEqual([]);
    expect(await page.locator('[data-testid=stats-table] tbody tr').count()).toBe(2);
    expect((await page.getByTestId('stats-table').locator('thead').textContent())?.toLowerCase()).toContain('fidelity');
    // one eval prompt x one fixed seed: one image, drawn (not blank)
    const grid = page.getByTestId('eval-grid').locator('canvas');
    expect(await grid.count()).toBe(1);
    const lit = await grid.first().evaluate((el) => {
      const c = el as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i]! + d[i + 1]! + d[i + 2]! > 30) n++;
      return n;
    });
    expect(lit).toBeGreaterThan(0);
  });
});
