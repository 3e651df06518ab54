/**
 * End-to-end test of RAFT on a diffusers UNet from the Hub in the built lab (headless Chromium, WASM): the tiny
 * class-conditional UNet of test/fixtures/diffusers-tiny and the tiny CLIP of test/fixtures/hf-tiny are served by a
 * local Hub-layout server (the endpoint set in the Models panel); a link with task hub-images and the clip-score
 * reward runs one cycle in the trainer worker, shows its images and stats, the memory estimate, and pins the model to
 * the commit the server reported, and downloads the PEFT adapter and the merged pipeline; a model that is not a
 * UNet2DModel pipeline gets a message and the page goes on.
 */
import type { Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import { readSafetensors } from '../../src/core/hub/safetensors';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { chromiumAvailable, launchChromium, PAGE_OPTIONS } from './chromium';
import { COMMIT, startHubServer } from '../hub-server';

const baseUrl = inject('e2eBaseUrl');
const RUN = '#v=2&task=hub-images&model=tiny%2Ftiny-ddpm-class&seed=1&c=1&p=2&k=2&ev=2&evk=1&evi=2&ep=1&bs=4&ddim=3&lora=2&rw=clip-score&rwm=tiny%2Fclip&rwt=a%20red%20car';
const WAIT = 240_000;

describe.skipIf(!baseUrl || !chromiumAvailable())('a diffusers UNet from the Hub in Chromium', () => {
  let browser: Browser;
  let server: Server;
  let endpoint = '';

  beforeAll(async () => {
    ({ server, endpoint } = await startHubServer([]));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const status = (page: Page) => page.getByTestId('run-status').textContent();
  const ended = (page: Page) =>
    page.waitForFunction(() => ['paused', 'finished', 'stopped by an error'].includes(document.querySelector('[data-testid=run-status]')?.textContent ?? ''), undefined, { timeout: WAIT, polling: 250 });

  async function open(hash: string): Promise<Page> {
    const page = await browser.newPage({ ...PAGE_OPTIONS, viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.goto(`${baseUrl}index.html?backend=wasm${hash}`);
    await page.getByTestId('backend').waitFor({ timeout: 60_000 });
    await page.getByText('Where models come from').click();
    await page.locator('#hf-endpoint').fill(endpoint);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    return page;
  }

  it('runs a cycle of RAFT with LoRA on the UNet, rewarded by CLIP-score, and shows its images and stats', { timeout: 300_000 }, async () => {
    const page = await open(RUN);
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await ended(page);
    expect(await status(page), (await page.getByRole('alert').allTextContents()).join(' | ')).toBe('finished');
    const rows = page.locator('[data-testid=stats-table] tbody tr');
    const table = await rows.evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    const headers = await page.locator('[data-testid=stats-table] thead th').allTextContents();
    console.info(`hub-images run in Chromium (WASM):\n${headers.join(' | ')}\n${table.map((r) => r.join(' | ')).join('\n')}`);
    expect(table.map((r) => r[0])).toEqual(['0', '1']);
    for (const col of ['eval reward', 'held-out loss']) {
      const j = headers.indexOf(col);
      for (const r of table) expect(Number.isFinite(Number(r[j])), `${col} = ${r[j]}`).toBe(true);
    }
    expect(await page.getByTestId('image-grid').locator('canvas').count()).toBe(4);
    expect(await page.getByTestId('eval-grid').locator('canvas').count()).toBe(2);
    // the memory estimate of the UNet, and the link pinned to the commit the server resolved
    expect(await page.getByTestId('memory-estimate').textContent()).toMatch(/0\.0M parameters: weights .* = about/);
    expect(page.url()).toContain(`model=tiny%2Ftiny-ddpm-class%40${COMMIT}`);
    // the downloads: the PEFT adapter (diffusers' module names) and the merged pipeline in the Hub's layout
    const zipOf = async (button: string) => {
      const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: button }).click()]);
      return unzipSync(new Uint8Array(readFileSync((await file.path())!)));
    };
    const adapter = await zipOf('Download LoRA adapter (PEFT)');
    expect(Object.keys(adapter).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    const names = [...readSafetensors(adapter['adapter_model.safetensors']!).tensors.keys()];
    expect(names).toContain('base_model.model.mid_block.attentions.0.to_q.lora_A.weight');
    const merged = await zipOf('Download model (merged)');
    expect(Object.keys(merged).sort()).toEqual(['model_index.json', 'scheduler/scheduler_config.json', 'unet/config.json', 'unet/diffusion_pytorch_model.safetensors']);
    await page.close();
  });

  it('names a model that is not a UNet2DModel pipeline, and the page goes on', { timeout: 120_000 }, async () => {
    const page = await open(RUN.replace('tiny%2Ftiny-ddpm-class', 'tiny%2Fgpt2'));
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await ended(page);
    expect(await status(page)).toBe('stopped by an error');
    expect(await page.getByRole('alert').first().textContent()).toMatch(/diffusion_pytorch_model\.safetensors/);
    // and the page goes on: the embedded shapes model still runs
    await page.getByRole('button', { name: 'Reset', exact: true }).click();
    await page.goto(`${baseUrl}index.html?backend=wasm#v=2&task=shapes&c=0&ev=1&evk=1&evi=2&ddim=2`);
    await page.getByTestId('backend').waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await ended(page);
    expect(await status(page)).toBe('finished');
    await page.close();
  });
});
