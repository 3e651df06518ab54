/**
 * End-to-end tests of saved runs in headless Chromium (TF.js WASM backend, `?backend=wasm`: the persistence code
 * is the same on every backend, and WASM is the fastest one on SwiftShader machines):
 * - a run reloaded mid-cycle resumes from its last recorded cycle and ends with the same stats (full precision,
 *   read from IndexedDB) as an uninterrupted run with the same seed in a fresh browser context; so does a run
 *   whose worker crashed (simulated: an uncaught error, then the worker closes); a run another tab is training is
 *   not offered (its trainer holds the run's Web Lock);
 * - a damaged newest checkpoint is detected on resume and the one before it is used (and the recomputed cycle
 *   equals the original); export + import make a second run that the Compare panel overlays; a damaged file is
 *   refused with a message and changes nothing;
 * - a real QuotaExceededError (CDP Storage.overrideQuotaForOrigin) is shown and the run goes on to its last cycle.
 * The URL-hash checks (problems as text, no injected elements, Copy link) are in lab.test.ts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromiumAvailable, launchChromium, PAGE_OPTIONS } from './chromium';
import { storedStats } from './stored-stats';

const baseUrl = inject('e2eBaseUrl');
/** 3 cycles of the tiny run (see lab.test.ts). */
const TINY3 = '#v=2&seed=1&c=3&p=2&k=2&len=8&ev=2&evk=1&evt=4&ep=1';
/** The same with longer cycles (8 perplexity texts, 2 epochs), so that the reload surely lands inside cycle 2. */
const TINY3_SLOWER = '#v=2&seed=1&c=3&p=2&k=2&len=8&ev=2&evk=1&evt=8&ep=2';
const TINY2 = '#v=2&seed=1&c=2&p=2&k=2&len=8&ev=2&evk=1&evt=4&ep=1';
const WAIT = 120_000;

describe.skipIf(!baseUrl || !chromiumAvailable())('saved runs in Chromium', () => {
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
  });

  async function open(hash: string, context?: BrowserContext): Promise<Page> {
    const ctx = context ?? (await browser.newContext({ ...PAGE_OPTIONS, viewport: { width: 1400, height: 1000 }, acceptDownloads: true }));
    if (!context) contexts.push(ctx);
    const page = await ctx.newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.goto(`${baseUrl}index.html?backend=wasm${hash}`);
    await page.getByTestId('backend').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('backend').textContent()).toBe('wasm');
    return page;
  }

  const rows = (page: Page) => page.locator('[data-testid=stats-table] tbody tr');
  const waitRows = (page: Page, n: number, timeout = WAIT) =>
    page.waitForFunction((k) => document.querySelectorAll('[data-testid=stats-table] tbody tr td:first-child').length >= k && !document.querySelector('[data-testid=stats-table] td.empty'), n, {
      timeout,
      polling: 100,
    });
  const waitStatus = (page: Page, s: string, timeout = WAIT) =>
    page.waitForFunction((v) => document.querySelector('[data-testid=run-status]')?.textContent === v, s, { timeout, polling: 200 });
  const click = (page: Page, name: string) => page.getByRole('button', { name, exact: true }).click();

  it('a run reloaded mid-cycle resumes and ends with the stats of an uninterrupted run', { timeout: 240_000 }, async () => {
    const t0 = performance.now();
    const page = await open(TINY3_SLOWER);
    await click(page, 'Run');
    await waitRows(page, 2); // cycle 1 is recorded before its row appears; cycle 2 starts now
    await page.getByTestId('phase').waitFor({ timeout: WAIT });
    await page.reload();
    const offer = page.getByTestId('resume-offer');
    await offer.waitFor({ timeout: 60_000 });
    const button = offer.getByRole('button', { name: /^Resume .* from cycle \d$/ });
    // it resumes after its last recorded cycle: cycle 2 as a rule, cycle 3 when a loaded machine let cycle 2 end
    // before the reload landed (the stored cycles say which)
    const recorded = await storedStats(page);
    expect(recorded).toHaveLength(1);
    expect([2, 3]).toContain(recorded[0]!.length);
    expect(await button.textContent()).toMatch(new RegExp(`Resume sentiment seed 1 from cycle ${recorded[0]!.length}$`));
    await page.getByTestId('backend').waitFor({ timeout: 60_000 });
    await button.click();
    await waitStatus(page, 'finished');
    expect(await rows(page).count()).toBe(4);
    const resumed = await storedStats(page);
    expect(resumed).toHaveLength(1);
    expect(resumed[0]!.map((s) => s.cycle)).toEqual([0, 1, 2, 3]);
    const t1 = performance.now();

    const fresh = await open(TINY3_SLOWER); // a fresh browser context: empty storage
    await click(fresh, 'Run');
    await waitStatus(fresh, 'finished');
    const whole = await storedStats(fresh);
    expect(resumed[0]).toEqual(whole[0]);
    console.info(`reload + resume: ${((t1 - t0) / 1000).toFixed(1)} s; uninterrupted: ${((performance.now() - t1) / 1000).toFixed(1)} s`);
  });

  it('after a crash of the worker the page offers to resume, and the run ends with the stats of an uninterrupted run', { timeout: 240_000 }, async () => {
    const ctx = await browser.newContext({ ...PAGE_OPTIONS, viewport: { width: 1400, height: 1000 } });
    contexts.push(ctx);
    // the worker's script is patched on its way in (init scripts do not reach workers): a message on a
    // BroadcastChannel makes it throw an uncaught error and close itself, as a crashed worker does
    await ctx.route('**/trainer.worker-*.js', async (route) => {
      const res = await route.fetch();
      const crash = `new BroadcastChannel('raftlab-e2e-crash').onmessage = () => setTimeout(() => { setTimeout(() => self.close()); throw new Error('simulated crash'); });`;
      await route.fulfill({ response: res, body: `${crash}\n${await res.text()}` });
    });
    const page = await open(TINY3_SLOWER, ctx);
    await click(page, 'Run');
    await waitRows(page, 2);
    await page.evaluate(() => new BroadcastChannel('raftlab-e2e-crash').postMessage('crash'));
    const crash = page.getByTestId('crash');
    await crash.waitFor({ timeout: WAIT });
    expect(await crash.textContent()).toMatch(/The trainer stopped unexpectedly .*simulated crash.* can resume from its last saved cycle/);
    expect(await page.getByRole('button', { name: 'Run', exact: true }).isDisabled()).toBe(true);
    await crash.getByRole('button', { name: 'Resume from the last saved cycle' }).click();
    await waitStatus(page, 'finished');
    expect(await rows(page).count()).toBe(4);
    const resumed = await storedStats(page);
    expect(resumed).toHaveLength(1);

    const fresh = await open(TINY3_SLOWER);
    await click(fresh, 'Run');
    await waitStatus(fresh, 'finished');
    expect(resumed[0]).toEqual((await storedStats(fresh))[0]);
  });

  it('after a lost WebGPU device the page offers to resume, and the resumed run finishes', { timeout: 480_000 }, async () => {
    const GPU_WAIT = 200_000; // WebGPU on SwiftShader is the slowest backend (2 min for this test on 2 busy cores)
    const ctx = await browser.newContext({ ...PAGE_OPTIONS, viewport: { width: 1400, height: 1000 } });
    contexts.push(ctx);
    // the worker's script is patched on its way in: it keeps the GPUDevice TF.js asks for, and destroys it when a
    // BroadcastChannel message says so (what a driver reset or a GPU process crash does to a page)
    await ctx.route('**/trainer.worker-*.js', async (route) => {
      const res = await route.fetch();
      const lose = [
        `if (self.GPUAdapter) { const req = GPUAdapter.prototype.requestDevice;`,
        `  GPUAdapter.prototype.requestDevice = async function (...a) { const d = await req.apply(this, a); self.__e2eDevice = d; return d; }; }`,
        `new BroadcastChannel('raftlab-e2e-lose-device').onmessage = () => self.__e2eDevice?.destroy();`,
      ].join('\n');
      await route.fulfill({ response: res, body: `${lose}\n${await res.text()}` });
    });
    const page = await ctx.newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.goto(`${baseUrl}index.html?backend=webgpu${TINY2}`);
    await page.getByTestId('backend').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('backend').textContent(), (await page.locator('[data-testid=fallback]').allTextContents()).join(' ')).toBe('webgpu');
    await click(page, 'Run');
    await waitRows(page, 2, GPU_WAIT);
    await page.evaluate(() => new BroadcastChannel('raftlab-e2e-lose-device').postMessage('lose'));
    // the failed cycle may be reported first ("The run stopped with an error"), the device-lost event right after
    const crash = page.getByTestId('crash');
    await crash.getByText(/The GPU device was lost/).waitFor({ timeout: GPU_WAIT });
    expect(await crash.textContent()).toMatch(/The GPU device was lost \(destroyed.*\)\. The run can resume from its last saved cycle/);
    await crash.getByRole('button', { name: 'Resume from the last saved cycle' }).click();
    await waitStatus(page, 'finished', GPU_WAIT);
    expect(await rows(page).count()).toBe(3);
    expect((await storedStats(page))[0]!.map((s) => s.cycle)).toEqual([0, 1, 2]);
    expect(await page.getByTestId('backend').textContent()).toBe('webgpu');
  });

  it('a run training in another tab is neither offered nor resumed here', { timeout: 180_000 }, async () => {
    const ctx = await browser.newContext({ ...PAGE_OPTIONS, viewport: { width: 1400, height: 1000 } });
    contexts.push(ctx);
    const first = await open('#v=2&seed=1&c=200&p=2&k=2&len=8&ev=2&evk=1&evt=4&ep=1', ctx); // long enough to outlast the test
    await click(first, 'Run');
    await waitRows(first, 1);
    const second = await open(TINY2, ctx); // the same origin and storage: it sees the run, 'running', in IndexedDB
    const saved = second.getByTestId('saved-run');
    await saved.first().waitFor();
    await second.waitForTimeout(2500); // the page looks at the run's lock for up to 2 s before it offers
    expect(await second.getByTestId('resume-offer').count()).toBe(0);
    await saved.getByRole('button', { name: 'Resume', exact: true }).click();
    await second.getByText(/Resuming failed: this run is being trained in another tab/).waitFor({ timeout: WAIT });
    expect(await first.getByTestId('run-status').textContent()).toBe('running'); // the check above was not vacuous
    await second.close();
    await first.close();
  });

  it('a damaged checkpoint is skipped on resume; export, import and compare two runs', { timeout: 240_000 }, async () => {
    const page = await open(TINY3);
    for (let i = 1; i <= 3; i++) {
      await click(page, 'Step');
      await waitStatus(page, 'paused');
    }
    expect(await rows(page).count()).toBe(3);
    const before = (await storedStats(page))[0]!;

    // flip a byte in the newest checkpoint (cycle 2) inside IndexedDB
    await page.evaluate(
      () =>
        new Promise<void>((resolve, reject) => {
          const req = indexedDB.open('raftlab');
          req.onsuccess = () => {
            const tx = req.result.transaction(['runs', 'checkpoints'], 'readwrite');
            const runs = tx.objectStore('runs').getAll();
            runs.onsuccess = () => {
              const id = (runs.result[0] as { id: string }).id;
              const get = tx.objectStore('checkpoints').get([id, 2]);
              get.onsuccess = () => {
                const rec = get.result as { bytes: Uint8Array };
                rec.bytes[Math.floor(rec.bytes.length / 2)]! ^= 0xff;
                tx.objectStore('checkpoints').put(rec);
              };
            };
            tx.oncomplete = () => (req.result.close(), resolve());
            tx.onerror = () => reject(tx.error);
          };
        }),
    );
    await page.reload();
    await page.getByTestId('backend').waitFor({ timeout: 60_000 });
    const saved = page.getByTestId('saved-run');
    await saved.first().waitFor();
    await saved.getByRole('button', { name: 'Resume', exact: true }).click();
    const note = page.getByTestId('resume-note');
    await note.first().waitFor({ timeout: WAIT });
    expect(await note.first().textContent()).toContain('The checkpoint of cycle 2 is damaged');
    await waitStatus(page, 'finished');
    const after = (await storedStats(page))[0]!;
    expect(after.map((s) => s.cycle)).toEqual([0, 1, 2, 3]);
    expect(after[2]).toEqual(before[2]); // cycle 2, recomputed from cycle 1's checkpoint, is the same

    // the store keeps the two newest checkpoints (cycles 2 and 3); delete old checkpoints: the newest stays, and so do all stats
    expect(await saved.getByTestId('saved-size').textContent()).toMatch(/\(2\)$/);
    await saved.getByRole('button', { name: 'Delete old checkpoints' }).click();
    await page.getByTestId('saved-message').getByText(/^Freed .*MB/).waitFor();
    expect(await saved.getByTestId('saved-size').textContent()).toMatch(/\(1\)$/);
    expect(await saved.getByTestId('saved-cycles').textContent()).toBe('4 / 4');
    expect((await storedStats(page))[0]).toEqual(after);

    // export the run to a file, import it back: two runs; a damaged or foreign file is refused and changes nothing
    const [download] = await Promise.all([page.waitForEvent('download'), saved.getByRole('button', { name: 'Export' }).click()]);
    const file = await download.path();
    expect(download.suggestedFilename()).toMatch(/\.raftlab$/);
    const input = page.getByTestId('import-run');
    await input.setInputFiles(file);
    await page.getByTestId('saved-message').getByText(/Imported .*\(imported\)/).waitFor();
    expect(await saved.count()).toBe(2);
    const bytes = readFileSync(file);
    bytes[bytes.length - 100]! ^= 0x55;
    const bad = `${file}-damaged.raftlab`;
    writeFileSync(bad, bytes);
    await input.setInputFiles(bad);
    const err = page.getByTestId('saved-error');
    await err.waitFor();
    expect(await err.textContent()).toMatch(/Importing .* failed: .*(checksum|CRC|damaged)/i);
    expect(await saved.count()).toBe(2);
    // a foreign file (here: JSON text named .raftlab) is refused as well
    const foreign = `${file}-foreign.raftlab`;
    writeFileSync(foreign, '{"config": {"seed": 1}, "cycles": []}\n'.repeat(4));
    await input.setInputFiles(foreign);
    await err.getByText(/Importing .*-foreign\.raftlab failed: run file: not a RAFT Lab file/).waitFor();
    expect(await saved.count()).toBe(2);

    // the Compare panel overlays both runs
    const picks = page.getByTestId('compare-pick');
    expect(await picks.count()).toBe(2);
    await picks.nth(0).locator('input').check();
    await picks.nth(1).locator('input').check();
    const table = page.locator('[data-testid=compare-table] tbody tr');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=compare-table] tbody tr').length === 2);
    // the same configuration twice: the labels name method and seed, and tell the runs apart by their names
    const labels = await table.locator('td:first-child').allTextContents();
    expect(labels.sort()).toEqual(['raft (per-prompt) seed 1 (sentiment seed 1 (imported))', 'raft (per-prompt) seed 1 (sentiment seed 1)']);
    expect(await page.getByTestId('compare-common').textContent()).toMatch(/^Settings all these runs share: p 2, k 2, len 8, /);
    const legends = await page.locator('[data-testid=runs-compare] .u-legend').first().locator('.u-series').count();
    expect(legends).toBe(3); // x + two runs
    if (process.env.RAFTLAB_E2E_SCREENSHOT_PERSISTENCE) await page.screenshot({ path: process.env.RAFTLAB_E2E_SCREENSHOT_PERSISTENCE, fullPage: true });
  });

  it('a quota error is shown and the run goes on to its last cycle', { timeout: 180_000 }, async () => {
    const ctx = await browser.newContext({ ...PAGE_OPTIONS, viewport: { width: 1400, height: 1000 } });
    contexts.push(ctx);
    const page = await open(TINY2, ctx);
    // the session stays attached while the page lives: the override holds for the worker's writes too
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(baseUrl).origin, quotaSize: 200_000 });
    await click(page, 'Run');
    await waitStatus(page, 'finished');
    const messages = await page.getByTestId('storage-message').allTextContents();
    console.info(`with a 200 kB quota: ${messages.length} storage message(s), first: ${messages[0]}`);
    expect(messages.length).toBeGreaterThan(0);
    expect(messages[0]).toMatch(/Storage is full/);
    expect(await rows(page).count()).toBe(3);
  });
});
