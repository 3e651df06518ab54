/**
 * Chromium for the end-to-end tests: the system browser (/usr/bin/chromium, or RAFTLAB_CHROMIUM) driven by
 * playwright-core, headless, with WebGPU on SwiftShader (Vulkan on the CPU) so the lab's WebGPU path runs on
 * machines without a GPU. The flags are documented in DEVELOPERS.md.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.RAFTLAB_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--use-angle=swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * Options of every page and context the tests open: service workers blocked. The lab's coi-serviceworker (which makes
 * a static host's page cross-origin isolated) reloads a page once when it first registers; tests other than the
 * isolation test block it, so that no reload races a test and `route()` patches of worker scripts apply (requests a
 * service worker answers bypass them). test/e2e/isolation.test.ts lets it run.
 */
export const PAGE_OPTIONS = { serviceWorkers: 'block' } as const;

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_FLAGS });
}
