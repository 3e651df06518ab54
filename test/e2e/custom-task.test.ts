/**
 * Your own task in headless Chromium (TF.js WASM backend; the Python reward runs in the real Pyodide worker):
 * - a task file opened in the "Your task" editor (prompts JSONL with a row field, a Python reward with TRL's
 *   per-sample signature), its code in the CodeMirror editor, "Try the reward" on one sample, "Use this task",
 *   a run whose link carries the task; the task saved in IndexedDB and listed after a reload; the run reloaded
 *   mid-cycle resumes (after the consent to its Python code) and ends with the stats of an uninterrupted run;
 * - a learned reward: the project's tiny ONNX classifier from a local Hub-layout server, run by transformers.js in
 *   the trainer worker (ONNX Runtime Web's files from the lab's own origin), scores as the fixture's numpy reference;
 * - a link whose task has Python shows the code and asks before anything runs (no Pyodide is fetched until the
 *   user allows it), and the task's name with markup stays text; a 1 MB task link is refused as text;
 * - an image task file (kind image) in the editor: a bad prompt named with its path and word, the example used as the
 *   run's task (its link carries it; the settings it decides are no controls).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromiumAvailable, launchChromium, PAGE_OPTIONS } from './chromium';
import { storedStats } from './stored-stats';
import { encodeTaskLink } from '../../src/core/config/task-link';
import { parseTaskDocument, taskDocumentJson } from '../../src/core/tasks/custom/document';
import { FIXTURES, startHubServer } from '../hub-server';
import { join } from 'node:path';

const baseUrl = inject('e2eBaseUrl');
const TINY3 = '#v=2&seed=1&c=3&p=2&k=2&len=8&ev=2&evk=1&evt=8&ep=2';
const WAIT = 180_000;
const REWARD = readFileSync('examples/praise/reward.py', 'utf8');
const TASK = {
  raftlabTask: 1,
  name: 'Praise the part',
  prompts: readFileSync('examples/praise/prompts.jsonl', 'utf8').split('\n').filter(Boolean).slice(0, 12).map((l) => JSON.parse(l)),
  evalPrompts: readFileSync('examples/praise/eval.jsonl', 'utf8').split('\n').filter(Boolean).slice(0, 4).map((l) => JSON.parse(l)),
  reward: { kind: 'python', code: REWARD },
  generation: { maxNewTokens: 8 },
};

describe.skipIf(!baseUrl || !chromiumAvailable())('your own task in Chromium', () => {
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
  });

  async function open(hash: string, context?: BrowserContext, requests?: string[]): Promise<Page> {
    const ctx = context ?? (await browser.newContext({ ...PAGE_OPTIONS, viewport: { width: 1400, height: 1000 } }));
    if (!context) contexts.push(ctx);
    const page = await ctx.newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    if (requests) ctx.on('request', (r) => requests.push(r.url()));
    await page.goto(`${baseUrl}index.html?backend=wasm${hash}`);
    await page.getByTestId('backend').waitFor({ timeout: 60_000 });
    return page;
  }

  const waitRows = (page: Page, n: number) =>
    page.waitForFunction((k) => document.querySelectorAll('[data-testid=stats-table] tbody tr td:first-child').length >= k && !document.querySelector('[data-testid=stats-table] td.empty'), n, { timeout: WAIT, polling: 100 });
  const waitStatus = (page: Page, s: string) =>
    page.waitForFunction((v) => document.querySelector('[data-testid=run-status]')?.textContent === v, s, { timeout: WAIT, polling: 200 });
  // a button may wait for the worker (Pyodide loads on the first Python task): up to WAIT
  const click = (page: Page, name: string) => page.getByRole('button', { name, exact: true }).click({ timeout: WAIT });

  it('a task file in the editor: try the reward, use it, save it, run it, reload mid-cycle and resume to the stats of an uninterrupted run', { timeout: 600_000 }, async () => {
    const page = await open(TINY3);
    const panel = page.getByTestId('task-panel');
    await panel.getByText('Write or open a task').click();
    await panel.getByLabel('Open a task file').setInputFiles({ name: 'praise.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(TASK)) });
    // a file is read asynchronously: the status is polled, not read once
    await expect.poll(() => panel.getByRole('status').textContent(), { timeout: 10_000 }).toBe('Opened praise.json.');
    expect(await panel.getByTestId('task-status').textContent()).toBe('12 prompts and 4 held out; 1 reward term.');
    // the reward's code is in the CodeMirror editor, highlighted as Python
    const editor = panel.getByTestId('code-editor');
    expect(await editor.locator('.cm-content').textContent()).toContain('def reward(prompt, completion, topic, **row):');
    expect(await editor.locator('.cm-line span').count()).toBeGreaterThan(5);
    // Try the reward: the first prompt's row ({"topic": "acting"}) reaches the function in the Python worker
    await panel.getByTestId('try-completion').fill('was great and the acting was superb');
    await click(page, 'Try the reward');
    await page.getByTestId('try-result').waitFor({ timeout: WAIT });
    expect(await page.getByTestId('try-result').textContent()).toBe('reward 1.0000 (mentions: true, praise: true)');
    await panel.getByTestId('try-completion').fill('was dull');
    await click(page, 'Try the reward');
    await page.waitForFunction(() => document.querySelector('[data-testid=try-result]')?.textContent?.startsWith('reward 0.0000'), null, { timeout: WAIT });

    await click(page, 'Save in this browser');
    await page.getByTestId('saved-tasks').getByText('Praise the part').waitFor();
    await click(page, 'Use this task');
    expect(page.url()).toMatch(/task=custom&td=z[\w-]+/);
    expect(await page.getByTestId('python-consent').count()).toBe(0); // the user's own code from the editor
    await click(page, 'Run');
    await waitRows(page, 2);
    await page.getByTestId('phase').waitFor({ timeout: WAIT });
    const link = page.url();
    await page.reload();
    const offer = page.getByTestId('resume-offer');
    await offer.waitFor({ timeout: 60_000 });
    const resume = offer.getByRole('button', { name: /^Resume .* from cycle \d$/ });
    expect(await resume.textContent()).toMatch(/Resume Praise the part seed 1 from cycle 2/);
    await page.getByTestId('backend').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('saved-tasks').getByText('Praise the part').count()).toBe(1); // IndexedDB kept the task
    // the reloaded page has not seen this code allowed: it asks again, and the resumed run waits for the answer
    expect(await page.getByTestId('python-consent').count()).toBe(1);
    await resume.click();
    await waitStatus(page, 'paused');
    expect(await page.getByTestId('python-consent').count()).toBe(1);
    await click(page, 'Allow this code to run');
    await click(page, 'Run');
    await waitStatus(page, 'finished');
    const resumed = await storedStats(page);
    expect(resumed).toHaveLength(1);
    expect(resumed[0]!.map((s) => s.cycle)).toEqual([0, 1, 2, 3]);
    expect(resumed[0]!.every((s) => s.rewardErrors === 0)).toBe(true);

    const fresh = await open(new URL(link).hash);
    await click(fresh, 'Allow this code to run');
    await click(fresh, 'Run');
    await waitStatus(fresh, 'finished');
    // timings aside (verification throughput is one), the resumed run is the uninterrupted one
    const untimed = (runs: Awaited<ReturnType<typeof storedStats>>) => runs.map((r) => r.map(({ verifyPerSec: _v, ...rest }) => rest));
    expect(untimed(await storedStats(fresh))).toEqual(untimed(resumed));
  });

  it('a link\'s Python is shown and asked about before anything runs; markup in the task\'s name stays text; a 1 MB task link is refused', { timeout: 300_000 }, async () => {
    const name = '<img src=x onerror="window.__pwned=1"><b>bold</b> task';
    const doc = taskDocumentJson(parseTaskDocument({ ...TASK, name, reward: { kind: 'python', code: 'import js\ndef reward(prompt, completion):\n    return 1.0\n' } }));
    const requests: string[] = [];
    const page = await open(`${TINY3}&task=custom&td=${encodeTaskLink(doc)}`, undefined, requests);
    const consent = page.getByTestId('python-consent');
    await consent.waitFor();
    expect(await consent.getByTestId('consent-code').textContent()).toContain('import js');
    expect(await consent.textContent()).toContain(name);
    expect(await consent.locator('img, b').count()).toBe(0);
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.getByRole('button', { name: 'Run', exact: true }).isDisabled()).toBe(true);
    await page.waitForTimeout(1000);
    expect(requests.filter((u) => u.includes('/pyodide/'))).toEqual([]);
    await click(page, 'Allow this code to run');
    expect(await page.getByRole('button', { name: 'Run', exact: true }).isDisabled()).toBe(false);

    // a 1 MB task link: refused as text, the defaults kept
    const big = await open(`#v=2&seed=1&task=custom&td=z${'A'.repeat(1024 * 1024)}`);
    const problems = big.getByRole('alert').first();
    expect(await problems.textContent()).toMatch(/too long/);
    expect(await big.getByTestId('python-consent').count()).toBe(0);
    expect(await big.locator('#cfg-task').inputValue()).toBe('sentiment');
  });

  it('an image task file: a bad one named by path and word, the example opened and used; its link carries it and what it decides is no control', { timeout: 120_000 }, async () => {
    const page = await open('#v=2&seed=1');
    const panel = page.getByTestId('task-panel');
    await panel.getByText('Write or open a task').click();
    const example = readFileSync('examples/red-on-the-left/task.json', 'utf8');
    const bad = JSON.stringify({ ...JSON.parse(example), prompts: ['a purplish circle'] });
    await panel.getByLabel('Open a task file').setInputFiles({ name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from(bad) });
    await expect.poll(() => panel.getByRole('status').textContent(), { timeout: 10_000 }).toBe('bad.json: prompts[0] has an unknown word "purplish" (not a word of the scenes grammar)');
    await panel.getByLabel('Open a task file').setInputFiles({ name: 'red.json', mimeType: 'application/json', buffer: Buffer.from(example) });
    await expect.poll(() => panel.getByTestId('task-status').textContent(), { timeout: 10_000 }).toBe('8 prompts and 4 held out; 2 reward terms on model scenes.');
    expect(await panel.getByTestId('task-kind').inputValue()).toBe('image');
    await click(page, 'Use this task');
    expect(page.url()).toMatch(/task=custom&td=z[\w-]+/);
    expect(page.url()).not.toMatch(/sel=/); // scenes' own default selection
    const shown = await page.locator('[id^="cfg-"]:not([id$="-help"])').evaluateAll((els) => els.map((e) => e.id.slice('cfg-'.length)));
    expect(shown).toContain('ddimSteps');
    for (const k of ['imageReward', 'scenePrompts', 'imageSize', 'temperature']) expect(shown, k).not.toContain(k);
  });

  it('a learned reward runs in the trainer worker through transformers.js and scores as the independent reference', { timeout: 300_000 }, async () => {
    const requests: string[] = [];
    const { server, endpoint } = await startHubServer([]);
    try {
      const reference = JSON.parse(readFileSync(join(FIXTURES, 'sentiment-classifier', 'reference.json'), 'utf8')) as { texts: Array<{ text: string; probs: number[] }> };
      const page = await open('#v=2&seed=1', undefined, requests);
      await page.getByText('Where models come from').click();
      await page.locator('#hf-endpoint').fill(endpoint);
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      const panel = page.getByTestId('task-panel');
      await panel.getByText('Write or open a task').click();
      const task = { raftlabTask: 1, name: 'positive', prompts: ['This movie was', 'The plot'], reward: { kind: 'classifier', model: 'tiny/sentiment-classifier', label: 'POSITIVE' } };
      await panel.getByLabel('Open a task file').setInputFiles({ name: 'positive.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(task)) });
      await expect.poll(() => panel.getByRole('status').textContent(), { timeout: 10_000 }).toBe('Opened positive.json.');
      await panel.getByTestId('try-completion').fill(' great and the acting was wonderful!');
      await click(page, 'Try the reward');
      await page.getByTestId('try-result').waitFor({ timeout: WAIT });
      const text = (await page.getByTestId('try-result').textContent()) ?? '';
      expect(text).toMatch(/^reward 0\.\d{4} \(label: POSITIVE\)$/);
      expect(Number(text.split(' ')[1])).toBeCloseTo(reference.texts[0]!.probs[1]!, 4);
      // the runtime came from the lab's own origin, the model from the endpoint; nothing else was fetched
      expect(requests.some((u) => u.startsWith(baseUrl) && u.includes('/ort/ort-wasm-simd-threaded'))).toBe(true);
      expect(requests.filter((u) => !u.startsWith(baseUrl) && !u.startsWith(endpoint) && !u.startsWith('blob:') && !u.startsWith('data:'))).toEqual([]);
    } finally {
      server.close();
    }
  });
});
