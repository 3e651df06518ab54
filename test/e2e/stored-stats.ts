/** Every stored cycle's stats of the page's runs, read straight from the lab's IndexedDB (full precision, times dropped). */
import type { Page } from 'playwright-core';

export type Stats = Record<string, unknown> & { cycle: number; ms?: unknown };

export function storedStats(page: Page): Promise<Stats[][]> {
  return page.evaluate(
    () =>
      new Promise<Stats[][]>((resolve, reject) => {
        const req = indexedDB.open('raftlab');
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const all = req.result.transaction('cycles').objectStore('cycles').getAll();
          all.onsuccess = () => {
            const byRun = new Map<string, Stats[]>();
            for (const c of all.result as Array<{ runId: string; stats: Stats }>) {
              byRun.set(c.runId, [...(byRun.get(c.runId) ?? []), { ...c.stats, ms: null }]);
            }
            req.result.close();
            resolve([...byRun.values()].map((l) => l.sort((a, b) => a.cycle - b.cycle)));
          };
        };
      }),
  );
}
