/**
 * Images of a sweep's fronts for the README: builds the lab, opens it in headless Chromium, opens the sweep file in
 * the Sweep panel (the lab's own uPlot charts) and saves a screenshot of each chart and of the table.
 * Usage: npx tsx scripts/sweep-plots.ts SWEEP.json OUT_PREFIX [--only raft,ppo]
 * (writes OUT_PREFIX-perplexity.png, -kl.png, -samples.png, -pass.png and -entropy.png where the sweep has them, -table.png; --only keeps those methods' lines, e.g. to
 * leave out a method whose divergence squashes the others' scale)
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'vite';
import { launchChromium, PAGE_OPTIONS } from '../test/e2e/chromium';
import { serveStatic } from '../test/e2e/static-server';

const [given, prefix, flag, only] = process.argv.slice(2);
let file = given;
if (given && flag === '--only' && only) {
  const keep = only.split(',');
  const sweep = JSON.parse(readFileSync(given, 'utf8')) as { runs: Array<{ method: string }>; summary: Array<{ method: string }>; methods: string[] };
  const filtered = { ...sweep, methods: sweep.methods.filter((m) => keep.includes(m)), runs: sweep.runs.filter((r) => keep.includes(r.method)), summary: sweep.summary.filter((r) => keep.includes(r.method)) };
  file = join(mkdtempSync(join(tmpdir(), 'raftlab-sweep-')), 'sweep.json');
  writeFileSync(file, JSON.stringify(filtered));
}
if (!file || !prefix) {
  console.error('usage: npx tsx scripts/sweep-plots.ts SWEEP.json OUT_PREFIX');
  process.exit(2);
}
const root = resolve(import.meta.dirname, '..');
const outDir = mkdtempSync(join(tmpdir(), 'raftlab-plots-'));
await build({ root, configFile: join(root, 'vite.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
const server = await serveStatic(outDir);
const browser = await launchChromium();
try {
  const page = await (await browser.newContext({ ...PAGE_OPTIONS, viewport: { width: 1500, height: 1200 } })).newPage();
  await page.goto(`${server.url}index.html?backend=wasm`);
  await page.getByTestId('backend').waitFor({ timeout: 120_000 });
  // one chart a row: wider figures for the README
  await page.addStyleTag({ content: '[data-testid=sweep-panel] .grid { grid-template-columns: 1fr !important; max-width: 760px; }' });
  const panel = page.getByTestId('sweep-panel');
  await panel.getByLabel('Open a sweep file').setInputFiles(resolve(file));
  await panel.getByTestId('sweep-table').waitFor();
  // every chart the panel shows (pass rate and entropy only where the sweep has them), by its name
  const names = await panel.locator('figure[data-name]').evaluateAll((fs) => fs.map((f) => f.getAttribute('data-name')!));
  for (const name of names) {
    await panel.locator(`figure[data-name="${name}"]`).screenshot({ path: `${prefix}-${name}.png` });
    console.log(`wrote ${prefix}-${name}.png`);
  }
  await panel.getByTestId('sweep-table').screenshot({ path: `${prefix}-table.png` });
} finally {
  await browser.close();
  await server.close?.();
}
