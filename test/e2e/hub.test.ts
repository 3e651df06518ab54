/**
 * End-to-end test of a Hub model in headless Chromium on WebGPU (SwiftShader): the lab loads the tiny GPT-2 of
 * test/fixtures/hf-tiny from a local server in the Hub's layout (the endpoint set in the Models panel), shows the
 * download in bytes and the memory estimate, runs a LoRA cycle on c_attn, pins the link to the commit the server
 * reported, lists the model as cached, downloads its PEFT adapter; after a reload it runs again from the cache with the
 * server stopped. The four fixtures (GPT-2, Llama, Qwen2, Qwen3) score their golden log-probs on WebGPU. A model the endpoint does not have, a revision
 * that does not exist, an unsupported model_type, a header that points past the end, a web page for weights, a
 * connection that drops, and a run over the memory budget each get a message, and the page goes on.
 */
import type { Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import { readSafetensors } from '../../src/core/hub/safetensors';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { chromiumAvailable, launchChromium, PAGE_OPTIONS } from './chromium';
import { COMMIT, startHubServer } from '../hub-server';
import { goldenCases } from '../hub-golden';

const baseUrl = inject('e2eBaseUrl');
/** One LoRA cycle of the tiny run on the Hub model tiny/gpt2. */
const HUB1 = '#v=2&model=tiny%2Fgpt2&seed=1&c=1&p=2&k=2&len=8&ev=2&evk=1&evt=4&ep=1&lora=4&tgt=c_attn';
const WAIT = 240_000;

describe.skipIf(!baseUrl || !chromiumAvailable())('Hub models in Chromium (WebGPU)', () => {
  let browser: Browser;
  let server: Server;
  let endpoint = '';
  const log: string[] = [];

  beforeAll(async () => {
    ({ server, endpoint } = await startHubServer(log));
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((r) => (server.listening ? server.close(() => r()) : r()));
  });

  const waitStatus = (page: Page, s: string, timeout = WAIT) =>
    page.waitForFunction((v) => document.querySelector('[data-testid=run-status]')?.textContent === v, s, { timeout, polling: 200 });

  it('the GPT-2, Llama, Qwen2 and Qwen3 fixtures score their golden log-probs to 1e-4 on WebGPU (the Models panel\'s probe)', { timeout: 300_000 }, async () => {
    const context = await browser.newContext({ ...PAGE_OPTIONS });
    const page = await context.newPage();
    for (const arch of ['gpt2', 'llama', 'qwen2', 'qwen3'] as const) {
      await page.goto(`${baseUrl}index.html?backend=webgpu#v=2&model=tiny%2F${arch}`);
      if (arch !== 'gpt2') await page.reload(); // only the hash changed: load the page anew
      await page.getByTestId('backend').waitFor({ timeout: 60_000 });
      expect(await page.getByTestId('backend').textContent()).toBe('webgpu');
      if (arch === 'gpt2') {
        await page.getByText('Where models come from').click();
        await page.locator('#hf-endpoint').fill(endpoint);
        await page.getByRole('button', { name: 'Save', exact: true }).click();
      }
      await page.getByText('Score a text with the model').click();
      let worst = 0;
      for (const c of goldenCases(arch)) {
        await page.locator('#score-input').fill(`ids: ${c.ids.join(',')}`);
        await page.getByRole('button', { name: 'Score', exact: true }).click();
        const result = page.getByTestId('score-result');
        await page.waitForFunction((n) => document.querySelector('[data-testid=score-result]')?.textContent?.includes(`: ${n} tokens`), c.ids.length, { timeout: 120_000 });
        const got = JSON.parse((await result.getAttribute('data-logprobs'))!) as number[];
        expect(got).toHaveLength(c.logprobs.length);
        got.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - c.logprobs[i]!))));
      }
      console.info(`WebGPU, ${arch} fixture: largest difference from golden.json ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(1e-4);
    }
    await context.close();
  });

  it('downloads with progress, estimates memory, runs a cycle, then runs again from the cache with the server stopped', { timeout: 600_000 }, async () => {
    const context = await browser.newContext({ ...PAGE_OPTIONS, viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.goto(`${baseUrl}index.html?backend=webgpu${HUB1}`);
    await page.getByTestId('backend').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('backend').textContent()).toBe('webgpu');
    // this machine's endpoint: a local setting, not part of the link
    await page.getByText('Where models come from').click();
    await page.locator('#hf-endpoint').fill(endpoint);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    expect(page.url()).not.toContain('127.0.0.1%3A');

    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const download = page.getByTestId('model-download');
    await download.waitFor({ timeout: 60_000 });
    await page.getByTestId('memory-estimate').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('memory-estimate').textContent()).toMatch(/Memory for tiny\/gpt2: 0\.\dM parameters: weights .* = about \d+ MiB/);
    await waitStatus(page, 'finished');
    expect(await download.textContent()).toMatch(/model\.safetensors: [\d.]+ MiB/);
    expect(await download.textContent()).not.toContain('(cached)');
    expect(log.some((u) => u.endsWith('/tiny/gpt2/resolve/main/model.safetensors'))).toBe(true);
    expect(await page.locator('[data-testid=stats-table] tbody tr').count()).toBe(2);
    // the link names the commit the server resolved; the model is listed as cached
    await page.waitForFunction((c) => location.hash.includes(`model=tiny%2Fgpt2%40${c}`), COMMIT, { timeout: 10_000 });
    await page.getByTestId('cached-models').waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('cached-models').textContent()).toContain(`tiny/gpt2 (commit ${COMMIT.slice(0, 12)})`);

    // "Download LoRA adapter": a zip in PEFT's format for the Hub base tiny/gpt2 at the resolved commit
    const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download LoRA adapter (PEFT)' }).click()]);
    const zip = unzipSync(new Uint8Array(readFileSync((await file.path())!)));
    expect(Object.keys(zip).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors', 'tokenizer.json']);
    const adapterConfig = JSON.parse(new TextDecoder().decode(zip['adapter_config.json'])) as Record<string, unknown>;
    expect(adapterConfig).toMatchObject({ peft_type: 'LORA', base_model_name_or_path: 'tiny/gpt2', revision: COMMIT, r: 4, target_modules: ['c_attn'], fan_in_fan_out: true });
    const names = [...readSafetensors(zip['adapter_model.safetensors']!).tensors.keys()].sort();
    expect(names).toEqual([0, 1, 2].flatMap((i) => ['A', 'B'].map((m) => `base_model.model.transformer.h.${i}.attn.c_attn.lora_${m}.weight`)));

    await new Promise<void>((r) => server.close(() => r()));
    const before = log.length;
    await page.reload();
    await page.getByTestId('backend').waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await waitStatus(page, 'finished');
    expect(await download.textContent()).toMatch(/model\.safetensors: [\d.]+ MiB \(cached\)/);
    expect(log.length).toBe(before); // nothing asked of the (stopped) server
    expect(await page.locator('[data-testid=stats-table] tbody tr').count()).toBe(2);
    // Delete empties the cache: the model is gone from the list (and from the Cache API)
    await page.getByTestId('cached-models').getByRole('button', { name: 'Delete' }).click();
    await page.getByText('No Hub model is cached yet.').waitFor({ timeout: 10_000 });
    expect(await page.evaluate(async () => (await (await caches.open('raftlab-hub-v1')).keys()).length)).toBe(0);
    await context.close();
  });

  it('a saved run on a Hub model resumes from its LoRA checkpoint after a reload, from the cache with the server stopped', { timeout: 240_000 }, async () => {
    const own = await startHubServer([]);
    const context = await browser.newContext({ ...PAGE_OPTIONS, viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.goto(`${baseUrl}index.html?backend=wasm${HUB1.replace('&c=1&', '&c=2&')}`);
    await page.getByTestId('backend').waitFor({ timeout: 60_000 });
    await page.getByText('Where models come from').click();
    await page.locator('#hf-endpoint').fill(own.endpoint);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    for (const n of [1, 2]) {
      await page.getByRole('button', { name: 'Step', exact: true }).click();
      await page.waitForFunction((k) => document.querySelectorAll('[data-testid=stats-table] tbody tr td:first-child').length >= k && document.querySelector('[data-testid=run-status]')?.textContent === 'paused', n, { timeout: WAIT, polling: 100 });
    }
    const before = await page.locator('[data-testid=stats-table] tbody tr').allTextContents();
    await new Promise<void>((r) => own.server.close(() => r()));
    await page.reload();
    await page.getByTestId('backend').waitFor({ timeout: 60_000 });
    const saved = page.getByTestId('saved-run');
    await saved.first().waitFor({ timeout: 30_000 });
    await saved.first().getByRole('button', { name: 'Resume', exact: true }).click();
    await waitStatus(page, 'finished');
    const after = await page.locator('[data-testid=stats-table] tbody tr').allTextContents();
    expect(after).toHaveLength(3); // cycles 0 and 1 from the store, cycle 2 trained on the restored adapters
    expect(after.slice(0, 2)).toEqual(before);
    // the stored run names the pinned model; its checkpoint holds the LoRA adapters only
    const stored = await page.evaluate(async () => {
      const db = await new Promise<IDBDatabase>((res, rej) => {
        const r = indexedDB.open('raftlab');
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      const get = <T,>(store: string) => new Promise<T[]>((res) => {
        const q = db.transaction(store, 'readonly').objectStore(store).getAll();
        q.onsuccess = () => res(q.result as T[]);
      });
      const runs = await get<{ config: { model: string } }>('runs');
      const ckpts = await get<{ data?: ArrayBuffer | Uint8Array; bytes?: ArrayBuffer | Uint8Array }>('checkpoints');
      const size = (c: { data?: ArrayBuffer | Uint8Array; bytes?: ArrayBuffer | Uint8Array }) => (c.data ?? c.bytes)?.byteLength ?? 0;
      return { models: runs.map((r) => r.config.model), sizes: ckpts.map(size) };
    });
    expect(stored.models).toEqual([`tiny/gpt2@${COMMIT}`]);
    // the tiny GPT-2 has 0.1M weights (0.4 MB); its c_attn adapters of rank 4 are 3 x 4 x (48 + 144) values
    expect(Math.max(...stored.sizes)).toBeLessThan(100_000);
    await context.close();
  });

  it('broken models and a run that cannot fit get a message each, and the page goes on', { timeout: 180_000 }, async () => {
    const second = await startHubServer([]);
    const context = await browser.newContext({ ...PAGE_OPTIONS });
    const page = await context.newPage();
    await page.goto(`${baseUrl}index.html?backend=wasm${HUB1}`);
    await page.getByTestId('backend').waitFor({ timeout: 60_000 });
    await page.getByText('Where models come from').click();
    const setMachine = async (url: string, budget: string) => {
      await page.locator('#hf-endpoint').fill(url);
      await page.locator('#memory-budget').fill(budget);
      await page.getByRole('button', { name: 'Save', exact: true }).click();
    };
    const failsWith = async (model: string, message: RegExp) => {
      const field = page.locator('#cfg-model');
      await field.fill(model);
      await field.dispatchEvent('change');
      await page.getByRole('button', { name: 'Run', exact: true }).click();
      await waitStatus(page, 'stopped by an error', 60_000);
      expect(await page.getByRole('alert').first().textContent()).toMatch(message);
      await page.getByRole('button', { name: 'Reset', exact: true }).click();
      await waitStatus(page, 'ready', 30_000);
    };
    await setMachine('http://127.0.0.1:9', '');
    await failsWith('tiny/nope', /fetching http:\/\/127\.0\.0\.1:9\/tiny\/nope\/resolve\/main\/config\.json failed/);
    await setMachine(second.endpoint, '');
    await failsWith('tiny/nope', /tiny\/nope@main has no config\.json \(does the model, and its revision, exist\?\)/);
    await failsWith('tiny/gpt2@v9', /tiny\/gpt2@v9 has no config\.json/);
    await failsWith('tiny/mamba', /model_type "mamba" is not supported; supported: gpt2, llama/);
    await failsWith('tiny/pastend', /points past the end/);
    await failsWith('tiny/html', /safetensors/);
    await failsWith('tiny/broken', /broke off|truncated|failed/);
    // the estimate is refused against a budget before any weight is fetched
    await setMachine(second.endpoint, '1');
    await failsWith('tiny/gpt2', /the run needs 0\.1M parameters: .* more than the 1 MiB available/);
    // and the embedded model still runs
    await page.locator('#cfg-model').fill('embedded');
    await page.locator('#cfg-model').dispatchEvent('change');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await waitStatus(page, 'finished', 120_000);
    await context.close();
    await new Promise<void>((r) => second.server.close(() => r()));
  });
});
