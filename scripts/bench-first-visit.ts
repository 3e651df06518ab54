/**
 * A first visit, timed: the built site from a plain static server (no COOP/COEP headers, so coi-serviceworker
 * registers and reloads the page once for cross-origin isolation), a fresh Chromium profile, no `?backend=`. Prints
 * the time from navigation to an enabled Run button (the isolation reload and the backend choice included) and,
 * with --demo, the time from clicking "Run the demo" to a finished run. Not a test: numbers depend on the machine.
 *
 *   npx tsx scripts/bench-first-visit.ts [--dist DIR] [--visits 2] [--demo]
 */
import { parseArgs } from 'node:util';
import { launchChromium } from '../test/e2e/chromium';
import { builtSite } from './built-site';

const { values } = parseArgs({ options: { dist: { type: 'string' }, visits: { type: 'string', default: '2' }, demo: { type: 'boolean', default: false } } });
const server = await builtSite(values.dist);
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
try {
  for (let v = 1; v <= Number(values.visits); v++) {
    // a fresh browser per visit: empty profile (no service worker, no remembered backend, no HTTP cache)
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
      let reloads = 0;
      page.on('framenavigated', (f) => {
        if (f === page.mainFrame()) reloads++;
      });
      const t0 = Date.now();
      await page.goto(`${server.url}index.html`);
      const run = page.getByRole('button', { name: 'Run', exact: true });
      await page.waitForFunction(() => {
        const b = [...document.querySelectorAll('button')].find((x) => x.textContent?.trim() === 'Run');
        // on the page that stays: the first visit's page is reloaded once for isolation
        return b !== undefined && !(b as HTMLButtonElement).disabled && (self.crossOriginIsolated || sessionStorage.getItem('raftlab:isolation-reload') !== null);
      }, undefined, { timeout: 300_000, polling: 50 });
      const ready = Date.now() - t0;
      const info = await page.evaluate(() => ({ isolated: self.crossOriginIsolated, backend: document.querySelector('[data-testid=backend]')?.textContent ?? null }));
      console.log(`visit ${v}: Run enabled ${s(ready)} after navigation (page loads: ${reloads}, cross-origin isolated: ${info.isolated}, backend: ${info.backend})`);
      if (values.demo) {
        void run;
        const t1 = Date.now();
        await page.getByRole('button', { name: 'Run the demo' }).click();
        await page.waitForFunction(() => document.querySelector('[data-testid=run-status]')?.textContent === 'finished', undefined, { timeout: 900_000, polling: 250 });
        console.log(`visit ${v}: Run the demo finished ${s(Date.now() - t1)} after the click (backend: ${await page.getByTestId('backend').first().textContent()})`);
      }
    } finally {
      await browser.close();
    }
  }
} finally {
  await server.close();
}
