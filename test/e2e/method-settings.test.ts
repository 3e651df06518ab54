/**
 * The settings panel derives a method's settings from its declaration (src/core/raft/methods/catalog.ts): a RAFT run
 * shows no setting of another method; choosing GRPO in the Method control shows GRPO's rows and hides RAFT's
 * selection, and the link carries the method. WASM backend (the panel does not depend on it).
 * Skipped (with a message) when Chromium is missing; see DEVELOPERS.md.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM_PATH, chromiumAvailable, launchChromium, PAGE_OPTIONS } from './chromium';
import { METHOD_CATALOG, METHOD_SETTINGS } from '../../src/core/raft/methods/catalog';
import type { Method } from '../../src/core/config/schema';

const baseUrl = inject('e2eBaseUrl');

if (!chromiumAvailable()) {
  console.warn(`e2e tests skipped: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set RAFTLAB_CHROMIUM)`);
}

/** Settings another method declares and `method` does not. */
const othersOf = (method: Method) => [...METHOD_SETTINGS].filter((k) => !METHOD_CATALOG[method].settings.includes(k));

describe.skipIf(!baseUrl)('the settings panel by method', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  async function open(hash: string): Promise<Page> {
    const page = await browser.newPage({ ...PAGE_OPTIONS, viewport: { width: 1400, height: 1000 } });
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.goto(`${baseUrl}index.html${hash}`);
    await page.getByTestId('backend').waitFor({ timeout: 60_000 });
    return page;
  }

  /** The keys of the settings controls the panel shows (ids cfg-<key>). */
  const shownKeys = (page: Page) => page.locator('[id^="cfg-"]:not([id$="-help"])').evaluateAll((els) => els.map((e) => e.id.slice('cfg-'.length)));

  it('a RAFT run shows no setting of another method; choosing GRPO shows its rows and not RAFT\'s selection', { timeout: 120_000 }, async () => {
    const page = await open('?backend=wasm#v=2&seed=1');
    const raft = await shownKeys(page);
    expect(raft).toContain('select');
    expect(raft).toContain('keepPerPrompt');
    for (const k of othersOf('raft')) expect(raft, k).not.toContain(k);
    expect(await page.getByTestId('other-method-settings').textContent()).toMatch(/appear when that method is chosen/);

    await page.locator('#cfg-method').selectOption('grpo');
    await page.locator('#cfg-grpoBeta').waitFor({ timeout: 10_000 });
    const grpo = await shownKeys(page);
    for (const k of ['grpoBeta', 'epsilon', 'scaleRewards']) expect(grpo).toContain(k);
    for (const k of othersOf('grpo')) expect(grpo, k).not.toContain(k);
    expect(grpo).not.toContain('select');
    expect(new URL(page.url()).hash).toContain('m=grpo');

    // a link that names the method opens with that method's rows
    const linked = await open('?backend=wasm#v=2&seed=1&m=grpo');
    expect(await shownKeys(linked)).toEqual(grpo);
    await page.close();
    await linked.close();
  });
});
