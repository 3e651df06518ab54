/**
 * End-to-end tests of the browser verifiers in headless Chromium: verify.html (a page of the build, not linked from
 * the lab) creates the verifiers in a worker, as the trainer worker does, so Pyodide, clang and the WASI runner run
 * as nested Web Workers from the built static files. Checks the rewards of correct and hostile samples, that a
 * timeout costs one sample (the next one is verified normally by a fresh worker), that generated Python reaches
 * neither IndexedDB nor the network by any route we know, that load progress is reported, and that every request
 * stays on the app's origin (no CDN). Prints load and per-sample times. Skipped when Chromium is missing.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM_PATH, chromiumAvailable, launchChromium, PAGE_OPTIONS } from './chromium';
import type { VerifyJob, VerifyResult } from '../../src/core/verify/types';
import type { VerifierLoadProgress } from '../../src/browser/verify/index';

const baseUrl = inject('e2eBaseUrl');

if (!chromiumAvailable()) {
  console.warn(`e2e verifier tests skipped: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set RAFTLAB_CHROMIUM)`);
}

interface RaftVerify {
  progress: VerifierLoadProgress[];
  verify(job: VerifyJob): Promise<{ result: VerifyResult; ms: number }>;
  warm(part: 'python' | 'clang' | 'all'): Promise<number>;
}

/** Tries every route from Python to JavaScript we know of and reports what it found in the worker's global scope. */
const IDB_ROUTES = String.raw`
import sys, gc
out = []
PROBE = 'return [typeof indexedDB, typeof fetch, typeof caches, typeof navigator, typeof importScripts, typeof WebSocket].join(",")'
def js_global(p):
    f = p.constructor
    if str(getattr(f, 'name', '')) != 'Function':
        f = f.constructor
    return f('return globalThis')()
def probe(route, p):
    try:
        g = js_global(p)
    except BaseException as e:
        out.append(route + ': no globalThis (' + type(e).__name__ + ')')
        return
    try:
        out.append(route + ': JS reached ' + str(g.Function(PROBE)()))
    except BaseException as e:
        out.append(route + ': probe failed ' + type(e).__name__)
    try:
        out.append(route + ': opened ' + str(g.indexedDB.open('raftlab')))
    except BaseException as e:
        out.append(route + ': indexedDB ' + type(e).__name__)
def attempt(route, get):
    try:
        probe(route, get())
    except BaseException as e:
        out.append(route + ': ' + type(e).__name__)
attempt('import js', lambda: __import__('js'))
sys.meta_path[:] = [m for m in sys.meta_path if type(m).__name__ != '_Blocker']
for k in list(sys.modules):
    if sys.modules[k] is None:
        del sys.modules[k]
attempt('js unblocked', lambda: __import__('js'))
attempt('pyodide_js unblocked', lambda: __import__('pyodide_js').runPython)
attempt('run_js', lambda: __import__('pyodide.code', fromlist=['run_js']).run_js('(x) => x'))
attempt('_pyodide_core', lambda: __import__('_pyodide_core').create_proxy(len))
found = [o for o in gc.get_objects() if 'JsProxy' in type(o).__name__ or type(o).__module__ == 'pyodide.ffi']
out.append('gc JsProxy objects: ' + str(len(found)))
for o in found[:5]:
    attempt('gc ' + type(o).__name__, lambda: o)
print('\n'.join(out))
`;

describe.skipIf(!baseUrl)('the verifiers in Chromium', () => {
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];
  const times: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    const context = await browser.newContext(PAGE_OPTIONS);
    context.on('request', (r) => requests.push(r.url()));
    page = await context.newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.goto(`${baseUrl}verify.html`);
    await page.waitForSelector('body[data-ready=true]', { timeout: 30_000 });
  });

  afterAll(async () => {
    if (times.length) console.log(`verifier times in headless Chromium:\n  ${times.join('\n  ')}`);
    await browser?.close();
  });

  async function verify(label: string, job: VerifyJob): Promise<VerifyResult> {
    const { result, ms } = await page.evaluate((j) => (globalThis as unknown as { raftVerify: RaftVerify }).raftVerify.verify(j), job);
    times.push(`${label}: ${ms} ms -> ${result.reward} (${String(result.breakdown.stage)})`);
    return result;
  }

  /**
   * IDB_ROUTES tries every route from Python to JavaScript (import js, undoing the import blocker, run_js,
   * _pyodide_core, gc, code from strings): the harness's policy refuses the sample before any line of it runs (the
   * worker's lockdown beneath it stays as a second layer), so it scores as a crash with nothing printed.
   */
  async function expectNoIndexedDb(label: string): Promise<void> {
    const idb = await verify(label, { lang: 'python', code: IDB_ROUTES });
    expect(idb.reward).toBe(0.3);
    expect(String(idb.breakdown.crash)).toMatch(/not allowed in the verifier/);
    expect(idb.breakdown.stdout ?? '').toBe('');
  }

  const progress = () => page.evaluate(() => (globalThis as unknown as { raftVerify: RaftVerify }).raftVerify.progress);

  it('loads nothing before the first sample', async () => {
    expect(await progress()).toEqual([]);
    expect(requests.filter((u) => /pyodide|llvm/.test(u))).toEqual([]);
  });

  it('C: a correct program scores 1.0, while(1){} times out, hostile samples get their reward and the next sample is verified normally', { timeout: 240_000 }, async () => {
    const hello = { lang: 'c' as const, code: '#include <stdio.h>\nint main(void) { for (int i = 1; i <= 3; i++) printf("%d\\n", i * i); return 0; }\n', expectedStdout: '1\n4\n9\n' };
    const first = await verify('C correct (cold: loads clang)', hello);
    expect(first.reward).toBe(1);
    expect(first.breakdown).toMatchObject({ compiled: true, ran: true, correct: true });
    const clang = (await progress()).filter((p) => p.part === 'clang');
    expect(clang.some((p) => p.state === 'loading' && p.total > 50e6 && p.loaded > 0)).toBe(true);
    const ready = clang.find((p) => p.state === 'ready');
    expect(ready?.loaded).toBe(ready?.total);
    times.push(`clang ready (download + warm-up compile, in the worker): ${ready?.loadMs} ms, ${ready?.total} bytes`);

    expect((await verify('C correct (warm)', hello)).reward).toBe(1);
    const loop = await verify('C while(1){} (limit 1500 ms)', { lang: 'c', code: 'int main(void) { while (1) {} }\n', timeoutMs: 1500 });
    expect(loop.breakdown).toMatchObject({ stage: 'timeout', timeout: true, ran: false });
    expect(loop.reward).toBe(0.5);
    const warn = await verify('C with a warning', { lang: 'c', code: '#include <stdio.h>\nint main(void) { int unused; printf("hi\\n"); return 0; }\n', expectedStdout: 'hi' });
    expect(warn.breakdown).toMatchObject({ compiled: true, ran: true, correct: true });
    expect(warn.breakdown.warnings).toBeGreaterThan(0);
    const err = await verify('C syntax error', { lang: 'c', code: 'int main(void) { return 0 }\n' });
    expect(err.reward).toBe(0);
    expect(String(err.breakdown.diagnostics)).toMatch(/error/);
    expect((await verify('C correct after the timeout', hello)).reward).toBe(1);
    const nul = await verify('C return *(int*)0', { lang: 'c', code: 'int main(void) { return *(int*)0; }\n' });
    expect(nul.breakdown).toMatchObject({ compiled: true, exitCode: 0 }); // wasm has a page 0 (scale.ts)
    const big = await verify('C malloc of 4e9 bytes', { lang: 'c', code: '#include <stdio.h>\n#include <stdlib.h>\nint main(void) { int *p = malloc(1000000000u * sizeof(int)); if (!p) return 3; p[999999999] = 1; return 0; }\n' });
    expect(big.breakdown).toMatchObject({ compiled: true, ran: false });
    const flood = await verify('C 1 MB of output', { lang: 'c', code: '#include <stdio.h>\nint main(void) { for (int i = 0; i < 1 << 20; i++) putchar(65); return 0; }\n', expectedStdout: 'A' });
    expect(flood.breakdown).toMatchObject({ ran: true, truncated: true, correct: false });
    expect((await verify('C correct after the hostile ones', hello)).reward).toBe(1);
  });

  it('Python: asserts pass, import js crashes, no route reaches IndexedDB, an infinite loop times out, a memory bomb crashes and the next sample is fine', { timeout: 240_000 }, async () => {
    const add = { lang: 'python' as const, code: 'def add(a, b):\n    return a + b\n', tests: ['assert add(1, 2) == 3', 'assert add(-1, 1) == 0'] };
    const first = await verify('Python asserts (cold: loads Pyodide)', add);
    expect(first.reward).toBe(1);
    expect(first.breakdown).toMatchObject({ ran: true, testsPassed: 2, testsTotal: 2 });
    const py = (await progress()).filter((p) => p.part === 'python');
    expect(py.some((p) => p.state === 'loading' && p.total > 10e6 && p.loaded > 0)).toBe(true);
    const ready = py.find((p) => p.state === 'ready');
    expect(ready).toBeDefined();
    times.push(`Pyodide ready (download + start + harness, in the worker): ${ready?.loadMs} ms, ${ready?.loaded} of ${ready?.total} bytes counted`);

    expect((await verify('Python asserts (warm)', add)).reward).toBe(1);
    const js = await verify('Python import js; js.fetch', { lang: 'python', code: 'import js\njs.fetch("http://example.com/")\n' });
    expect(js.breakdown).toMatchObject({ stage: 'crashed', ran: false });
    expect(String(js.breakdown.crash)).toMatch(/ImportError/);
    expect(js.reward).toBe(0.3);

    await expectNoIndexedDb('Python IndexedDB routes');

    const loop = await verify('Python while True (limit 1500 ms)', { lang: 'python', code: 'while True:\n    pass\n', timeoutMs: 1500 });
    expect(loop.breakdown).toMatchObject({ stage: 'timeout', timeout: true });
    expect(loop.reward).toBe(0.3);
    expect((await verify('Python asserts after the timeout (fresh worker)', add)).reward).toBe(1);
    const fresh = (await progress()).filter((p) => p.part === 'python' && p.state === 'ready');
    expect(fresh).toHaveLength(2);
    times.push(`Pyodide ready in the fresh worker (from the first worker's memory snapshot): ${fresh[1]?.loadMs} ms`);
    // the fresh worker, started from the snapshot, is as closed as the first one
    expect((await verify('Python import js (fresh worker)', { lang: 'python', code: 'import js\n' })).breakdown.crash).toMatch(/ImportError/);
    await expectNoIndexedDb('Python IndexedDB routes (fresh worker)');
    const bomb = await verify('Python [0] * 10**9', { lang: 'python', code: 'x = [0] * 10**9\n' });
    expect(bomb.breakdown).toMatchObject({ ran: false });
    expect(bomb.reward).toBe(0.3);
    const flood = await verify('Python 1 MB of output', { lang: 'python', code: 'print("A" * (1 << 20))\n', expectedStdout: 'A' });
    expect(flood.breakdown).toMatchObject({ ran: true, truncated: true, correct: false });
    expect((await verify('Python asserts after the hostile ones', add)).reward).toBe(1);
    const syntax = await verify('Python syntax error', { lang: 'python', code: 'def f(:\n  pass\n' });
    expect(syntax.reward).toBe(0);
    expect((await verify('Python empty sample', { lang: 'python', code: '' })).reward).toBe(0);
  });

  it('the lab: one c-programs training cycle on WebGPU, rewarded by clang in the trainer worker, with the loading shown', { timeout: 300_000 }, async () => {
    // WebGPU (SwiftShader) and a tiny configuration: Run with 1 cycle = cycle 0 (base) + cycle 1 (generate 2x2,
    // verify, select, train one epoch, evaluate 2 samples); no quota rounds
    const lab = await browser.newPage({ ...PAGE_OPTIONS, viewport: { width: 1400, height: 1000 } });
    lab.on('pageerror', (e) => console.error('page error:', e.message));
    const t0 = Date.now();
    await lab.goto(`${baseUrl}index.html?backend=webgpu#v=2&seed=1&task=c-programs&c=1&p=2&k=2&len=32&ev=2&evk=1&evt=4&ep=1&qt=0`);
    await lab.getByTestId('backend').waitFor({ timeout: 60_000 });
    expect(await lab.getByTestId('backend').textContent()).toBe('webgpu');
    await lab.getByRole('button', { name: 'Run', exact: true }).click();
    await lab.getByTestId('verifier-load').filter({ hasText: 'C compiler (clang)' }).waitFor({ timeout: 120_000 });
    await lab.waitForFunction(() => ['finished', 'error'].includes(document.querySelector('[data-testid=run-status]')?.textContent ?? ''), null, { timeout: 260_000, polling: 250 });
    expect(await lab.getByTestId('run-status').textContent()).toBe('finished');
    times.push(`lab: c-programs cycles 0-1 on WebGPU (clang in the trainer's nested worker): ${Date.now() - t0} ms from page load`);
    const rows = lab.locator('[data-testid=stats-table] tbody tr');
    expect(await rows.count()).toBe(2);
    // cycle 1 trained: its row has a finite training loss and the pass-rate column is filled
    const headers = (await lab.locator('[data-testid=stats-table] thead th').allTextContents()).map((h) => h.trim());
    const cells = await rows.nth(1).locator('td, th').allTextContents();
    for (const col of ['train loss', 'pass rate', 'verified/s']) {
      const at = headers.findIndex((h) => h.startsWith(col));
      expect(at, `column ${col} in ${headers.join('|')}`).toBeGreaterThanOrEqual(0);
      expect(Number.isFinite(Number(cells[at]!.trim())), `${col} = ${cells[at]}`).toBe(true);
    }
    expect(await lab.getByTestId('verifier-load').textContent()).toMatch(/C compiler \(clang\) ready/);
    expect(await lab.locator('body').innerText()).toMatch(/lang c, compileMs \d+, compiled (true|false)/);
    await lab.close();
  });

  it('fetches everything from the app itself (no CDN)', () => {
    const origin = new URL(baseUrl).origin;
    const foreign = requests.filter((u) => !u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith('blob:'));
    expect(foreign).toEqual([]);
    expect(requests.some((u) => u.includes('/pyodide/pyodide.asm.wasm'))).toBe(true);
  });
});
