/**
 * Benchmark: "Run the demo" in headless Chromium (the system browser, WebGPU on SwiftShader where there is no GPU),
 * as a new user meets it. Builds the site (or serves --dist DIR), opens it, clicks "Run the demo" and prints the
 * backend line the page shows, the WASM threads, the time to the first trained cycle (cycle 1 in the stats table)
 * and to the end of the run.
 *
 *   npx tsx scripts/bench-demo.ts [--dist DIR] [--max-minutes 30] [--query '?backend=wasm']
 *
 * Prints figures; asserts nothing (speed targets live here, not in timed tests).
 */
import { parseArgs } from 'node:util';
import { launchChromium } from '../test/e2e/chromium';
import { builtSite } from './built-site';

const { values } = parseArgs({ options: { dist: { type: 'string' }, 'max-minutes': { type: 'string', default: '30' }, query: { type: 'string', default: '' } } });
const server = await builtSite(values.dist);
const browser = await launchChromium();
const limitMs = Number(values['max-minutes']) * 60_000;
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  /** Text of the first element for a test id, or null when the page has none (no waiting). */
  const textOf = async (id: string) => ((await page.getByTestId(id).count()) > 0 ? page.getByTestId(id).first().textContent() : null);
  page.on('pageerror', (e) => console.error('page error:', e.message));
  const t0 = Date.now();
  await page.goto(`${server.url}index.html${values.query}`);
  await page.getByTestId('backend').waitFor({ timeout: 180_000 });
  const ready = Date.now();
  console.log(`page ready (backend chosen) after ${((ready - t0) / 1000).toFixed(1)} s`);
  const panel = await textOf('backend-figures');
  console.log(`backend: ${await page.getByTestId('backend').textContent()}${panel ? `\nbackend figures: ${panel.replace(/\s+/g, ' ').trim()}` : ''}`);
  await page.getByRole('button', { name: 'Run the demo' }).click();
  const clicked = Date.now();
  const rows = page.locator('[data-testid=stats-table] tbody tr');
  let cycle1: number | null = null;
  let end: number | null = null;
  while (Date.now() - clicked < limitMs) {
    const n = await rows.count();
    if (n >= 2 && cycle1 === null) {
      cycle1 = Date.now();
      console.log(`cycle 1 done ${((cycle1 - clicked) / 1000).toFixed(1)} s after the click`);
    }
    const status = await page.getByTestId('run-status').textContent();
    if (status === 'finished' || status === 'error') {
      end = Date.now();
      console.log(`run ${status} ${((end - clicked) / 1000).toFixed(1)} s after the click (${n} stats rows)`);
      break;
    }
    await page.waitForTimeout(1000);
  }
  if (end === null) console.log(`stopped waiting after ${values['max-minutes']} min: ${await rows.count()} stats rows, phase ${await textOf('phase')}`);
  const info = await page.evaluate(() => ({ isolated: self.crossOriginIsolated, cores: navigator.hardwareConcurrency }));
  console.log(`crossOriginIsolated: ${info.isolated}, hardwareConcurrency: ${info.cores}`);
  const threads = await textOf('wasm-threads');
  if (threads) console.log(`wasm threads: ${threads}`);
} finally {
  await browser.close();
  await server.close();
}
