// `raftlab run --task shapes` end to end on the embedded denoiser: the table, the JSON and the PNG grids.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main';

const dir = mkdtempSync(join(tmpdir(), 'raftlab-shapes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('raftlab run --task shapes', () => {
  it('runs a tiny image RAFT run, writes JSON with the image stats and PNG grids of the same eval seeds', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((l: unknown) => void lines.push(String(l)));
    const out = join(dir, 'run.json');
    const code = await main([
      'run', '--task', 'shapes', '--reward', 'symmetry', '--cycles', '1', '--seed', '4', '--prompts-per-cycle', '2',
      '--samples-per-prompt', '2', '--eval-prompts', '2', '--eval-samples-per-prompt', '1', '--eval-texts', '8',
      '--epochs-per-cycle', '1', '--select', 'per-prompt', '--images', join(dir, 'img'), '--out', out,
    ]);
    spy.mockRestore();
    expect(code).toBe(0);
    expect(lines.some((l) => l.includes('hoLoss'))).toBe(true);
    const json = JSON.parse(readFileSync(out, 'utf8'));
    expect(json.config.imageReward).toBe('symmetry');
    expect(json.cycles).toHaveLength(2);
    expect(json.cycles[1].keptCount).toBe(2);
    expect(json.cycles[1].perplexity).toBeNull();
    expect(json.cycles[1].heldOutLoss).toBeGreaterThan(0);
    for (const f of ['eval-cycle-0.png', 'eval-cycle-1.png', 'train-cycle-1.png', 'eval-cycle-0-vs-1.png']) {
      const png = readFileSync(join(dir, 'img', f));
      expect([...png.subarray(0, 4)]).toEqual([137, 80, 78, 71]);
    }
    expect(existsSync(join(dir, 'img', 'train-cycle-0.png'))).toBe(false);
    // each eval image on its own, indexed: the same seeds every cycle, the rewards the cycle's evalReward averages
    for (const cycle of [0, 1]) {
      const folder = join(dir, 'img', `eval-cycle-${cycle}`);
      const index = readFileSync(join(folder, 'index.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(index.map((e) => e.file)).toEqual(['p0-0.png', 'p1-0.png']);
      expect(Object.keys(index[0]).sort()).toEqual(['breakdown', 'file', 'prompt', 'reward', 'seed']);
      expect(index[0].breakdown).toHaveProperty('symmetry', Math.round(index[0].reward * 1000) / 1000);
      expect((index[0].reward + index[1].reward) / 2).toBeCloseTo(json.cycles[cycle].evalReward, 10);
      const png = readFileSync(join(folder, index[0].file));
      expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([16, 16]);
    }
    const seeds = (cycle: number) => readFileSync(join(dir, 'img', `eval-cycle-${cycle}`, 'index.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).seed);
    expect(seeds(1)).toEqual(seeds(0));
  });

  it('refuses --images for language tasks and compare for image tasks', async () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(await main(['run', '--task', 'sentiment', '--images', 'x'])).toBe(2);
    expect(await main(['compare', '--task', 'shapes'])).toBe(2);
    spy.mockRestore();
  });
});
