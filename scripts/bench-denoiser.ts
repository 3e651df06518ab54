/**
 * Training speed of the denoisers against the backend's matMul: for the shapes U-Net (src/core/diffusion/unet.ts,
 * its im2col weight gradient) and the scenes DiT (src/core/diffusion/dit/), on the same backend in the same run,
 * a pre-training step (forward + backward + Adam on every weight) timed and its analytic FLOPs (dit/flops.ts)
 * divided by the time, next to a dense matMul of the model's own largest layer shape. Prints both rates and their
 * ratio (the share of the matMul rate a train step achieves), and images/s. The step is the fastest of `--steps`, the
 * matMul the fastest of 3 loops as long as a step (the machine may be shared: both see the same load).
 *   Run: node bin/run-ts.mjs scripts/bench-denoiser.ts [--backend wasm|cpu] [--steps 5] [--model unet|dit|both]
 *        [--mlp 4]
 *        [--batch 32] [--size 32] [--width 128] [--depth 6] [--patch 4] [--heads 4] [--key-pool 1|2] [--conv C] [--alibi M] [--mix-ffn]
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { SCENES_DIT } from '../src/core/diffusion/dit/recipe';
import { ditForwardFlops, unetForwardFlops } from '../src/core/diffusion/dit/flops';
import { SceneDiT } from '../src/core/diffusion/dit/model';
import { ditLoss, type DiTBatch } from '../src/core/diffusion/dit/train';
import { cosineSchedule } from '../src/core/diffusion/schedule';
import { SHAPES_UNET } from '../src/core/diffusion/shapes-recipe';
import { denoiseLoss, type DenoiseBatch } from '../src/core/diffusion/train';
import { UNet } from '../src/core/diffusion/unet';
import { Adam } from '../src/core/lm/adam';
import { Rng } from '../src/core/rng';
import { initNodeBackend, type NodeBackend } from '../src/node/backend';
import { ditConfigFromFlags, DIT_DESIGN_OPTIONS } from '../src/node/dit-flags';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' }, steps: { type: 'string', default: '5' }, model: { type: 'string', default: 'both' },
    batch: { type: 'string', default: '32' }, size: { type: 'string' }, ...DIT_DESIGN_OPTIONS,
  },
});
const backend = await initNodeBackend(values.backend as NodeBackend);
const steps = Number(values.steps);
const B = Number(values.batch);
const schedule = cosineSchedule(1000);
const rng = new Rng(1);
const randn = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
const now = () => performance.now();

/**
 * GFLOP/s of an (n, k) x (k, m) matMul on this backend, sustained over about `seconds` (a train step's time, so
 * both see the same load on a shared machine): the best of 3 such loops after a warm-up.
 */
async function matmulRate(n: number, k: number, m: number, seconds: number): Promise<number> {
  const a = tf.tensor2d(randn(n * k), [n, k]);
  const b = tf.tensor2d(randn(k * m), [k, m]);
  const run = async (reps: number) => {
    const t0 = now();
    for (let r = 0; r < reps; r++) {
      const y = tf.matMul(a, b);
      await y.data();
      y.dispose();
    }
    return (now() - t0) / 1000;
  };
  const reps = Math.max(1, Math.round(seconds / (await run(2)) * 2));
  let best = Infinity;
  for (let r = 0; r < 3; r++) best = Math.min(best, await run(reps));
  a.dispose();
  b.dispose();
  return (reps * 2 * n * k * m) / best / 1e9;
}

/** Seconds of a pre-training step (Adam on `vars`): the fastest of `steps` after one warm-up (as for the matMul). */
async function stepSeconds(vars: tf.Variable[], loss: () => tf.Scalar): Promise<number> {
  const opt = new Adam();
  const one = async () => {
    const l = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(loss, vars);
      opt.apply(vars, grads, 1e-4, 1);
      return value;
    });
    await l.data();
    l.dispose();
  };
  await one();
  const before = tf.memory().numTensors;
  let best = Infinity;
  for (let s = 0; s < steps; s++) {
    const t0 = now();
    await one();
    best = Math.min(best, now() - t0);
  }
  const sec = best / 1000;
  if (tf.memory().numTensors !== before) throw new Error(`tensor count grew: ${before} -> ${tf.memory().numTensors}`);
  opt.dispose();
  return sec;
}

function report(name: string, params: number, size: number, fwdFlops: number, sec: number, ref: number, refShape: string): void {
  const rate = (3 * fwdFlops) / sec / 1e9;
  console.log(`${name}: ${params} params, ${size}x${size} px, batch ${B}: ${(sec * 1000).toFixed(0)} ms/step, ${(B / sec).toFixed(1)} images/s`);
  console.log(`  train step ${(3 * fwdFlops / 1e9).toFixed(3)} GFLOP -> ${rate.toFixed(2)} GFLOP/s; matMul ${refShape} ${ref.toFixed(2)} GFLOP/s; ratio ${(rate / ref).toFixed(3)}`);
}

console.log(`backend ${backend}, ${steps} timed steps each`);
if (values.model === 'unet' || values.model === 'both') {
  const size = Number(values.size ?? SHAPES_UNET.size);
  const model = new UNet({ ...SHAPES_UNET, size }, undefined, 1);
  const batch: DenoiseBatch = { images: Float32Array.from(randn(B * size * size * 3), (v) => Math.abs(v) % 1), labels: Array.from({ length: B }, (_, i) => i % 7), t: Array.from({ length: B }, (_, i) => (i * 37) % 1000), noise: randn(B * size * size * 3) };
  if (size !== 16) throw new Error('the shapes U-Net training code is written for its 16 px images (dataset.ts IMAGE_SIZE)');
  const sec = await stepSeconds(model.variables(), () => denoiseLoss(model, batch, schedule, true));
  const [, c1] = SHAPES_UNET.channels;
  // the U-Net's heaviest layers are its 3x3 convolutions at half resolution: (B * (S/2)^2, 9 * c1) x (9 * c1, c1)
  const n = B * (size / 2) ** 2;
  const ref = await matmulRate(n, 9 * c1, c1, sec);
  report('U-Net (shapes)', model.numParams(), size, unetForwardFlops(SHAPES_UNET, B, size), sec, ref, `(${n}, ${9 * c1}) x (${9 * c1}, ${c1})`);
  model.dispose();
}
if (values.model === 'dit' || values.model === 'both') {
  const cfg = ditConfigFromFlags(SCENES_DIT, values);
  const size = Number(values.size ?? cfg.imageSize);
  const model = new SceneDiT(cfg, undefined, 1);
  const ids = new Int32Array(B * cfg.maxTokens);
  for (let i = 0; i < B; i++) for (let j = 0; j < cfg.maxTokens; j++) ids[i * cfg.maxTokens + j] = j === 0 ? 1 : j < 8 ? 2 + ((i + j) % (cfg.vocabSize - 2)) : 0;
  const batch: DiTBatch = { size, images: Float32Array.from(randn(B * size * size * 3), (v) => Math.abs(v) % 1), ids, t: Array.from({ length: B }, (_, i) => (i * 37) % 1000), noise: randn(B * size * size * 3) };
  const sec = await stepSeconds(model.variables(), () => ditLoss(model, batch, schedule));
  const n = B * (size / cfg.patch) ** 2;
  const ref = await matmulRate(n, cfg.width, cfg.mlpRatio * cfg.width, sec);
  report(`DiT (scenes; width ${cfg.width}, depth ${cfg.depth}, patch ${cfg.patch}, key pool ${cfg.keyPool ?? 2}, conv ${cfg.conv ?? 0}, alibi ${cfg.alibi ?? 0}${cfg.mixFfn ? ', Mix-FFN' : ''}${cfg.selfCond ? ', self-conditioned: the no-gradient first pass on half the batch is not timed' : ''})`, model.numParams(), size, ditForwardFlops(cfg, B, size), sec, ref, `(${n}, ${cfg.width}) x (${cfg.width}, ${cfg.mlpRatio * cfg.width})`);
  model.dispose();
}
