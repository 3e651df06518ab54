/**
 * The README's screenshot of the lab mid-run, regenerated from the built site: builds it (or serves --dist DIR),
 * opens it in headless Chromium at 1366x768 on the WASM backend, runs a short seeded sentiment run and, once a trained
 * cycle is on the charts and the next one is under way, saves the first screen to docs/images/lab-mid-run.png.
 *
 *   npx tsx scripts/screenshot.ts [--dist DIR] [--out docs/images/lab-mid-run.png]
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromium, PAGE_OPTIONS } from '../test/e2e/chromium';
import { builtSite } from './built-site';

const { values } = parseArgs({ options: { dist: { type: 'string' }, out: { type: 'string', default: 'docs/images/lab-mid-run.png' } } });
const root = resolve(import.meta.dirname, '..');
const server = await builtSite(values.dist);
const browser = await launchChromium();
// small cycles, more than the screenshot waits for: a few points on both charts while the next cycle runs
const RUN = '#v=2&seed=3&c=40&p=8&k=4&len=16&ev=8&evk=1&evt=16&ep=1';
try {
  const page = await browser.newPage({ ...PAGE_OPTIONS, viewport: { width: 1366, height: 768 } });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`${server.url}index.html?backend=wasm${RUN}`);
  await page.getByTestId('backend').waitFor({ timeout: 120_000 });
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=stats-table] tbody tr').length >= 4, undefined, { timeout: 600_000, polling: 500 });
  await page.waitForTimeout(700); // the next cycle under way, the charts drawn
  const status = await page.getByTestId('run-status').textContent();
  if (status !== 'running') throw new Error(`the run is ${status}, not running: no mid-run screenshot`);
  await page.screenshot({ path: resolve(root, values.out!) });
  console.log(`wrote ${values.out} (1366x768, mid-run)`);
} finally {
  await browser.close();
  await server.close();
}
