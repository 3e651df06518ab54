// Hub checkpoints as trainable language models: KV cache, LoRA with the Hub's module names, RAFT cycles (both fixtures).
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../src/core/config/schema';
import type { LanguageModel } from '../src/core/lm/language-model';
import { generate } from '../src/core/lm/generate';
import { resolveLoraTargets } from '../src/core/models/registry';
import { totalNll } from '../src/core/lm/train';
import { RaftEngine } from '../src/core/raft/engine';
import { Rng } from '../src/core/rng';
import { createTask } from '../src/core/tasks/registry';
import { promptIds } from '../src/core/tasks/types';
import { loadHubFolder } from '../src/node/hub-folder';
import { HF_TINY } from './hub-golden';
import { toyTask } from './helpers';

async function logits(model: LanguageModel, ids: number[][]): Promise<Float32Array> {
  const x = tf.tensor2d(ids, [ids.length, ids[0]!.length], 'int32');
  const t = tf.tidy(() => model.forward(x));
  const d = (await t.data()) as Float32Array;
  tf.dispose([t, x]);
  return d;
}

const maxAbs = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe('chat templates', () => {
  it('an Instruct model wraps prompts in its template when asked; a model without one refuses', async () => {
    const { readFileSync } = await import('node:fs');
    const { hubTokenizer } = await import('../src/core/tokenizer/hub-tokenizer');
    const json = JSON.parse(readFileSync(join(HF_TINY, 'llama', 'tokenizer.json'), 'utf8')) as { added_tokens: Array<Record<string, unknown>>; model: { vocab: Record<string, number> } };
    // a ChatML template (SmolLM2-Instruct's form) with its two special tokens added to the fixture's tokenizer
    json.added_tokens.push({ id: 512, content: '<|im_start|>', special: true, single_word: false, lstrip: false, rstrip: false, normalized: false });
    json.added_tokens.push({ id: 513, content: '<|im_end|>', special: true, single_word: false, lstrip: false, rstrip: false, normalized: false });
    const template = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
    const t = hubTokenizer(json, { tokenizer_class: 'GPT2Tokenizer', eos_token: '<|im_end|>', bos_token: '<|im_start|>', chat_template: template }, { vocab_size: 514 });
    expect(t.hasChatTemplate).toBe(true);
    expect(t.eosId).toBe(513);
    const ids = t.encodePrompt!('the movie', true);
    expect(ids[0]).toBe(512);
    expect(t.decode(ids)).toBe('user\nthe movie\nassistant\n'); // the special tokens are dropped in decoding
    expect(t.encodePrompt!('the movie', false)).toEqual([512, ...t.encode('the movie')]);
    const plain = hubTokenizer(json, {}, { eos_token_id: 0 });
    expect(() => promptIds(plain, 'x', true)).toThrow(/no chat template/);
  });
});

describe.each(['gpt2', 'llama', 'qwen2', 'qwen3'] as const)('Hub %s fixture as a trainable model', (arch) => {
  const dir = join(HF_TINY, arch);

  it('cached generation equals full recomputation (left-padded batch, greedy)', async () => {
    const { model, tokenizer } = await loadHubFolder(dir);
    await logits(model, [[0, 1, 2]]); // the head's cached transposed embedding is made once
    const before = tf.memory().numTensors;
    const prompts = ['the movie was', 'i', 'a long and slow story about'].map((p) => promptIds(tokenizer, p));
    const gens = await generate(model, prompts, { maxNewTokens: 12, temperature: 1, topK: 1, topP: 1, eosId: tokenizer.eosId }, new Rng(1));
    // each greedy token is the argmax of a full forward pass over prompt + tokens so far
    for (let b = 0; b < prompts.length; b++) {
      const seq = [...prompts[b]!];
      for (const tok of gens[b]!.tokens) {
        const next = tf.tidy(() => model.forward(tf.tensor2d([seq], [1, seq.length], 'int32')).slice([seq.length - 1, 0], [1, -1]).argMax(1));
        expect((await next.data())[0]).toBe(tok);
        next.dispose();
        seq.push(tok);
      }
      expect(gens[b]!.tokens.length + (gens[b]!.ended ? 1 : 0)).toBeGreaterThan(3);
    }
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('the cached step logits equal a full forward pass over the same tokens (rotary positions offset per row)', async () => {
    const { model } = await loadHubFolder(dir);
    // two rows, the second left-padded by 3: its positions start at its first real token
    const rows = [[0, 11, 12, 13, 14, 15], [0, 21, 22]];
    const P = 6;
    const pad = [0, 3];
    const ids = tf.tensor2d(rows.map((r, b) => [...new Array(pad[b]).fill(0), ...r]), [2, P], 'int32');
    const pos = tf.tensor2d(rows.map((r, b) => [...new Array(pad[b]).fill(0), ...r.map((_, j) => j)]), [2, P], 'int32');
    const tMax = P + 3;
    const mask = new Float32Array(2 * tMax);
    rows.forEach((r, b) => { for (let j = pad[b]!; j < P; j++) mask[b * tMax + j] = 1; });
    const { cache, logits } = model.prefill(ids, pos, tf.tensor2d(mask.filter((_, i) => i % tMax < P), [2, P]), tMax);
    logits.dispose();
    const next = [[31, 32, 33], [41, 42, 43]];
    for (let s = 0; s < 3; s++) {
      const t = P + s;
      rows.forEach((_, b) => (mask[b * tMax + t] = 1));
      const stepLogits = model.step(
        tf.tensor2d([[next[0]![s]!], [next[1]![s]!]], [2, 1], 'int32'),
        tf.tensor2d([[t - pad[0]!], [t - pad[1]!]], [2, 1], 'int32'),
        tf.tensor2d(mask, [2, tMax]), cache, t,
      );
      const got = (await stepLogits.data()) as Float32Array;
      stepLogits.dispose();
      for (let b = 0; b < 2; b++) {
        const seq = [...rows[b]!, ...next[b]!.slice(0, s + 1)];
        const full = tf.tidy(() => model.forward(tf.tensor2d([seq], [1, seq.length], 'int32')).slice([seq.length - 1, 0], [1, -1]));
        const want = (await full.data()) as Float32Array;
        full.dispose();
        const V = want.length;
        expect(maxAbs(got.subarray(b * V, (b + 1) * V), want)).toBeLessThan(1e-4);
      }
    }
    for (const t of [...cache.k, ...cache.v]) t.dispose();
    tf.dispose([ids, pos]);
    model.dispose();
  });

  it('a frozen copy (the reference of full fine-tuning) has the same outputs and stays as it was when the model trains', async () => {
    const { model } = await loadHubFolder(dir);
    const ids = [[0, 5, 17, 33, 2, 9]];
    const copy = model.frozenCopy();
    const base = await logits(model, ids);
    expect(await logits(copy, ids)).toEqual(base);
    const w = model.params.get(arch === 'gpt2' ? 'lnf.g' : 'norm')!;
    w.assign(tf.tidy(() => tf.mul(w, 1.5)));
    expect(maxAbs(await logits(model, ids), base)).toBeGreaterThan(1e-3);
    expect(await logits(copy, ids)).toEqual(base);
    copy.dispose();
    model.dispose();
  });

  it('LoRA on the Hub-named layers is an exact no-op at start; trained and then merged it keeps its outputs', async () => {
    const { model } = await loadHubFolder(dir);
    const ids = [[0, 5, 17, 33, 2, 9, 100, 4]];
    const base = await logits(model, ids);
    const names = arch === 'gpt2' ? 'c_attn,c_proj,c_fc' : 'q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj';
    const lora = model.attachLora({ rank: 4, alpha: 8, targets: resolveLoraTargets(arch, names) }, 1);
    // GPT-2: one joint c_attn, attention and MLP c_proj, c_fc per block; Llama: seven per block
    expect(lora.ranks().size).toBe((arch === 'gpt2' ? 4 : 7) * 3);
    expect(await logits(model, ids)).toEqual(base);
    // give B values (as training would), then merge: outputs stay within float error
    const rng = new Rng(3);
    for (const v of lora.variables()) v.assign(tf.tidy(() => tf.mul(tf.randomNormal(v.shape, 0, 1, 'float32', rng.int(1e6)), 0.05)));
    const tuned = await logits(model, ids);
    expect(maxAbs(tuned, base)).toBeGreaterThan(1e-3);
    lora.mergeInto(model.params);
    expect(maxAbs(await logits(model, ids), tuned)).toBeLessThan(1e-4);
    model.dispose();
  });

  it('PPO, GRPO, RLOO, online DPO, RAFT++ and Reinforce-Rej train the Hub model with LoRA (two cycles each, tensor counts flat)', async () => {
    for (const method of ['ppo', 'grpo', 'rloo', 'online-dpo', 'raftpp', 'reinforce-rej'] as const) {
      const { model, tokenizer } = await loadHubFolder(dir);
      const config = {
        ...defaultConfig(), task: 'sentiment' as const, method, lora: 4, loraTargets: arch === 'gpt2' ? 'c_attn' : 'q_proj,v_proj',
        promptsPerCycle: 3, samplesPerPrompt: 3, maxNewTokens: 8, evalPrompts: 2, evalSamplesPerPrompt: 1, evalTexts: 2, epochsPerCycle: 1, ppoEpochs: 1, batchSize: 4,
      };
      // the toy reward (share of the letter a) varies between random samples, so every prompt has a DPO pair
      const engine = new RaftEngine({ model, tokenizer, task: toyTask, config });
      await engine.runCycle();
      const c1 = await engine.runCycle();
      const count = tf.memory().numTensors;
      const c2 = await engine.runCycle();
      expect(tf.memory().numTensors, method).toBe(count);
      expect([c1, c2].some((c) => c.stats.trainLoss !== null && Number.isFinite(c.stats.trainLoss)), method).toBe(true);
      expect(c2.stats.klToRef, method).toBeGreaterThanOrEqual(0);
      engine.dispose();
      model.dispose();
    }
  });

  it('UFT, SFT and best-of-K run on the Hub model with LoRA (sentiment, two cycles each; tensor counts flat)', async () => {
    const task = createTask('sentiment');
    for (const method of ['uft', 'sft', 'best-of-k'] as const) {
      const { model, tokenizer } = await loadHubFolder(dir);
      const config = {
        ...defaultConfig(), task: 'sentiment' as const, method, lora: 4, loraTargets: arch === 'gpt2' ? 'c_attn' : 'q_proj,v_proj',
        promptsPerCycle: 3, samplesPerPrompt: 2, maxNewTokens: 6, evalPrompts: 2, evalSamplesPerPrompt: 1, evalTexts: 2, epochsPerCycle: 1, batchSize: 4,
      };
      const engine = new RaftEngine({ model, tokenizer, task, config });
      await engine.runCycle();
      const c1 = await engine.runCycle();
      const count = tf.memory().numTensors;
      await engine.runCycle();
      expect(tf.memory().numTensors, method).toBe(count);
      if (method === 'best-of-k') expect(c1.stats.trainLoss).toBeNull();
      else expect(Number.isFinite(c1.stats.trainLoss), method).toBe(true);
      engine.dispose();
      model.dispose();
    }
  });

  it('one LoRA RAFT cycle (sentiment) lowers the loss on its kept samples; reference = adapters off; tensor counts flat', async () => {
    const { model, tokenizer } = await loadHubFolder(dir);
    const task = createTask('sentiment');
    const config = {
      ...defaultConfig(), task: 'sentiment' as const, lora: 4, loraTargets: arch === 'gpt2' ? 'c_attn,c_proj' : 'q_proj,v_proj',
      promptsPerCycle: 4, samplesPerPrompt: 3, maxNewTokens: 10, evalPrompts: 2, evalSamplesPerPrompt: 2, evalTexts: 4, epochsPerCycle: 2, batchSize: 4,
    };
    const engine = new RaftEngine({ model, tokenizer, task, config });
    await engine.runCycle();
    const c1 = await engine.runCycle();
    const after1 = tf.memory().numTensors; // with the optimizer's moments, made in cycle 1
    const kept = c1.samples.filter((s) => s.kept);
    expect(kept.length).toBeGreaterThan(0);
    const seqs = kept.map((s) => {
      const p = promptIds(tokenizer, s.prompt);
      return { tokens: [...p, ...tokenizer.encode(s.completion), tokenizer.eosId], lossFrom: p.length };
    });
    const after = await totalNll(model, seqs, tokenizer.eosId);
    model.lora!.enabled = false; // the base model, as the reference sees it
    const basis = await totalNll(model, seqs, tokenizer.eosId);
    model.lora!.enabled = true;
    expect(after.nll / after.tokens).toBeLessThan(basis.nll / basis.tokens);
    expect(c1.stats.klToRef).toBeGreaterThan(0);
    await engine.runCycle();
    expect(tf.memory().numTensors).toBe(after1);
    engine.dispose();
    model.dispose();
  });
});
