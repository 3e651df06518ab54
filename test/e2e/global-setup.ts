/**
 * Global setup of the e2e project: builds the site once with Vite's JS API into a temporary folder and serves it
 * from a static server; the tests get its URL through `inject('e2eBaseUrl')` ('' when Chromium is missing, and
 * then nothing is built and the tests are skipped).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'vite';
import type { TestProject } from 'vitest/node';
import { chromiumAvailable } from './chromium';
import { serveStatic } from './static-server';

declare module 'vitest' {
  export interface ProvidedContext {
    e2eBaseUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!chromiumAvailable()) {
    project.provide('e2eBaseUrl', '');
    return async () => undefined;
  }
  const root = resolve(import.meta.dirname, '../..');
  const outDir = mkdtempSync(join(tmpdir(), 'raftlab-e2e-'));
  await build({ root, configFile: join(root, 'vite.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  const server = await serveStatic(outDir);
  project.provide('e2eBaseUrl', server.url);
  return async () => {
    await server.close();
    rmSync(outDir, { recursive: true, force: true });
  };
}
