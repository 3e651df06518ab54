import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gptConfigFromHub } from '../src/core/models/gpt2/config';
import { gptToHub, gptWeightsFromHub } from '../src/core/models/gpt2/hub';
import { readSafetensors, writeSafetensors } from '../src/core/hub/safetensors';
import { loadHubFolder } from '../src/node/hub-folder';
import { saveModelFolder } from '../src/node/hub-save';
import { loadEmbeddedModel, modelDir } from '../src/node/model-files';

describe("the lab's GPT saved in the Hub layout", () => {
  it('round-trips exactly through gptToHub, safetensors and the GPT-2 loader', async () => {
    const { model } = await loadEmbeddedModel('sentiment');
    const weights = new Map([...(await model.exportWeights(false))].map(([n, w]) => [n, w.values]));
    const { config, tensors } = gptToHub(model.config, weights, 0);
    expect(gptConfigFromHub(config)).toEqual(model.config);
    const back = gptWeightsFromHub(readSafetensors(writeSafetensors(tensors)).tensors, model.config);
    expect(back).toEqual(weights);
    model.dispose();
  });

  it('a model with trained LoRA adapters, saved merged, gives the same log-probs when loaded back (tensors flat)', async () => {
    const { model, tokenizer } = await loadEmbeddedModel('sentiment');
    model.attachLora({ rank: 4, alpha: 8, targets: ['q', 'v', 'up'] }, 3);
    // pretend training moved the adapters: B is zero at the start
    for (const [name, v] of model.lora!.named()) if (name.endsWith('.b')) tf.tidy(() => v.assign(tf.randomNormal(v.shape, 0, 0.05, 'float32', 7)));
    const ids = tf.tensor2d([tokenizer.encode('the acting was superb and the plot was good')], undefined, 'int32');
    const before = tf.tidy(() => tf.logSoftmax(model.forward(ids as tf.Tensor2D), -1));
    const want = (await before.data()) as Float32Array;
    const dir = mkdtempSync(join(tmpdir(), 'raftlab-save-'));
    await saveModelFolder(dir, model, { folder: null, tokenizerJson: join(modelDir('sentiment'), 'tokenizer.json'), eosId: tokenizer.eosId });
    model.dispose();
    const counted = tf.memory().numTensors;
    const loaded = await loadHubFolder(dir);
    const after = tf.tidy(() => tf.logSoftmax(loaded.model.forward(ids as tf.Tensor2D), -1));
    const got = (await after.data()) as Float32Array;
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
    expect(worst).toBeLessThan(1e-4);
    expect(loaded.tokenizer.encode('the acting')).toEqual(tokenizer.encode('the acting'));
    tf.dispose([before, after, ids]);
    loaded.model.dispose();
    expect(tf.memory().numTensors).toBeLessThanOrEqual(counted);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))).toMatchObject({ model_type: 'gpt2', architectures: ['GPT2LMHeadModel'], tie_word_embeddings: true });
  });

  it('raftlab run --save: a LoRA run writes a PEFT adapter (the embedded base beside it), --merge the whole model; both score alike', { timeout: 300_000 }, () => {
    const root = mkdtempSync(join(tmpdir(), 'raftlab-save-'));
    const tiny = ['--task', 'sentiment', '--cycles', '1', '--prompts-per-cycle', '2', '--samples-per-prompt', '2', '--eval-prompts', '2', '--eval-texts', '4', '--max-new-tokens', '8', '--lora', '4'];
    const cli = (...args: string[]) => spawnSync(process.execPath, ['bin/raftlab.mjs', ...args], { encoding: 'utf8', timeout: 120_000 });
    const adapter = cli('run', ...tiny, '--save', join(root, 'adapter'));
    expect(adapter.status, adapter.stderr).toBe(0);
    expect(adapter.stdout).toContain(`saved the LoRA adapters in PEFT's format to ${join(root, 'adapter')} (base model: ${join(root, 'adapter', 'base')})`);
    const config = JSON.parse(readFileSync(join(root, 'adapter', 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ peft_type: 'LORA', task_type: 'CAUSAL_LM', r: 4, lora_alpha: 16, fan_in_fan_out: true, base_model_name_or_path: join(root, 'adapter', 'base') });
    const merged = cli('run', ...tiny, '--save', join(root, 'merged'), '--merge');
    expect(merged.status, merged.stderr).toBe(0);
    expect(merged.stdout).toContain(`saved the model in the Hugging Face layout to ${join(root, 'merged')} (LoRA adapters merged)`);
    const score = (...args: string[]) => {
      const r = cli('score', '--text', 'the acting was superb and the plot', ...args);
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { modelType: string; logprobs: number[] };
    };
    const viaAdapter = score('--model', join(root, 'adapter', 'base'), '--adapter', join(root, 'adapter'));
    const viaMerge = score('--model', join(root, 'merged'));
    const base = score('--model', join(root, 'adapter', 'base'));
    expect(viaMerge.modelType).toBe('gpt2');
    // the same seed trains the same adapters: merged or applied, the same log-probs; and not the base's
    viaMerge.logprobs.forEach((v, i) => expect(Math.abs(v - viaAdapter.logprobs[i]!)).toBeLessThan(1e-4));
    expect(Math.max(...base.logprobs.map((v, i) => Math.abs(v - viaAdapter.logprobs[i]!)))).toBeGreaterThan(1e-4);
    expect(cli('run', ...tiny.slice(0, -2), '--save', join(root, 'x'), '--merge').stderr).toContain('--merge is for LoRA runs');
  });
});
