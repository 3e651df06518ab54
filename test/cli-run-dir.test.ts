import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const TINY = ['--task', 'sentiment', '--cycles', '4', '--seed', '2', '--prompts-per-cycle', '6', '--samples-per-prompt', '3',
  '--eval-prompts', '6', '--eval-texts', '8', '--max-new-tokens', '16'];

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/raftlab.mjs', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Stats without the timings (they differ between identical runs). */
const untimed = (rows: unknown[]) => rows.map((r) => {
  const { ms: _ms, verifyPerSec: _v, ...rest } = r as Record<string, unknown>;
  return rest;
});
const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('raftlab run --run-dir / --resume', () => {
  it('SIGINT in cycle 2 exits 130 with the resume command; the resumed run ends with the stats of an uninterrupted one', { timeout: 240_000 }, async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'raftlab-rundir-'));
    const whole = cli('run', ...TINY, '--out', join(tmp, 'whole.json'));
    expect(whole.code).toBe(0);
    const wholeStats = (JSON.parse(readFileSync(join(tmp, 'whole.json'), 'utf8')) as { cycles: unknown[] }).cycles;

    const dir = join(tmp, 'run');
    const child = spawn(process.execPath, ['bin/raftlab.mjs', 'run', ...TINY, '--run-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const poll = setInterval(() => {
        const stats = join(dir, 'stats.jsonl');
        if (existsSync(stats) && readFileSync(stats, 'utf8').split('\n').filter(Boolean).length >= 2) {
          clearInterval(poll);
          child.kill('SIGINT'); // cycles 0 and 1 are saved: cycle 2 is running
        }
      }, 20);
      child.on('exit', (c) => {
        clearInterval(poll);
        resolve(c);
      });
    });
    expect(code).toBe(130);
    expect(out).toMatch(/SIGINT: interrupted in cycle 2; cycles 0-1 are saved in .*Resume with:\n {2}npx raftlab run --resume /s);
    expect(lines(join(dir, 'stats.jsonl')).map((s) => s.cycle)).toEqual([0, 1]);

    const resumed = cli('run', '--resume', dir, '--out', join(tmp, 'resumed.json'));
    expect(resumed.code).toBe(0);
    expect(resumed.out).toContain('resuming');
    const resumedStats = (JSON.parse(readFileSync(join(tmp, 'resumed.json'), 'utf8')) as { cycles: unknown[] }).cycles;
    expect(untimed(resumedStats)).toEqual(untimed(wholeStats));
    expect(untimed(lines(join(dir, 'stats.jsonl')))).toEqual(untimed(wholeStats));

    // the directory: config, every cycle's samples (kept ones marked), TRL-style kept samples, the two newest checkpoints
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { config: { seed: number }; link: string };
    expect(config.config.seed).toBe(2);
    expect(config.link).toContain('#v=2&seed=2');
    expect(readdirSync(join(dir, 'checkpoints')).sort()).toEqual(['cycle-3.ckpt', 'cycle-4.ckpt']);
    const c2 = lines(join(dir, 'samples', 'cycle-2.jsonl'));
    const train = c2.filter((s) => s.split === 'train');
    expect(train).toHaveLength(18);
    expect(c2.filter((s) => s.split === 'eval')).toHaveLength(6 * 4);
    for (const s of train) expect(typeof s.reward === 'number' && typeof s.kept === 'boolean' && typeof s.completion === 'string').toBe(true);
    const kept = lines(join(dir, 'samples', 'kept-cycle-2.jsonl'));
    expect(kept).toEqual(train.filter((s) => s.kept).map((s) => ({ prompt: s.prompt, completion: s.completion })));
    expect(kept.length).toBe(6); // per-prompt: the best of each prompt's 3
  });

  it('refuses a run directory that holds a run, a folder that is not one, and settings flags with --resume', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'raftlab-rundir-'));
    const small = ['--task', 'sentiment', '--cycles', '0', '--eval-prompts', '2', '--eval-texts', '2', '--max-new-tokens', '4'];
    expect(cli('run', ...small, '--run-dir', tmp).code).toBe(0);
    const again = cli('run', ...small, '--run-dir', tmp);
    expect(again.code).toBe(2);
    expect(again.err).toContain('already holds a run');
    const notRun = cli('run', '--resume', join(tmp, 'samples'));
    expect(notRun.code).toBe(2);
    expect(notRun.err).toContain('is not a run directory');
    const withFlags = cli('run', '--resume', tmp, '--seed', '4');
    expect(withFlags.code).toBe(2);
    expect(withFlags.err).toContain("--resume keeps the run's own settings");
  });
});
