import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { floatToBf16, floatToHalf, halfToFloat, readSafetensors, writeSafetensors } from '../src/core/hub/safetensors';
import { loadHubFolder } from '../src/node/hub-folder';
import { Rng } from '../src/core/rng';
import { goldenCases, goldenDiff } from './hub-golden';

const GPT2 = join(import.meta.dirname, 'fixtures', 'hf-tiny', 'gpt2');
const golden = goldenCases('gpt2');
const f32 = readSafetensors(new Uint8Array(readFileSync(join(GPT2, 'model.safetensors')))).tensors;

/** A copy of the GPT-2 fixture's folder whose checkpoint is written by `write(dir)`. */
function variant(write: (dir: string) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'raftlab-gpt2-'));
  for (const f of ['config.json', 'tokenizer.json']) copyFileSync(join(GPT2, f), join(dir, f));
  write(dir);
  return dir;
}

/** The largest difference of a folder's log-probs from golden.json. */
async function worstDiff(dir: string): Promise<number> {
  const { model } = await loadHubFolder(dir);
  try {
    return await goldenDiff(model, model.config.vocabSize, golden);
  } finally {
    model.dispose();
  }
}

describe('safetensors writer and checkpoint variants', () => {
  it('rounds to F16 and BF16 as IEEE does (nearest even), and F32 round-trips exactly', () => {
    expect(floatToHalf(1)).toBe(0x3c00);
    expect(floatToHalf(-2)).toBe(0xc000);
    expect(floatToHalf(65504)).toBe(0x7bff);
    expect(floatToHalf(70000)).toBe(0x7c00); // overflow: infinity
    expect(floatToHalf(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(halfToFloat(floatToHalf(1 + 2 ** -11))).toBe(1); // a tie rounds to even
    expect(halfToFloat(floatToHalf(1 + 3 * 2 ** -11))).toBe(1 + 2 ** -9);
    expect(floatToBf16(1)).toBe(0x3f80);
    expect(floatToBf16(-3.5)).toBe(0xc060);
    const rng = new Rng(4);
    for (let i = 0; i < 2000; i++) {
      const x = (rng.float() - 0.5) * 10;
      expect(Math.abs(halfToFloat(floatToHalf(x)) - x)).toBeLessThanOrEqual(Math.abs(x) * 2 ** -11 + 1e-7);
    }
    const back = readSafetensors(writeSafetensors(f32)).tensors;
    for (const [name, t] of f32) expect(back.get(name)).toEqual(t);
  });

  it('F16, BF16, sharded, transformer.-prefixed files with mask buffers and a tied lm_head load and score alike', { timeout: 60_000 }, async () => {
    const f16 = await worstDiff(variant((d) => writeFileSync(join(d, 'model.safetensors'), writeSafetensors(f32, { dtype: 'F16' }))));
    const bf16 = await worstDiff(variant((d) => writeFileSync(join(d, 'model.safetensors'), writeSafetensors(f32, { dtype: 'BF16' }))));
    const sharded = await worstDiff(variant((d) => {
      const names = [...f32.keys()];
      const half = Math.ceil(names.length / 2);
      const shards = [names.slice(0, half), names.slice(half)];
      const weightMap: Record<string, string> = {};
      shards.forEach((part, i) => {
        const file = `model-0000${i + 1}-of-00002.safetensors`;
        writeFileSync(join(d, file), writeSafetensors(new Map(part.map((n) => [n, f32.get(n)!]))));
        for (const n of part) weightMap[n] = file;
      });
      writeFileSync(join(d, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    }));
    const prefixed = await worstDiff(variant((d) => {
      const t = new Map([...f32].map(([k, v]) => [`transformer.${k}`, v]));
      for (let i = 0; i < 3; i++) t.set(`transformer.h.${i}.attn.bias`, { shape: [1, 1, 96, 96], values: new Float32Array(96 * 96).fill(1) });
      t.set('lm_head.weight', f32.get('wte.weight')!);
      writeFileSync(join(d, 'model.safetensors'), writeSafetensors(t));
    }));
    const f32Diff = await worstDiff(GPT2);
    console.info(`GPT-2 fixture vs golden: F32 ${f32Diff.toExponential(2)}, F16 ${f16.toExponential(2)}, BF16 ${bf16.toExponential(2)}, sharded ${sharded.toExponential(2)}, prefixed ${prefixed.toExponential(2)}`);
    expect(sharded).toBe(f32Diff);
    expect(prefixed).toBe(f32Diff);
    expect(f16).toBeLessThan(5e-3);
    expect(bf16).toBeLessThan(5e-2);
  });
});
