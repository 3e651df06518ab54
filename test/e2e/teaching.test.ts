/**
 * End-to-end tests of the teaching views in headless Chromium (WASM backend: the views are the same on every
 * backend): a lesson link shows exactly its controls and its text as text, the hidden settings still apply (the run's
 * stored config equals the link's), the Copy link dialog makes such a link; the loop diagram's lit phase follows the
 * worker's phase, and the ranked samples of the newest cycle appear; the token view's numbers equal, computed in
 * Node, the embedded model's log-probs of those tokens (base) and the downloaded trained model's (now); the presenter view is part of the
 * link; the page at 390 px has no horizontal scroll; the tour opens once with Run the demo and dismisses.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { chromiumAvailable, launchChromium, PAGE_OPTIONS } from './chromium';
import { decodeConfigHash } from '../../src/core/config/url';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { loadHubFolder } from '../../src/node/hub-folder';

const baseUrl = inject('e2eBaseUrl');
/** Tiny run of 2 cycles with non-default K, temperature and selection (hidden by the lesson but applied). */
const TINY = 'v=2&seed=1&c=2&p=2&k=3&len=8&ev=2&evk=1&evt=4&ep=1&temp=0.9&sel=global&pct=50';
const MARKUP = '<img src=x onerror="window.__pwned=1"><b>bold</b>';
const LESSON = `#${TINY}&lesson=1&show=k,temp,sel&title=${encodeURIComponent(`Change K ${MARKUP}`)}&text=${encodeURIComponent(`Watch the kept reward.\n${MARKUP}`)}`;
const WAIT = 150_000;

describe.skipIf(!baseUrl || !chromiumAvailable())('teaching views in Chromium', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  async function open(hash: string, width = 1400): Promise<Page> {
    const page = await browser.newPage({ ...PAGE_OPTIONS, viewport: { width, height: 900 }, acceptDownloads: true });
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.goto(`${baseUrl}index.html?backend=wasm${hash}`);
    await page.getByTestId('backend').waitFor({ timeout: 60_000 });
    return page;
  }

  const waitStatus = (page: Page, s: string) =>
    page.waitForFunction((v) => document.querySelector('[data-testid=run-status]')?.textContent === v, s, { timeout: WAIT, polling: 100 });

  it('a lesson link shows only its controls and its text as text; the hidden settings apply; the loop lights its phases', { timeout: 240_000 }, async () => {
    const page = await open(LESSON);
    // exactly the listed controls, in a form; the rest are named in one line
    const shown = await page.locator('form .control input, form .control select').evaluateAll((els) => els.filter((e) => (e as HTMLElement).checkVisibility()).map((e) => e.id));
    expect(shown.sort()).toEqual(['cfg-samplesPerPrompt', 'cfg-select', 'cfg-temperature']);
    expect(await page.getByTestId('lesson-others').locator('summary').textContent()).toMatch(/Cycles 2, .*Prompts per cycle 2/);
    expect(await page.getByTestId('lesson-title').textContent()).toBe(`Change K ${MARKUP}`);
    expect(await page.getByTestId('lesson-text').textContent()).toBe(`Watch the kept reward.\n${MARKUP}`);
    expect(await page.locator('[data-testid=lesson] img, [data-testid=lesson] b').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    // the charts come before the settings
    const order = await page.evaluate(() => {
      const r = document.querySelector('.results')!.getBoundingClientRect();
      const s = document.getElementById('settings-title')!.closest('section')!.getBoundingClientRect();
      return { resultsLeft: r.left, sideLeft: s.left };
    });
    expect(order.resultsLeft).toBeLessThan(order.sideLeft);

    // the lit phase follows the worker's phase while the run goes
    const seen = new Set<string>();
    const mismatches: string[] = [];
    const watch = setInterval(() => {
      void page
        .evaluate(() => {
          const lit = document.querySelector('[data-testid=loop-diagram] li[data-lit=true]')?.getAttribute('data-phase');
          const text = document.querySelector('[data-testid=loop-phase]')?.textContent ?? '';
          return { lit, text };
        })
        .then(({ lit, text }) => {
          const phase = / (generate|reward|select|train|evaluate) /.exec(` ${text} `)?.[1];
          if (lit && phase) {
            if (lit !== phase) mismatches.push(`lit ${lit} while the worker reported ${phase}`);
            seen.add(lit);
          }
        })
        .catch(() => undefined); // the page may be between renders
    }, 50);
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await waitStatus(page, 'finished');
    clearInterval(watch);
    expect(mismatches).toEqual([]);
    expect(seen.size).toBeGreaterThanOrEqual(2);
    expect([...seen].every((p) => ['generate', 'reward', 'select', 'train', 'evaluate'].includes(p))).toBe(true);
    // the newest cycle's samples of one prompt, ranked, the global cut drawn
    const bars = page.getByTestId('ranked-samples').locator('rect');
    expect(await bars.count()).toBe(3);
    expect(await page.getByTestId('ranked-samples').locator('line').count()).toBe(1);
    // the token view: the first held-out sample of the last cycle; its base numbers are the embedded model's own
    // log-probs of those tokens (computed here, in Node), and training moved some of them
    const tokens = await page.getByTestId('token-view').locator('.tok').evaluateAll((els) =>
      els.map((e) => ({ id: Number(e.getAttribute('data-id')), now: Number(e.getAttribute('data-now')), base: Number(e.getAttribute('data-base')) })),
    );
    const prompt = (await page.getByTestId('token-view').locator('.prompt').textContent())!;
    expect(tokens.length).toBeGreaterThan(0);
    const { loadEmbeddedModel } = await import('../../src/node/model-files');
    const { model, tokenizer } = await loadEmbeddedModel('sentiment');
    const seq = [tokenizer.eosId, ...tokenizer.encode(prompt), ...tokens.map((t) => t.id)];
    const { scoreIds } = await import('../../src/core/lm/score');
    const scored = await scoreIds(model, seq);
    model.dispose();
    const want = scored.logprobs.slice(-tokens.length);
    tokens.forEach((t, i) => expect(Math.abs(t.base - want[i]!)).toBeLessThan(1e-4));
    expect(tokens.some((t) => Math.abs(t.now - t.base) > 1e-6)).toBe(true);
    // and the numbers of the model now are the trained model's: downloaded (merged, Hub layout) and scored in Node
    const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download model (merged)' }).click()]);
    const dir = mkdtempSync(join(tmpdir(), 'raftlab-trained-'));
    for (const [name, bytes] of Object.entries(unzipSync(new Uint8Array(readFileSync((await file.path())!))))) writeFileSync(join(dir, name), bytes);
    const trained = await loadHubFolder(dir);
    const now = (await scoreIds(trained.model, seq)).logprobs.slice(-tokens.length);
    trained.model.dispose();
    tokens.forEach((t, i) => expect(Math.abs(t.now - now[i]!)).toBeLessThan(1e-4));
    await page.getByTestId('token-view').locator('.tok').first().focus();
    expect(await page.getByTestId('token-detail').textContent()).toMatch(/log p now -?\d+\.\d{3}, base -?\d+\.\d{3}, change [+-]\d+\.\d{3}/);
    // the run's stored config is the link's, hidden settings included
    const stored = await page.evaluate(async () => {
      const db = await new Promise<IDBDatabase>((res, rej) => {
        const r = indexedDB.open('raftlab');
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      const tx = db.transaction('runs', 'readonly');
      const all = await new Promise<Array<{ config: unknown }>>((res) => {
        const q = tx.objectStore('runs').getAll();
        q.onsuccess = () => res(q.result as Array<{ config: unknown }>);
      });
      return all.map((r) => r.config);
    });
    expect(stored).toEqual([decodeConfigHash(`#${TINY}`).config]);
    await page.close();
  });

  it('Copy link makes a lesson link of the ticked controls; the presenter view is part of the link; 390 px has no horizontal scroll', { timeout: 120_000 }, async () => {
    const page = await open(`#${TINY}`);
    await page.getByText('Make a lesson link').click();
    await page.locator('#lesson-title').fill('Temperature');
    await page.locator('#lesson-text').fill('Raise it and watch distinct-2.');
    await page.getByLabel('Temperature', { exact: true }).check();
    await page.getByRole('button', { name: 'Copy lesson link' }).click();
    const link = await page.getByTestId('lesson-link').inputValue();
    const hash = link.slice(link.indexOf('#'));
    const d = decodeConfigHash(hash);
    expect(d.config).toEqual(decodeConfigHash(`#${TINY}`).config);
    expect(d.presentation.lesson).toEqual({ show: ['temperature'], title: 'Temperature', text: 'Raise it and watch distinct-2.' });
    await page.getByRole('button', { name: 'Presenter view' }).click();
    await page.waitForFunction(() => location.hash.includes('present=1'), undefined, { timeout: 5_000 });
    expect(await page.getByRole('heading', { name: 'Saved runs' }).count()).toBe(0);
    await page.close();

    const phone = await open(`#${TINY}`, 390);
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await phone.close();
  });

  it('Run the demo opens the tour once: its steps go forward and back, Escape or the end dismisses it, and that is remembered', { timeout: 120_000 }, async () => {
    const page = await open(`#${TINY}`);
    await page.getByRole('button', { name: 'Run the demo' }).click();
    const tour = page.getByTestId('tour');
    await tour.waitFor({ timeout: 10_000 });
    expect(await tour.textContent()).toMatch(/Step 1 of 5.*The loop/s);
    await tour.getByRole('button', { name: 'Next' }).click();
    expect(await tour.textContent()).toMatch(/Step 2 of 5/);
    await tour.getByRole('button', { name: 'Back' }).click();
    expect(await tour.textContent()).toMatch(/Step 1 of 5/);
    for (let i = 0; i < 4; i++) await tour.getByRole('button', { name: 'Next' }).click();
    expect(await tour.textContent()).toMatch(/Step 5 of 5.*What training changed/s);
    await tour.getByRole('button', { name: 'Done' }).click();
    expect(await tour.count()).toBe(0);
    await page.getByRole('button', { name: 'Reset', exact: true }).click();
    await page.reload();
    await page.getByTestId('backend').waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Run the demo' }).click();
    await page.waitForTimeout(500);
    expect(await tour.count()).toBe(0); // remembered
    await page.getByRole('button', { name: 'Reset', exact: true }).click();
    // the Tour button opens it again; Escape dismisses it
    await page.getByRole('button', { name: 'Tour', exact: true }).click();
    await tour.waitFor({ timeout: 5_000 });
    await page.keyboard.press('Escape');
    expect(await tour.count()).toBe(0);
    await page.close();
  });
});
