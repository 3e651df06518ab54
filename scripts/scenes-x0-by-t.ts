/**
 * Where along the noise levels the scenes DiT fails: 16 held-out images of the world (seeds never drawn in
 * pre-training) noised to t = 100 .. 900, the model's one-step clean-image estimate x0_hat = sqrt(aBar) x_t -
 * sqrt(1 - aBar) v_hat, scored by the fidelity detector against the image's own caption. Sampling must pass through
 * every t, so a t where x0_hat breaks up is where the generated images break up. `--grid FILE` writes the first 8
 * images (top row) and their estimates at each t (a row per t).
 *   Run: node bin/run-ts.mjs scripts/scenes-x0-by-t.ts [--model DIR] [--grid FILE]
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { probeImages } from '../src/core/diffusion/dit/eval-items';
import { SCENES_SCHEDULE } from '../src/core/diffusion/dit/recipe';
import { SceneDiT } from '../src/core/diffusion/dit/model';
import { imageGrid } from '../src/core/diffusion/png';
import { cosineSchedule } from '../src/core/diffusion/schedule';
import { noised } from '../src/core/diffusion/train';
import { Rng } from '../src/core/rng';
import { fidelity } from '../src/core/scenes/fidelity';
import { parsePrompt } from '../src/core/scenes';
import { initNodeBackend } from '../src/node/backend';
import { readDiTFolder, writePng } from '../src/node/diffusion-files';
import { modelDir } from '../src/node/model-files';
await initNodeBackend('wasm');
const { values } = parseArgs({ options: { model: { type: 'string' }, grid: { type: 'string' } } });
const dir = values.model ?? modelDir('scenes');
const { manifest, weights } = readDiTFolder(dir);
const model = new SceneDiT(manifest.config, weights);
console.log(`${dir}: step ${manifest.meta.steps}; 16 held-out images of the world, fidelity of the one-step estimate x0_hat by t`);
const S = 32, schedule = cosineSchedule(SCENES_SCHEDULE.steps);
const { prompts, pixels, images, ids } = probeImages(16, S, manifest.config.maxTokens);
const rng = new Rng(5);
const tiles: Float32Array[] = [];
// the same 16 images and prompts at every t (only the noise is drawn anew)
for (const T of [100, 300, 500, 700, 900]) {
  const noise = Float32Array.from({ length: images.length }, () => rng.normal());
  const ts = new Array(16).fill(T);
  const x0 = tf.tidy(() => {
    const { xt } = noised(images, noise, ts, [16, S, S, 3], schedule);
    const v = model.forward(xt, ts, ids);
    const a = Math.sqrt(schedule.alphaBar[T]!), b = Math.sqrt(1 - schedule.alphaBar[T]!);
    return tf.clipByValue(tf.div(tf.add(tf.sub(tf.mul(xt, a), tf.mul(v, b)), 1), 2), 0, 1);
  });
  const data = (await x0.data()) as Float32Array; x0.dispose();
  const scores: number[] = [];
  for (let i = 0; i < 16; i++) { const im = data.slice(i * S * S * 3, (i + 1) * S * S * 3); scores.push(fidelity(im, parsePrompt(prompts[i]!)).reward); if (i < 8) tiles.push(im); }
  console.log(`t ${String(T).padStart(3)}: fidelity of x0_hat ${(scores.reduce((a, b) => a + b) / 16).toFixed(3)}`);
}
console.log(`prompts of the first 8: ${prompts.slice(0, 8).join(' | ')}`);
if (values.grid) {
  const g = imageGrid([...pixels.slice(0, 8), ...tiles], { columns: 8, scale: 4 });
  writePng(values.grid, g.rgb, g.width, g.height);
  console.log(`wrote ${values.grid}`);
}
model.dispose();
