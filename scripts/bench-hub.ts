/**
 * Benchmark: real Hub model sizes on the CLI's backend (wasm by default; RAFTLAB_BACKEND=cpu for the other).
 * Builds random models with the exact shapes of `gpt2` (124M: 12 layers, 12 heads, 768 channels, 1024 positions,
 * vocab 50257) and `HuggingFaceTB/SmolLM2-135M` (30 layers, 9 query and 3 key/value heads, 576 channels, MLP 1536,
 * vocab 49152, tied head) and prints, per model:
 * - generation: batch 8, 16-token prompts, 64 new tokens with the KV cache -> new tokens per second;
 * - a LoRA train step (rank 8 on attention q, v; batch 8 x 64 tokens, Adam) -> seconds per step;
 * - peak memory: the tensor bytes TF.js held at the peak of a train step (tf.profile), the WASM heap (it only
 *   grows, so its size is the peak of everything, XNNPACK's packed weights included) and the process's resident set.
 *
 *   npx tsx scripts/bench-hub.ts [--models gpt2,smollm2-135m] [--steps 2]
 *
 * Prints figures; asserts nothing (speed targets live here, not in timed tests).
 */
import * as tf from '@tensorflow/tfjs';
import { parseArgs } from 'node:util';
import { Adam } from '../src/core/lm/adam';
import { generate } from '../src/core/lm/generate';
import { Gpt } from '../src/core/models/gpt2/model';
import type { LanguageModel } from '../src/core/lm/language-model';
import { LlamaModel, llamaParamShapes, type LlamaConfig } from '../src/core/models/llama/model';
import { resolveLoraTargets } from '../src/core/models/registry';
import { disposeBatch, makeBatch, trainStep } from '../src/core/lm/train';
import { Rng } from '../src/core/rng';
import { initNodeBackend, type NodeBackend } from '../src/node/backend';

const { values } = parseArgs({ options: { models: { type: 'string', default: 'gpt2,smollm2-135m' }, steps: { type: 'string', default: '2' } } });

const SMOLLM2_135M: LlamaConfig = {
  vocabSize: 49152, blockSize: 8192, nLayer: 30, nHead: 9, nKvHead: 3, nEmbd: 576, headDim: 64, nInner: 1536, rmsEps: 1e-5, ropeTheta: 100000, tiedHead: true, qkvBias: false, qkNorm: false,
};

function randomLlama(c: LlamaConfig): LlamaModel {
  const rng = new Rng(1);
  const weights = new Map<string, Float32Array>();
  for (const [name, shape] of llamaParamShapes(c)) {
    const v = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (shape.length === 1) v.fill(1);
    else for (let i = 0; i < v.length; i++) v[i] = (rng.float() * 2 - 1) * 0.03;
    weights.set(name, v);
  }
  return new LlamaModel(c, weights);
}

const MODELS: Record<string, { build: () => LanguageModel; targets: string }> = {
  gpt2: { build: () => new Gpt({ vocabSize: 50257, blockSize: 1024, nLayer: 12, nHead: 12, nEmbd: 768 }, undefined, 1), targets: 'q,v' },
  'smollm2-135m': { build: () => randomLlama(SMOLLM2_135M), targets: 'q_proj,v_proj' },
};

let peakTensorBytes = 0;
let peakRss = 0;
const sample = () => {
  peakTensorBytes = Math.max(peakTensorBytes, tf.memory().numBytes);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
};
const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;

const backend = await initNodeBackend((process.env.RAFTLAB_BACKEND as NodeBackend) ?? 'wasm');
console.log(`backend ${backend}; ${process.platform} ${process.arch}, node ${process.version}`);
const steps = Number(values.steps);
for (const name of values.models!.split(',')) {
  const spec = MODELS[name];
  if (!spec) throw new Error(`unknown model ${name}; have ${Object.keys(MODELS).join(', ')}`);
  peakTensorBytes = 0;
  peakRss = 0;
  let t = performance.now();
  const model = spec.build();
  sample();
  console.log(`\n${name}: ${(model.numParams() / 1e6).toFixed(1)}M params, built in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const V = model.config.vocabSize;
  const rng = new Rng(2);
  const prompts = Array.from({ length: 8 }, () => Array.from({ length: 16 }, () => rng.int(V - 1)));
  const timer = setInterval(sample, 50);
  // generation: the first call also compiles/warms kernels; the second is timed
  await generate(model, prompts.map((p) => p.slice(0, 4)), { maxNewTokens: 4, temperature: 1, topK: 0, topP: 1, eosId: V - 1 }, new Rng(3));
  t = performance.now();
  const gens = await generate(model, prompts, { maxNewTokens: 64, temperature: 1, topK: 0, topP: 1, eosId: V - 1 }, new Rng(4));
  const genS = (performance.now() - t) / 1000;
  const newTokens = gens.reduce((n, g) => n + g.tokens.length, 0);
  console.log(`  generate  batch 8, 16-token prompts, 64 new tokens (KV cache): ${newTokens} tokens in ${genS.toFixed(1)} s = ${(newTokens / genS).toFixed(1)} tokens/s`);
  // LoRA train step
  model.attachLora({ rank: 8, alpha: 16, targets: resolveLoraTargets(model.architecture, spec.targets) }, 1);
  const seqs = Array.from({ length: 8 }, () => ({ tokens: Array.from({ length: 65 }, () => rng.int(V - 1)), lossFrom: 1 }));
  const batch = makeBatch(seqs, model.config.blockSize, V - 1);
  const opt = new Adam();
  const times: number[] = [];
  for (let s = 0; s <= steps; s++) {
    t = performance.now();
    await trainStep(model, opt, batch, 1e-3, 1);
    times.push((performance.now() - t) / 1000);
  }
  clearInterval(timer);
  sample();
  const profiled = await tf.profile(async () => {
    await trainStep(model, opt, batch, 1e-3, 1);
  });
  const heap = backend === 'wasm' ? (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer.byteLength : null;
  const timed = times.slice(1); // the first step builds the optimizer's moments and warms kernels
  console.log(`  LoRA step rank 8 (${spec.targets}), batch 8 x 64 tokens: ${timed.map((x) => x.toFixed(1)).join(', ')} s (first ${times[0]!.toFixed(1)} s)`);
  console.log(`  peak memory: tensors ${mib(Math.max(peakTensorBytes, profiled.peakBytes))} (train step), ${heap !== null ? `WASM heap ${mib(heap)}, ` : ''}process RSS ${mib(peakRss)}`);
  disposeBatch(batch);
  opt.dispose();
  model.dispose();
}
