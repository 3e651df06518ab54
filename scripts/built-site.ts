/**
 * The built lab for the scripts that drive it in Chromium (bench-demo.ts, bench-first-visit.ts, screenshot.ts): a
 * folder of `npm run build`'s output (`--dist DIR`), or a fresh build into a temporary folder, served by the e2e tests'
 * static server (no COOP/COEP headers). `close()` stops the server and removes a temporary build.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'vite';
import { serveStatic } from '../test/e2e/static-server';

export async function builtSite(dist?: string): Promise<{ url: string; close: () => Promise<void> }> {
  const root = resolve(import.meta.dirname, '..');
  const own = !dist;
  const dir = dist ? resolve(dist) : mkdtempSync(join(tmpdir(), 'raftlab-site-'));
  if (own) await build({ root, configFile: join(root, 'vite.config.ts'), logLevel: 'warn', build: { outDir: dir, emptyOutDir: true } });
  const server = await serveStatic(dir);
  return {
    url: server.url,
    close: async () => {
      await server.close();
      if (own) rmSync(dir, { recursive: true, force: true });
    },
  };
}
