/**
 * Two vitest projects, both run by `npm test`: `unit` (Node, TF.js WASM backend set up in test/setup.ts) and
 * `e2e` (the built site in headless Chromium; test/e2e/global-setup.ts builds and serves it). The e2e project runs
 * after the unit tests (groupOrder), so that its responsiveness checks do not share the CPU with them. The unit files
 * run two at a time (one per core of this project's 2-core machine; vitest's default leaves one core idle), the e2e
 * files one at a time (each drives a Chromium that uses every core, and some check that the page stays responsive).
 */
import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          maxWorkers: 2,
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/e2e/**'],
          setupFiles: ['test/setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          maxWorkers: 1,
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/e2e/global-setup.ts'],
          sequence: { groupOrder: 1 },
          testTimeout: 300_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
