/**
 * The first screen in headless Chromium (WASM backend): at 1366x768 the Run button, the loop diagram and the reward
 * chart are in the first viewport; every tool is reached from the tools bar by keyboard alone (Tab to its button,
 * Enter: the panel's heading has the focus and is on screen); Your task shows a hint, not an error, before anything
 * is typed; the presenter view's charts take the screen's width; the token view's picker shows another held-out
 * sample.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { chromiumAvailable, launchChromium, PAGE_OPTIONS } from './chromium';

const baseUrl = inject('e2eBaseUrl');
const TINY = '#v=2&seed=1&c=2&p=2&k=2&len=8&ev=2&evk=1&evt=4&ep=1';

describe.skipIf(!baseUrl || !chromiumAvailable())('the first screen in Chromium', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  async function open(hash: string, width = 1366, height = 768): Promise<Page> {
    const page = await browser.newPage({ ...PAGE_OPTIONS, viewport: { width, height } });
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.goto(`${baseUrl}index.html?backend=wasm${hash}`);
    await page.getByTestId('backend').waitFor({ timeout: 60_000 });
    return page;
  }

  const inFirstViewport = async (page: Page, selector: string) => {
    const box = await page.locator(selector).first().boundingBox();
    expect(box, selector).not.toBeNull();
    return box!.y >= 0 && box!.y + box!.height <= 768 && box!.x >= 0 && box!.x + box!.width <= 1366;
  };

  it('1366x768: Run, the loop and the reward chart in the first viewport; every tool by keyboard; no error in Your task', { timeout: 120_000 }, async () => {
    const page = await open(TINY);
    expect(await inFirstViewport(page, 'button:text-is("Run")')).toBe(true);
    expect(await inFirstViewport(page, '[data-testid=loop-diagram]')).toBe(true);
    expect(await inFirstViewport(page, 'figure:has-text("Reward") .chart')).toBe(true);
    expect(await inFirstViewport(page, 'figure:has-text("Perplexity") .chart')).toBe(true);
    // nothing typed in Your task yet: a hint, not "the prompts have no rows"
    const status = page.getByTestId('task-status');
    expect(await status.textContent()).not.toMatch(/no rows/);
    expect(await status.getAttribute('class')).not.toMatch(/error/);

    const tools = await page.getByTestId('tools-nav').getByRole('button').allTextContents();
    expect(tools).toEqual(expect.arrayContaining(['Settings', 'Your task', 'Models', 'Compute', 'Export', 'Saved runs', 'Compare runs', 'Sweep']));
    for (const name of tools) {
      // keyboard only: focus the first tool, Tab to this one, Enter
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.getByTestId('tools-nav').getByRole('button').first().focus();
      for (let i = 0; i < tools.indexOf(name); i++) await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe(name);
      await page.keyboard.press('Enter');
      const focused = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement;
        const r = el.getBoundingClientRect();
        return { tag: el.tagName, text: el.textContent ?? '', top: r.top, bottom: r.bottom };
      });
      expect(focused.tag, name).toBe('H2');
      expect(focused.top, name).toBeGreaterThanOrEqual(0);
      expect(focused.bottom, name).toBeLessThanOrEqual(768);
    }
    await page.close();
  });

  it('the presenter view puts the charts at the screen\'s width; the token view has a picker of held-out samples', { timeout: 240_000 }, async () => {
    const page = await open(TINY.replace('ev=2', 'ev=3'), 1920, 1080);
    const narrow = (await page.locator('[data-testid=charts], section[aria-labelledby=charts-title]').first().boundingBox())!.width;
    await page.getByRole('button', { name: 'Presenter view' }).click();
    await page.waitForFunction(() => location.hash.includes('present=1'), undefined, { timeout: 5_000 });
    const wide = (await page.locator('section[aria-labelledby=charts-title]').first().boundingBox())!.width;
    expect(wide).toBeGreaterThan(0.9 * 1920 - 60);
    expect(wide).toBeGreaterThan(narrow);
    await page.getByRole('button', { name: 'Leave the presenter view' }).click();

    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.waitForFunction(() => document.querySelector('[data-testid=run-status]')?.textContent === 'finished', undefined, { timeout: 200_000, polling: 250 });
    const picker = page.getByTestId('token-sample');
    expect(await picker.locator('option').count()).toBe(3);
    const prompt = () => page.getByTestId('token-view').locator('.prompt').textContent();
    const first = await prompt();
    await picker.selectOption('1');
    expect(await prompt()).not.toBe(first);
    await page.close();
  });
});
