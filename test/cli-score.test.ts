import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'hf-tiny');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/raftlab.mjs', 'score', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('raftlab score (the conformance probe of a model folder)', () => {
  it('prints the log-probs of every fixture (GPT-2, Llama, Qwen2, Qwen3) within 1e-4 of golden.json', { timeout: 120_000 }, () => {
    for (const arch of ['gpt2', 'llama', 'qwen2', 'qwen3']) {
      const golden = JSON.parse(readFileSync(join(FIXTURES, arch, 'golden.json'), 'utf8')) as { cases: Array<{ ids: number[]; logprobs: number[] }> };
      let worst = 0;
      for (const c of golden.cases) {
        const r = cli('--model', join(FIXTURES, arch), '--ids', c.ids.join(','));
        expect(r.code, r.err).toBe(0);
        const out = JSON.parse(r.out) as { modelType: string; ids: number[]; logprobs: number[]; nll: number; perplexity: number };
        expect(out.modelType).toBe(arch);
        expect(out.ids).toEqual(c.ids);
        expect(out.logprobs).toHaveLength(c.ids.length - 1);
        out.logprobs.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - c.logprobs[i]!))));
        expect(out.nll).toBeCloseTo(-c.logprobs.reduce((a, b) => a + b, 0) / c.logprobs.length, 4);
        expect(out.perplexity).toBeCloseTo(Math.exp(out.nll), 6);
      }
      console.info(`raftlab score, ${arch} fixture: largest difference from golden.json ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(1e-4);
    }
    const text = cli('--model', join(FIXTURES, 'gpt2'), '--text', 'the acting was superb');
    expect(text.code).toBe(0);
    expect((JSON.parse(text.out) as { ids: number[] }).ids.length).toBeGreaterThan(2);
  });

  it('a folder that is not a model, a truncated checkpoint and an unknown architecture get a message and exit 2', () => {
    const notModel = cli('--model', tmpdir(), '--text', 'x y');
    expect(notModel.code).toBe(2);
    expect(notModel.err).toMatch(/has no config\.json/);
    const dir = mkdtempSync(join(tmpdir(), 'raftlab-hub-'));
    for (const f of ['config.json', 'tokenizer.json']) copyFileSync(join(FIXTURES, 'gpt2', f), join(dir, f));
    const whole = readFileSync(join(FIXTURES, 'gpt2', 'model.safetensors'));
    writeFileSync(join(dir, 'model.safetensors'), whole.subarray(0, whole.length - 1000));
    const truncated = cli('--model', dir, '--text', 'x y');
    expect(truncated.code).toBe(2);
    expect(truncated.err).toMatch(/points past the end of the file .*truncated/);
    writeFileSync(join(dir, 'model.safetensors'), whole);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'mamba' }));
    const mamba = cli('--model', dir, '--text', 'x y');
    expect(mamba.code).toBe(2);
    expect(mamba.err).toContain('model_type "mamba" is not supported; supported: gpt2, llama, qwen2, qwen3');
    expect(cli('--text', 'x').code).toBe(2);
  });
});
