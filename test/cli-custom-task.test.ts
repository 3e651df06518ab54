// Custom tasks on the CLI: the shortcut --prompts FILE.jsonl --reward-py FILE.py --eval-prompts FILE.jsonl, recorded
// in a run directory, interrupted and resumed to the stats of an uninterrupted run; --task-file with a learned
// reward served by a local Hub server; bad task files refused before anything runs.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raftlab, startHubServer } from './hub-server';
import type { Server } from 'node:http';

const SHORTCUT = ['--prompts', 'examples/praise/prompts.jsonl', '--reward-py', 'examples/praise/reward.py', '--eval-prompts', 'examples/praise/eval.jsonl'];
const TINY = ['--cycles', '3', '--seed', '3', '--prompts-per-cycle', '6', '--samples-per-prompt', '3', '--eval-texts', '8', '--max-new-tokens', '16'];
const untimed = (rows: unknown[]) => rows.map((r) => {
  const { ms: _ms, verifyPerSec: _v, ...rest } = r as Record<string, unknown>;
  return rest;
});
const lines = (file: string) => existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];

let hub: { server: Server; endpoint: string };
beforeAll(async () => {
  hub = await startHubServer([]);
});
afterAll(() => hub.server.close());

describe('raftlab run on your own task', () => {
  it('--prompts + --reward-py: rows reach the reward; interrupted and resumed, it ends as an uninterrupted run', { timeout: 300_000 }, async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'raftlab-custom-'));
    const whole = await raftlab(['run', ...SHORTCUT, ...TINY, '--out', join(tmp, 'whole.json')], {});
    expect(whole.code, whole.err).toBe(0);
    expect(whole.out).toContain('task: prompts: prompts from prompts.jsonl, reward reward.py; 116 train and 29 eval prompts');
    expect(whole.out).toMatch(/#v=2&seed=3&task=custom&td=z/);
    const result = JSON.parse(readFileSync(join(tmp, 'whole.json'), 'utf8')) as { config: { task: string; taskDoc: string; maxNewTokens: number }; cycles: Array<Record<string, unknown>> };
    expect(result.config.task).toBe('custom');
    expect(JSON.parse(result.config.taskDoc).prompts[0]).toEqual({ prompt: 'honestly , the villain', topic: 'acting' });
    expect(result.config.maxNewTokens).toBe(16);
    expect(result.cycles.map((c) => c.rewardErrors)).toEqual([0, 0, 0, 0]);

    const dir = join(tmp, 'run');
    const child = spawn(process.execPath, ['bin/raftlab.mjs', 'run', ...SHORTCUT, ...TINY, '--run-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    const code = await new Promise<number | null>((resolve) => {
      const poll = setInterval(() => {
        if (lines(join(dir, 'stats.jsonl')).length >= 2) {
          clearInterval(poll);
          child.kill('SIGINT');
        }
      }, 20);
      child.on('exit', (c) => {
        clearInterval(poll);
        resolve(c);
      });
    });
    expect(code).toBe(130);
    const resumed = await raftlab(['run', '--resume', dir, '--out', join(tmp, 'resumed.json')], {});
    expect(resumed.code, resumed.err).toBe(0);
    const back = JSON.parse(readFileSync(join(tmp, 'resumed.json'), 'utf8')) as { config: unknown; cycles: unknown[] };
    expect(back.config).toEqual(result.config);
    expect(untimed(back.cycles)).toEqual(untimed(result.cycles));
    // the samples on disk carry the reward's breakdown
    const sample = JSON.parse(lines(join(dir, 'samples', 'cycle-1.jsonl'))[0]!) as { breakdown: Record<string, unknown> };
    expect(Object.keys(sample.breakdown).sort()).toEqual(['mentions', 'praise']);
  });

  it('--task-file with a learned reward (a Hub classifier from --hf-endpoint)', { timeout: 180_000 }, async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'raftlab-custom-'));
    const file = join(tmp, 'task.json');
    writeFileSync(file, JSON.stringify({
      raftlabTask: 1, name: 'positive reviews', prompts: readFileSync('examples/praise/prompts.jsonl', 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).prompt),
      reward: { terms: [{ kind: 'classifier', model: 'tiny/sentiment-classifier', label: 'POSITIVE' }, { kind: 'builtin', name: 'length', target: 12, weight: 0.5 }] },
      generation: { maxNewTokens: 20, stop: [' .'] },
    }));
    const r = await raftlab(['run', '--task-file', file, '--cycles', '1', '--prompts-per-cycle', '4', '--samples-per-prompt', '3', '--eval-prompts', '4', '--eval-texts', '4', '--hf-endpoint', hub.endpoint, '--out', join(tmp, 'out.json')], { RAFTLAB_CACHE: join(tmp, 'cache') });
    expect(r.code, r.err).toBe(0);
    const out = JSON.parse(readFileSync(join(tmp, 'out.json'), 'utf8')) as { config: { maxNewTokens: number }; cycles: Array<{ evalReward: number; rewardErrors: number }> };
    expect(out.config.maxNewTokens).toBe(20); // the task's generation default
    expect(out.cycles).toHaveLength(2);
    for (const c of out.cycles) {
      expect(c.rewardErrors).toBe(0);
      expect(c.evalReward).toBeGreaterThan(0);
      expect(c.evalReward).toBeLessThan(1);
    }
  });

  it('refuses a reward that does not compile, a broken task file and a lone --eval-prompts file before anything runs', { timeout: 120_000 }, async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'raftlab-custom-'));
    writeFileSync(join(tmp, 'bad.py'), 'def reward(prompts, completions:\n    return []\n');
    const syntax = await raftlab(['run', '--prompts', 'examples/praise/prompts.jsonl', '--reward-py', join(tmp, 'bad.py'), '--cycles', '1'], {});
    expect(syntax.code).toBe(2);
    expect(syntax.err).toMatch(/the python reward: the reward code does not compile: SyntaxError/);
    expect(syntax.out).not.toContain('cycle ');
    writeFileSync(join(tmp, 'task.json'), '{"raftlabTask": 1, "name": "x", "prompts": [1, 2], "reward": {"kind": "builtin", "name": "json"}}');
    const broken = await raftlab(['run', '--task-file', join(tmp, 'task.json')], {});
    expect(broken.code).toBe(2);
    expect(broken.err).toContain('task.json: prompts[0] must be an object with a "prompt" field (or a string)');
    const lone = await raftlab(['run', '--eval-prompts', 'examples/praise/eval.jsonl'], {});
    expect(lone.code).toBe(2);
    expect(lone.err).toMatch(/is a file, which goes with --prompts/);
  });
});
