/**
 * Where along the noise levels the scenes DiT fails: 16 held-out images of the world (seeds never drawn in
 * pre-training) noised to t = 100 .. 900, the model's one-step clean-image estimate x0_hat = sqrt(aBar) x_t -
 * sqrt(1 - aBar) v_hat, scored by the fidelity detector against the image's own caption. Sampling must pass through
 * every t, so a t where x0_hat breaks up is where the generated images break up. `--grid FILE` writes the first 8
 * images (top row) and their estimates at each t (a row per t). A self-conditioned model (config `selfCond`) is
 * also scored given its own first estimate (a second pass, as the sampler hands a step's estimate to the next).
 *   Run: node bin/run-ts.mjs scripts/scenes-x0-by-t.ts [--model DIR] [--grid FILE]
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { selfCondOf } from '../src/core/diffusion/dit/config';
import { probeImages } from '../src/core/diffusion/dit/eval-items';
import { SCENES_SCHEDULE } from '../src/core/diffusion/dit/recipe';
import { SceneDiT } from '../src/core/diffusion/dit/model';
import { x0FromV } from '../src/core/diffusion/dit/train';
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
const selfCond = selfCondOf(manifest.config);
// the same 16 images and prompts at every t (only the noise is drawn anew)
for (const T of [100, 300, 500, 700, 900]) {
  const noise = Float32Array.from({ length: images.length }, () => rng.normal());
  const ts = new Array(16).fill(T);
  // in pixels ([0, 1]): the one-step estimate, and for a self-conditioned model the estimate given that one
  const [x0, x0Again] = tf.tidy(() => {
    const { xt } = noised(images, noise, ts, [16, S, S, 3], schedule);
    const first = x0FromV(xt, model.forward(xt, ts, ids), ts, schedule);
    const second = selfCond ? [x0FromV(xt, model.forward(xt, ts, ids, first), ts, schedule)] : [];
    return [first, ...second].map((e) => tf.div(tf.add(e, 1), 2));
  }) as [tf.Tensor4D, tf.Tensor4D?];
  const meanFidelity = async (est: tf.Tensor4D, keep: boolean) => {
    const data = (await est.data()) as Float32Array; est.dispose();
    const scores: number[] = [];
    for (let i = 0; i < 16; i++) { const im = data.slice(i * S * S * 3, (i + 1) * S * S * 3); scores.push(fidelity(im, parsePrompt(prompts[i]!)).reward); if (keep && i < 8) tiles.push(im); }
    return (scores.reduce((a, b) => a + b) / 16).toFixed(3);
  };
  const line = `t ${String(T).padStart(3)}: fidelity of x0_hat ${await meanFidelity(x0, true)}`;
  console.log(x0Again ? `${line}, given its own estimate ${await meanFidelity(x0Again, false)}` : line);
}
console.log(`prompts of the first 8: ${prompts.slice(0, 8).join(' | ')}`);
if (values.grid) {
  const g = imageGrid([...pixels.slice(0, 8), ...tiles], { columns: 8, scale: 4 });
  writePng(values.grid, g.rgb, g.width, g.height);
  console.log(`wrote ${values.grid}`);
}
model.dispose();
