import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/raftlab.mjs', ...args], { encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('raftlab CLI', () => {
  it('a bad flag gets a clear message and exit code 2', () => {
    const unknown = cli('run', '--task', 'sentiment', '--bogus', '3');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('unknown flag --bogus');
    const range = cli('run', '--samples-per-prompt', '0');
    expect(range.code).toBe(2);
    expect(range.err).toMatch(/samplesPerPrompt must be an integer between 1 and 64/);
    const choice = cli('run', '--select', 'best');
    expect(choice.code).toBe(2);
    expect(choice.err).toContain('--select');
    expect(cli('fly').code).toBe(2);
  });

  it('--help lists the flags of the config schema and exits 0', () => {
    const r = cli('run', '--help');
    expect(r.code).toBe(0);
    for (const flag of ['--samples-per-prompt', '--select', '--lora', '--seed', '--cycles', '--out']) expect(r.out).toContain(flag);
  });

  it('config --url prints the resolved configuration and its problems; exit 0 only when there are none', () => {
    const good = cli('config', '--url', 'http://localhost:5173/#v=1&seed=5&k=8');
    expect(good.code).toBe(0);
    const parsed = JSON.parse(good.out) as { config: { seed: number; samplesPerPrompt: number }; problems: unknown[] };
    expect(parsed.config.seed).toBe(5);
    expect(parsed.config.samplesPerPrompt).toBe(8);
    expect(parsed.problems).toEqual([]);
    const bad = cli('config', '--url', '#v=1&k=999&zz=1&sel=%3Cscript%3E');
    expect(bad.code).toBe(2);
    const problems = (JSON.parse(bad.out) as { problems: Array<{ key: string }> }).problems.map((p) => p.key);
    expect(problems.sort()).toEqual(['samplesPerPrompt', 'select', 'zz']);
    expect(cli('config').code).toBe(2);
  });

  it('compare runs every method on the same settings and writes {runs: [{method, config, cycles}]}', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'raftlab-')), 'compare.json');
    const tiny = ['--cycles', '1', '--prompts-per-cycle', '2', '--samples-per-prompt', '2', '--eval-prompts', '2',
      '--eval-samples-per-prompt', '1', '--eval-texts', '4', '--max-new-tokens', '8'];
    const r = cli('compare', '--methods', 'raft,uft,sft,best-of-k', '--seed', '3', ...tiny, '--out', out);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/final cycle \(1\) per method/);
    const file = JSON.parse(readFileSync(out, 'utf8')) as { runs: Array<{ method: string; config: { seed: number; method: string }; cycles: Array<{ cycle: number; klToRef: number }> }> };
    expect(file.runs.map((x) => x.method)).toEqual(['raft', 'uft', 'sft', 'best-of-k']);
    for (const run of file.runs) {
      expect(run.config.seed).toBe(3);
      expect(run.config.method).toBe(run.method);
      expect(run.cycles.map((c) => c.cycle)).toEqual([0, 1]);
      expect(run.cycles[0]!.klToRef).toBe(0);
    }
    // every method starts from the same base model evaluation
    expect(new Set(file.runs.map((x) => JSON.stringify({ ...x.cycles[0], ms: null }))).size).toBe(1);
  });

  it('compare --general on the generalist: a forgetting report per method and cycle (ablation rows with --ablations), in the JSON too', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'raftlab-')), 'forgetting.json');
    const r = cli('compare', '--task', 'answer-key', '--model', 'generalist', '--methods', 'sft,domain-raft', '--ablations', '--general', 'sentiment',
      '--cycles', '1', '--prompts-per-cycle', '4', '--eval-prompts', '4', '--eval-samples-per-prompt', '1', '--eval-texts', '4', '--max-new-tokens', '8', '--out', out);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/forgetting: domain accuracy and the general tasks \(sentiment\)/);
    const file = JSON.parse(readFileSync(out, 'utf8')) as {
      runs: Array<{ label: string; config: { drRewrite: boolean; drTopK: number }; cycles: Array<{ general: Record<string, { reward: number; perplexity: number }> }> }>;
      forgetting: Array<{ label: string; cycle: number; dAccuracy: number; general: Record<string, { reward: number; dReward: number; dPerplexity: number }> }>;
    };
    expect(file.runs.map((x) => x.label)).toEqual([
      'sft', 'domain-raft (top 8, tau 1, ema)', 'domain-raft (no rewrite)', 'domain-raft (no filter)', 'domain-raft (no distill)', 'domain-raft (all tokens (no top-K))', 'domain-raft (fixed balance)',
    ]);
    expect(file.runs[2]!.config.drRewrite).toBe(false);
    expect(file.runs[5]!.config.drTopK).toBe(0);
    // every run measured sentiment on the same base model at cycle 0; changes are from there
    expect(new Set(file.runs.map((x) => JSON.stringify(x.cycles[0]!.general))).size).toBe(1);
    expect(file.forgetting).toHaveLength(14);
    for (const row of file.forgetting) {
      const g = row.general.sentiment!;
      expect(g.reward).toBeGreaterThanOrEqual(0);
      if (row.cycle === 0) expect([row.dAccuracy, g.dReward, g.dPerplexity]).toEqual([0, 0, 0]);
    }
    expect(file.forgetting.filter((x) => x.cycle === 1).some((x) => x.general.sentiment!.dPerplexity !== 0)).toBe(true);
  });
});
