// Qwen2 and Qwen3 checkpoints (Llama-family folders with q/k/v biases, and per-head q/k norms with an explicit
// head_dim): golden log-probs from a folder and from a local Hub-layout server, in F32, F16 and BF16; the configs the
// lab refuses; the registry's refusal of an unknown model_type.
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseModelSource } from '../src/core/hub/source';
import { floatToBf16, floatToHalf, halfToFloat, readSafetensors, writeSafetensors } from '../src/core/hub/safetensors';
import { estimateRunMemory } from '../src/core/hub/memory';
import { qwen3 } from '../src/core/models/qwen3/index';
import { qwen2 } from '../src/core/models/qwen2/index';
import { architectureOfConfig } from '../src/core/models/registry';
import { downloadModel } from '../src/node/hub-download';
import { loadHubFolder } from '../src/node/hub-folder';
import { goldenCases, goldenDiff, HF_TINY } from './hub-golden';
import { startHubServer } from './hub-server';

const bf16ToFloat = (b: number) => new Float32Array(new Uint32Array([b << 16]).buffer)[0]!;
type Tensors = Map<string, { shape: number[]; values: Float32Array }>;
const ARCHS = ['qwen2', 'qwen3'] as const;
const json = (arch: string) => JSON.parse(readFileSync(join(HF_TINY, arch, 'config.json'), 'utf8')) as Record<string, unknown>;
const f32Of = (arch: string): Tensors => readSafetensors(new Uint8Array(readFileSync(join(HF_TINY, arch, 'model.safetensors')))).tensors;

/** A copy of a fixture's folder with `tensors` written as `dtype`. */
function variant(arch: string, tensors: Tensors, dtype: 'F32' | 'F16' | 'BF16'): string {
  const dir = mkdtempSync(join(tmpdir(), `raftlab-${arch}-`));
  for (const f of ['config.json', 'tokenizer.json', 'generation_config.json']) copyFileSync(join(HF_TINY, arch, f), join(dir, f));
  writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(tensors, { dtype }));
  return dir;
}

/** The F32 tensors rounded as a `dtype` file stores them. */
function rounded(tensors: Tensors, dtype: 'F16' | 'BF16'): Tensors {
  const round = dtype === 'F16' ? (x: number) => halfToFloat(floatToHalf(x)) : (x: number) => bf16ToFloat(floatToBf16(x));
  return new Map([...tensors].map(([k, t]) => [k, { shape: t.shape, values: t.values.map(round) }]));
}

async function worstOf(dir: string, arch: (typeof ARCHS)[number]): Promise<number> {
  const { model } = await loadHubFolder(dir);
  try {
    expect(model.architecture).toBe(arch);
    return await goldenDiff(model, model.config.vocabSize, goldenCases(arch));
  } finally {
    model.dispose();
  }
}

describe.each(ARCHS)('%s from a Hugging Face checkpoint', (arch) => {
  const variants: Record<string, string> = {};
  const worst: Record<string, number> = {};
  let server: Server;
  let endpoint = '';

  beforeAll(async () => {
    const f32 = f32Of(arch);
    for (const dtype of ['F16', 'BF16'] as const) {
      variants[`${arch}-${dtype}`] = variant(arch, f32, dtype);
      variants[`${arch}-${dtype}-as-f32`] = variant(arch, rounded(f32, dtype), 'F32');
    }
    ({ server, endpoint } = await startHubServer([], 0, variants));
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('matches golden.json to 1e-4 from its folder (tensor counts flat)', async () => {
    const before = tf.memory().numTensors;
    worst.F32 = await worstOf(join(HF_TINY, arch), arch);
    expect(worst.F32).toBeLessThan(1e-4);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('F16 and BF16 files load to exactly their rounded weights (the same log-probs as an F32 file of those values, to 1e-4), near golden', async () => {
    for (const dtype of ['F16', 'BF16'] as const) {
      const half = await worstOf(variants[`${arch}-${dtype}`]!, arch);
      const same = await worstOf(variants[`${arch}-${dtype}-as-f32`]!, arch);
      worst[dtype] = half;
      expect(Math.abs(half - same)).toBeLessThan(1e-4);
      expect(half).toBeLessThan(dtype === 'F16' ? 1e-2 : 1e-1); // the rounding of the weights themselves
    }
  });

  it('downloads from a local Hub-layout server (F32, F16, BF16) and scores as from the folder', async () => {
    const prev = process.env.RAFTLAB_CACHE;
    process.env.RAFTLAB_CACHE = mkdtempSync(join(tmpdir(), 'raftlab-cache-'));
    try {
      for (const [name, want] of [[arch, worst.F32], [`${arch}-F16`, worst.F16], [`${arch}-BF16`, worst.BF16]] as const) {
        const { dir } = await downloadModel(parseModelSource(`tiny/${name}`)!, endpoint);
        const got = await worstOf(dir, arch);
        expect(got).toBe(want);
        expect(got).toBeLessThan(name === arch ? 1e-4 : 1e-1);
      }
    } finally {
      if (prev === undefined) delete process.env.RAFTLAB_CACHE;
      else process.env.RAFTLAB_CACHE = prev;
    }
    console.info(`${arch} fixture vs golden: F32 ${worst.F32!.toExponential(2)}, F16 ${worst.F16!.toExponential(2)}, BF16 ${worst.BF16!.toExponential(2)} (folder and local Hub server alike)`);
  });
});

describe('Qwen configs', () => {
  it('Qwen2 has q, k, v biases and no o bias; Qwen3 has q/k norms of head_dim channels and no biases', () => {
    const c2 = qwen2.configFromHub(json('qwen2'));
    expect(c2).toMatchObject({ qkvBias: true, qkNorm: false, headDim: 16, ropeTheta: 1e6 });
    const w2 = qwen2.weightsFromHub(f32Of('qwen2'), c2);
    expect(w2.get('h0.q.b')).toHaveLength(64);
    expect(w2.get('h0.k.b')).toHaveLength(32);
    expect(w2.has('h0.o.b')).toBe(false);
    const c3 = qwen3.configFromHub(json('qwen3'));
    expect(c3).toMatchObject({ qkvBias: false, qkNorm: true, headDim: 24, nHead: 4, nEmbd: 64 });
    const w3 = qwen3.weightsFromHub(f32Of('qwen3'), c3);
    expect(w3.get('h0.qnorm')).toHaveLength(24);
    expect(w3.get('h0.q.w')).toHaveLength(64 * 4 * 24); // (hidden, heads x head_dim)
    expect(w3.get('h0.o.w')).toHaveLength(4 * 24 * 64);
  });

  it('a Qwen3 config without head_dim uses hidden / heads; rope_parameters is read like rope_theta', () => {
    const { head_dim: _, rope_theta: theta, ...rest } = json('qwen3');
    expect(qwen3.configFromHub(rest)).toMatchObject({ headDim: 16, ropeTheta: 10000 });
    expect(qwen3.configFromHub({ ...rest, rope_parameters: { rope_type: 'default', rope_theta: theta } })).toMatchObject({ headDim: 16, ropeTheta: 1e6 });
    expect(qwen3.configFromHub({ ...json('qwen3'), layer_types: ['full_attention', 'full_attention', 'full_attention'] }).headDim).toBe(24);
  });

  it('refuses what the lab does not compute, by name', () => {
    expect(() => qwen3.configFromHub({ ...json('qwen3'), rope_parameters: { rope_type: 'yarn', factor: 4 } })).toThrow(/rope_type "yarn" is not supported/);
    expect(() => qwen2.configFromHub({ ...json('qwen2'), use_sliding_window: true })).toThrow(/use_sliding_window/);
    expect(() => qwen2.configFromHub({ ...json('qwen2'), layer_types: ['full_attention', 'sliding_attention', 'full_attention'] })).toThrow(/layer_types has "sliding_attention"/);
    expect(() => qwen3.configFromHub({ ...json('qwen3'), attention_bias: true })).toThrow(/attention_bias/);
    expect(() => qwen3.configFromHub({ ...json('qwen3'), hidden_act: 'gelu' })).toThrow(/hidden_act "gelu"/);
    const noNorm = f32Of('qwen3');
    noNorm.delete('model.layers.1.self_attn.k_norm.weight');
    expect(() => qwen3.weightsFromHub(noNorm, qwen3.configFromHub(json('qwen3')))).toThrow(/no tensor model\.layers\.1\.self_attn\.k_norm\.weight/);
    // a Qwen2 checkpoint read as a Llama: its biases are tensors a Llama does not have
    expect(() => architectureOfConfig({ ...json('qwen2'), model_type: 'llama' }).weightsFromHub(f32Of('qwen2'), architectureOfConfig({ ...json('qwen2'), model_type: 'llama' }).configFromHub({ ...json('qwen2'), model_type: 'llama' }))).toThrow(/tensors that config\.json's model does not have: .*q_proj\.bias/);
  });

  it('an unsupported model_type (mistral) is refused with the supported list', () => {
    expect(() => architectureOfConfig({ ...json('qwen2'), model_type: 'mistral' })).toThrow('model_type "mistral" is not supported; supported: gpt2, llama, qwen2, qwen3');
  });

  it('the memory estimate counts the parameters of Qwen2.5-0.5B and Qwen3-0.6B exactly (their config.json)', () => {
    const run = { lora: 0, loraTargets: 'q_proj,v_proj', batchSize: 8, genBatch: 16, maxNewTokens: 32 };
    const qwen25 = {
      model_type: 'qwen2', vocab_size: 151936, hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24, num_attention_heads: 14,
      num_key_value_heads: 2, max_position_embeddings: 32768, rms_norm_eps: 1e-6, rope_theta: 1e6, tie_word_embeddings: true, hidden_act: 'silu',
      use_sliding_window: false, sliding_window: 32768, max_window_layers: 21,
    };
    const qwen306 = {
      model_type: 'qwen3', vocab_size: 151936, hidden_size: 1024, intermediate_size: 3072, num_hidden_layers: 28, num_attention_heads: 16,
      num_key_value_heads: 8, head_dim: 128, max_position_embeddings: 40960, rms_norm_eps: 1e-6, rope_theta: 1e6, tie_word_embeddings: true,
      hidden_act: 'silu', attention_bias: false, use_sliding_window: false,
    };
    // by hand: embeddings V*C; per layer q (C x H*D + bias), k and v (C x KV*D + bias), o, two norms (+ q/k norms), SwiGLU 3*C*F; final norm
    expect(estimateRunMemory(qwen25, run).params).toBe(494_032_768);
    expect(estimateRunMemory(qwen306, run).params).toBe(596_049_920);
    // LoRA rank 8 on q and v: 8 * ((C + H*D) + (C + KV*D)) per layer
    expect(estimateRunMemory(qwen306, { ...run, lora: 8 }).trainableParams).toBe(28 * 8 * (1024 + 16 * 128 + 1024 + 8 * 128));
  });
});
