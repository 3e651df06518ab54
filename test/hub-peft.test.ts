// LoRA adapters in PEFT's format: names, shapes and config as PEFT writes them; export then import gives the same log-probs.
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LanguageModel } from '../src/core/lm/language-model';
import { resolveLoraTargets } from '../src/core/models/registry';
import { applyPeft, loraToPeft } from '../src/core/hub/peft';
import { readSafetensors, writeSafetensors } from '../src/core/hub/safetensors';
import { loadHubFolder } from '../src/node/hub-folder';
import { loadAdapterFolder, saveAdapterFolder, saveModelFolder } from '../src/node/hub-save';
import { loadEmbeddedModel } from '../src/node/model-files';
import { Rng } from '../src/core/rng';
import { HF_TINY } from './hub-golden';

const IDS = [[0, 5, 17, 33, 2, 9, 100, 4, 61, 7]];

async function logprobs(model: LanguageModel): Promise<Float32Array> {
  const x = tf.tensor2d(IDS, [1, IDS[0]!.length], 'int32');
  const t = tf.tidy(() => tf.logSoftmax(model.forward(x), -1));
  const d = (await t.data()) as Float32Array;
  tf.dispose([t, x]);
  return d;
}

/** Adapters as training leaves them: A and B both away from their start. */
function perturb(model: LanguageModel, seed: number): void {
  const rng = new Rng(seed);
  for (const v of model.lora!.variables()) v.assign(tf.tidy(() => tf.add(v, tf.randomNormal(v.shape, 0, 0.05, 'float32', rng.int(1e6)))));
}

const maxAbs = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe('PEFT LoRA adapters', () => {
  it('GPT-2 c_attn, c_proj, c_fc: PEFT names and shapes, fan_in_fan_out; export then import gives the same log-probs', async () => {
    const { model } = await loadHubFolder(join(HF_TINY, 'gpt2'));
    model.attachLora({ rank: 4, alpha: 8, targets: resolveLoraTargets('gpt2', 'c_attn,c_proj,c_fc') }, 1);
    perturb(model, 2);
    const want = await logprobs(model);
    const { config, tensors } = await loraToPeft(model, 'tiny/gpt2', 'abc123');
    expect(config).toMatchObject({ peft_type: 'LORA', task_type: 'CAUSAL_LM', r: 4, lora_alpha: 8, fan_in_fan_out: true, base_model_name_or_path: 'tiny/gpt2', revision: 'abc123', rank_pattern: {}, alpha_pattern: {} });
    expect([...(config.target_modules as string[])].sort()).toEqual(['c_attn', 'c_fc', 'c_proj']);
    expect(tensors.get('base_model.model.transformer.h.0.attn.c_attn.lora_A.weight')!.shape).toEqual([4, 48]);
    expect(tensors.get('base_model.model.transformer.h.0.attn.c_attn.lora_B.weight')!.shape).toEqual([144, 4]);
    expect(tensors.get('base_model.model.transformer.h.2.mlp.c_proj.lora_A.weight')!.shape).toEqual([4, 192]);
    expect(tensors.size).toBe(3 * 4 * 2);
    const { model: fresh } = await loadHubFolder(join(HF_TINY, 'gpt2'));
    const base = await logprobs(fresh);
    applyPeft(fresh, { config, tensors: readSafetensors(writeSafetensors(tensors)).tensors });
    expect(maxAbs(await logprobs(fresh), want)).toBeLessThan(1e-5);
    expect(maxAbs(base, want)).toBeGreaterThan(1e-3);
    model.dispose();
    fresh.dispose();
  });

  it.each(['llama', 'qwen2', 'qwen3'] as const)('%s: q_proj ... down_proj round-trip through the PEFT adapter folder (same log-probs); tensor counts flat', async (arch) => {
    const { model } = await loadHubFolder(join(HF_TINY, arch));
    model.attachLora({ rank: 2, alpha: 16, targets: resolveLoraTargets(arch, 'q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj') }, 1);
    perturb(model, 3);
    const want = await logprobs(model);
    const dir = mkdtempSync(join(tmpdir(), 'raftlab-peft-'));
    await saveAdapterFolder(dir, model, `tiny/${arch}`, null, { folder: join(HF_TINY, arch), eosId: 0 });
    const config = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ r: 2, lora_alpha: 16, fan_in_fan_out: false });
    expect([...(config.target_modules as string[])].sort()).toEqual(['down_proj', 'gate_proj', 'k_proj', 'o_proj', 'q_proj', 'up_proj', 'v_proj']);
    const names = [...readSafetensors(new Uint8Array(readFileSync(join(dir, 'adapter_model.safetensors')))).tensors.keys()];
    expect(names).toContain('base_model.model.model.layers.1.self_attn.k_proj.lora_B.weight');
    expect(names).toContain('base_model.model.model.layers.2.mlp.gate_proj.lora_A.weight');
    model.dispose();
    const { model: fresh } = await loadHubFolder(join(HF_TINY, arch));
    await logprobs(fresh); // the head's cached transposed embedding is made once
    const before = tf.memory().numTensors;
    loadAdapterFolder(dir, fresh);
    expect(maxAbs(await logprobs(fresh), want)).toBeLessThan(1e-5);
    loadAdapterFolder(dir, fresh); // replacing adapters leaves no tensor behind
    expect(tf.memory().numTensors).toBe(before + fresh.lora!.variables().length);
    fresh.dispose();
  });

  it("the embedded model's separate q and v adapters export as one c_attn adapter of rank 2r (block-diagonal B), exactly", async () => {
    const { model } = await loadEmbeddedModel('sentiment');
    model.attachLora({ rank: 4, alpha: 8, targets: ['q', 'v', 'o'] }, 1);
    perturb(model, 4);
    const want = await logprobs(model);
    const { config, tensors } = await loraToPeft(model, '/tmp/base', null);
    expect(config).toMatchObject({ r: 4, lora_alpha: 8, rank_pattern: { c_attn: 8 }, alpha_pattern: { c_attn: 16 } });
    expect([...(config.target_modules as string[])].sort()).toEqual(['attn.c_proj', 'c_attn']);
    const C = model.config.nEmbd;
    const B = tensors.get('base_model.model.transformer.h.0.attn.c_attn.lora_B.weight')!;
    expect(B.shape).toEqual([3 * C, 8]);
    // the k rows of B are zero: no adapter on k
    expect(B.values.subarray(C * 8, 2 * C * 8).every((v) => v === 0)).toBe(true);
    const fresh = (await loadEmbeddedModel('sentiment')).model;
    applyPeft(fresh, { config, tensors });
    expect(maxAbs(await logprobs(fresh), want)).toBeLessThan(1e-5);
    model.dispose();
    fresh.dispose();
  });

  it.each(['gpt2', 'llama', 'qwen2', 'qwen3'] as const)('%s: the merged export (full model folder) scores like the live adapters, and leaves them as they were', async (arch) => {
    const { model } = await loadHubFolder(join(HF_TINY, arch));
    model.attachLora({ rank: 3, alpha: 6, targets: resolveLoraTargets(arch, arch === 'gpt2' ? 'c_attn,c_fc' : 'q_proj,v_proj,down_proj') }, 1);
    perturb(model, 5);
    const want = await logprobs(model);
    const dir = mkdtempSync(join(tmpdir(), 'raftlab-merged-'));
    await saveModelFolder(dir, model, { folder: join(HF_TINY, arch), eosId: 0 });
    expect(await logprobs(model)).toEqual(want); // the live model still has its adapters, unmerged
    const back = await loadHubFolder(dir);
    expect(back.model.lora).toBeNull();
    expect(maxAbs(await logprobs(back.model), want)).toBeLessThan(1e-4);
    back.model.dispose();
    model.dispose();
  });

  it('refuses adapters it cannot apply, by name', async () => {
    const { model } = await loadHubFolder(join(HF_TINY, 'gpt2'));
    model.attachLora({ rank: 2, alpha: 4, targets: ['qkv'] }, 1);
    const good = await loraToPeft(model, 'x', null);
    expect(() => applyPeft(model, { ...good, config: { ...good.config, peft_type: 'IA3' } })).toThrow(/peft_type "IA3"/);
    expect(() => applyPeft(model, { ...good, config: { ...good.config, use_dora: true } })).toThrow(/DoRA/);
    const llamaNames = new Map([...good.tensors].map(([k, v]) => [k.replace('transformer.h.0.attn.c_attn', 'model.layers.0.self_attn.q_proj'), v]));
    expect(() => applyPeft(model, { ...good, tensors: llamaNames })).toThrow(/module model\.layers\.0\.self_attn\.q_proj, which a gpt2 model does not have/);
    const wrong = new Map(good.tensors);
    wrong.set('base_model.model.transformer.h.1.attn.c_attn.lora_A.weight', { shape: [2, 40], values: new Float32Array(80) });
    expect(() => applyPeft(model, { ...good, tensors: wrong })).toThrow(/do not|not \(r, in\)|does not fit/);
    model.dispose();
  });
});
