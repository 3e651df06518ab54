/**
 * End-to-end tests of the backend choice in headless Chromium (WebGPU on SwiftShader, a software adapter):
 * - "automatic" starts at once on WASM beside a software WebGPU adapter (SwiftShader) and times no step on it; the
 *   other backends are timed in the background once no run goes, every one (the adapter too) when the user asks; the
 *   page remembers the figures, so a reload starts on the fastest; a faster backend is offered, never switched to
 *   under a run;
 * - WebGPU and WASM agree on the same seed: the probe's loss and logits (within 1e-4 relative / 1e-3 absolute), and a
 *   whole tiny cycle's stats (within 1e-3 relative: float differences between backends must not change samples);
 * - on a static host without COOP/COEP headers the service worker makes the page cross-origin isolated, and WASM
 *   gets a thread per core.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { chromiumAvailable, launchChromium, PAGE_OPTIONS } from './chromium';
import { storedStats, type Stats } from './stored-stats';

const baseUrl = inject('e2eBaseUrl');
/** One training cycle of the tiny run (see lab.test.ts). */
const TINY1 = '#v=2&seed=3&c=1&p=2&k=2&len=8&ev=2&evk=1&evt=4&ep=1';
const MEASUREMENT_KEY = 'raftlab:backend-measurement:sentiment';

interface Figure {
  backend: string;
  msPerStep: number | null;
  loss?: number;
  outputs?: number[];
}

describe.skipIf(!baseUrl || !chromiumAvailable())('backends in Chromium', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  async function open(page: Page, query: string, hash: string): Promise<void> {
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.goto(`${baseUrl}index.html${query}${hash}`);
    await page.getByTestId('backend').waitFor({ timeout: 180_000 });
  }

  it('automatic starts at once on WASM (software adapter), times no step on SwiftShader, measures while idle; every backend on request, WebGPU and WASM probes agree', { timeout: 400_000 }, async () => {
    const ctx = await browser.newContext({ ...PAGE_OPTIONS, viewport: { width: 1400, height: 1000 } });
    const page = await ctx.newPage();
    const t0 = Date.now();
    await open(page, '', TINY1);
    const run = page.getByRole('button', { name: 'Run', exact: true });
    await expect.poll(() => run.isEnabled(), { timeout: 120_000 }).toBe(true);
    console.info(`automatic: Run enabled ${((Date.now() - t0) / 1000).toFixed(1)} s after navigation`);
    // the sensible choice: the only WebGPU adapter is SwiftShader, so WASM, and the first run starts on it at once
    expect(await page.getByTestId('backend').textContent()).toBe('wasm');
    expect(await page.getByTestId('software-adapter').textContent()).toMatch(/swiftshader/i);
    await run.click();
    await page.waitForFunction(() => ['finished', 'error'].includes(document.querySelector('[data-testid=run-status]')?.textContent ?? ''), null, { timeout: 300_000, polling: 250 });
    expect(await page.getByTestId('run-status').textContent()).toBe('finished');
    // then, the page idle, the background measurement: WASM and WebGL, never a step on the software adapter
    await page.getByTestId('backend-figures').waitFor({ timeout: 180_000 });
    const read = async () => JSON.parse((await page.evaluate((k) => localStorage.getItem(k), MEASUREMENT_KEY))!) as { best: string; figures: Figure[] };
    const idle = await read();
    expect(idle.figures.map((f) => f.backend)).toContain('wasm');
    expect(idle.figures.map((f) => f.backend)).not.toContain('webgpu');
    expect((await page.getByTestId('backend-figures').textContent())!.replace(/\s+/g, ' ')).toMatch(/Measured on this device/);

    // every backend on request (the user asks for the software adapter): the fastest is named best
    await page.getByRole('button', { name: 'Measure every backend' }).click();
    await page.waitForFunction((k) => (JSON.parse(localStorage.getItem(k) ?? '{"figures":[]}') as { figures: Figure[] }).figures.some((f) => f.backend === 'webgpu'), MEASUREMENT_KEY, { timeout: 240_000, polling: 500 });
    const m = await read();
    const byName = new Map(m.figures.map((f) => [f.backend, f]));
    const timed = m.figures.filter((f) => f.msPerStep !== null);
    const fastest = timed.reduce((a, b) => (b.msPerStep! < a.msPerStep! ? b : a));
    expect(m.best).toBe(fastest.backend);
    await page.getByTestId('backend-figures').waitFor();
    const text = (await page.getByTestId('backend-figures').textContent())!.replace(/\s+/g, ' ');
    expect(text).toMatch(/webgpu, software adapter \(.*swiftshader.*\) (>= )?\d+\.\d+ s\/step/i);
    expect(text).toMatch(/wasm( \(\d+ threads?\))? \d+\.\d+ s\/step/);
    console.info(`measured in the background: ${text}`);

    // the same seeded batch on both backends: loss and the first logits agree
    const gpu = byName.get('webgpu')!;
    const wasm = byName.get('wasm')!;
    expect(Math.abs(gpu.loss! - wasm.loss!) / wasm.loss!).toBeLessThan(1e-4);
    expect(gpu.outputs).toHaveLength(8);
    gpu.outputs!.forEach((v, i) => expect(Math.abs(v - wasm.outputs![i]!)).toBeLessThan(1e-3));

    // a reload uses the remembered figures: nothing is measured again
    const t1 = Date.now();
    await page.reload();
    await page.getByTestId('backend').waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('backend').textContent()).toBe(m.best);
    expect(await page.getByTestId('backend-figures').textContent()).toMatch(/Measured earlier on this device/);
    console.info(`reload with the remembered choice: ${((Date.now() - t1) / 1000).toFixed(1)} s to a backend`);

    // a slower backend chosen by hand is used as asked; the faster one is offered, and not switched to while a run goes
    const slowest = timed.reduce((a, b) => (b.msPerStep! > a.msPerStep! ? b : a)).backend;
    if (slowest !== m.best) {
      const p2 = await ctx.newPage();
      await open(p2, `?backend=${slowest}`, TINY1);
      expect(await p2.getByTestId('backend').textContent()).toBe(slowest);
      const offer = p2.getByTestId('backend-offer');
      expect(await offer.textContent()).toContain(`${m.best}`);
      await p2.getByRole('button', { name: 'Run', exact: true }).click();
      await p2.waitForFunction(() => ['loading the model', 'running'].includes(document.querySelector('[data-testid=run-status]')?.textContent ?? ''), null, { timeout: 60_000, polling: 100 });
      expect(await offer.textContent()).toMatch(/switch after this run/);
      expect(await offer.getByRole('button').isDisabled()).toBe(true);
      await p2.waitForFunction(() => ['finished', 'error'].includes(document.querySelector('[data-testid=run-status]')?.textContent ?? ''), null, { timeout: 300_000, polling: 250 });
      expect(await p2.getByTestId('backend').textContent()).toBe(slowest); // never switched under the run
      await offer.getByRole('button', { name: `Switch to ${m.best}` }).click();
      await expect.poll(() => p2.getByTestId('backend').textContent(), { timeout: 120_000 }).toBe(m.best);
    }
    await ctx.close();
  });

  it('one tiny cycle gives the same stats on WebGPU and on WASM (within 1e-3 relative)', { timeout: 400_000 }, async () => {
    const run = async (backend: string): Promise<Stats[]> => {
      const ctx = await browser.newContext({ ...PAGE_OPTIONS, viewport: { width: 1400, height: 1000 } });
      const page = await ctx.newPage();
      await open(page, `?backend=${backend}`, TINY1);
      expect(await page.getByTestId('backend').textContent()).toBe(backend);
      await page.getByRole('button', { name: 'Run', exact: true }).click();
      await page.waitForFunction(() => ['finished', 'error'].includes(document.querySelector('[data-testid=run-status]')?.textContent ?? ''), null, {
        timeout: 300_000,
        polling: 250,
      });
      expect(await page.getByTestId('run-status').textContent()).toBe('finished');
      const [stats] = await storedStats(page);
      await ctx.close();
      return stats!;
    };
    const wasm = await run('wasm');
    const gpu = await run('webgpu');
    expect(gpu.map((s) => s.cycle)).toEqual([0, 1]);
    const compared: string[] = [];
    for (let c = 0; c < 2; c++) {
      for (const [k, v] of Object.entries(wasm[c]!)) {
        if (k === 'ms' || k === 'verifyPerSec') continue;
        const g = gpu[c]![k];
        if (typeof v === 'number') {
          expect(typeof g, `${k} of cycle ${c}`).toBe('number');
          const scale = Math.max(1e-6, Math.abs(v));
          expect(Math.abs((g as number) - v) / scale, `${k} of cycle ${c}: webgpu ${g} vs wasm ${v}`).toBeLessThan(1e-3);
          compared.push(k);
        } else {
          expect(g, `${k} of cycle ${c}`).toEqual(v);
        }
      }
    }
    expect(compared).toEqual(expect.arrayContaining(['evalReward', 'perplexity', 'klToRef', 'trainLoss', 'rewardMean']));
  });

  it('on a static host without COOP/COEP the service worker makes the page cross-origin isolated; WASM runs threaded', { timeout: 180_000 }, async () => {
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 } }); // service workers allowed
    const page = await ctx.newPage();
    const pthreads: string[] = [];
    page.on('worker', (w) => {
      if (w.url().startsWith('blob:')) pthreads.push(w.url()); // emscripten's pthread pool of the threaded WASM build
    });
    await open(page, '?backend=wasm', TINY1);
    await page.waitForFunction(() => self.crossOriginIsolated, null, { timeout: 60_000 });
    await page.getByTestId('wasm-threads').waitFor({ timeout: 120_000 });
    const { cores, controlled } = await page.evaluate(() => ({ cores: navigator.hardwareConcurrency, controlled: Boolean(navigator.serviceWorker.controller) }));
    expect(controlled).toBe(true);
    expect(pthreads.length).toBeGreaterThan(0);
    // TF.js gives XNNPACK half the logical cores (it assumes two hardware threads per core), 1 to 8
    const threads = Number(await page.getByTestId('wasm-threads').textContent());
    expect(threads).toBe(Math.min(8, Math.max(1, Math.floor(cores / 2))));
    expect(await page.getByTestId('wasm-threads').locator('..').textContent()).not.toContain('not cross-origin isolated');
    console.info(`cross-origin isolated through the service worker: ${pthreads.length} pthread workers, ${threads} XNNPACK thread(s) of ${cores} logical cores`);
    await ctx.close();
  });
});
