/**
 * Where the scenes DiT's image tokens look: for 16 held-out images of the world (the same ones as
 * scenes-x0-by-t.ts) noised to t, each block's attention from the image queries, averaged over images and queries:
 *   image mass - the share of attention on image keys (the rest is on the prompt's tokens);
 *   entropy    - of the attention over the image keys alone, as a share of its maximum ln(K) (1 = uniform: every
 *                image key alike, the block only sees the image's mean);
 *   near       - the share of that image attention on keys within one patch of the query (Chebyshev distance;
 *                pooled keys: their centre within 1.5 patches), next to what uniform attention would give.
 * A model whose patches should agree on one object needs blocks that look near; uniform attention leaves each patch
 * to decide from its own pixels and the image's mean.
 *   Run: node bin/run-ts.mjs scripts/scenes-attention-probe.ts [--model DIR] [--t 100,500,900]
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { keyPoolOf } from '../src/core/diffusion/dit/config';
import { probeImages } from '../src/core/diffusion/dit/eval-items';
import { pooledKeyCentre } from '../src/core/diffusion/dit/patches';
import { SCENES_SCHEDULE } from '../src/core/diffusion/dit/recipe';
import { SceneDiT } from '../src/core/diffusion/dit/model';
import { cosineSchedule } from '../src/core/diffusion/schedule';
import { noised } from '../src/core/diffusion/train';
import { Rng } from '../src/core/rng';
import { initNodeBackend } from '../src/node/backend';
import { readDiTFolder } from '../src/node/diffusion-files';
import { modelDir } from '../src/node/model-files';
await initNodeBackend('wasm');
const { values } = parseArgs({ options: { model: { type: 'string' }, t: { type: 'string', default: '100,500,900' } } });
const dir = values.model ?? modelDir('scenes');
const { manifest, weights } = readDiTFolder(dir);
const cfg = manifest.config;
const model = new SceneDiT(cfg, weights);
const S = cfg.imageSize, N = 16, schedule = cosineSchedule(SCENES_SCHEDULE.steps);
const g = S / cfg.patch, kp = keyPoolOf(cfg), gk = g / kp, K = gk * gk, T = g * g;
// near[q * K + k] = 1 when key k is within one patch of query q
const near = new Float32Array(T * K);
for (let q = 0; q < T; q++) {
  for (let k = 0; k < K; k++) {
    const [ky, kx] = pooledKeyCentre(k, g, kp);
    near[q * K + k] = Math.max(Math.abs(Math.floor(q / g) - ky), Math.abs((q % g) - kx)) <= (kp === 1 ? 1 : 1.5) ? 1 : 0;
  }
}
const uniformNear = near.reduce((a, b) => a + b, 0) / (T * K);
const { images, ids } = probeImages(N, S, cfg.maxTokens);
const rng = new Rng(5);
console.log(`${dir}: ${cfg.depth} blocks x ${cfg.heads} heads, ${K} image keys (uniform: entropy 1, near ${uniformNear.toFixed(3)}); per block the mean over heads [the heads]`);
for (const t of values.t.split(',').map(Number)) {
  const noise = Float32Array.from({ length: images.length }, () => rng.normal());
  console.log(`t = ${t}`);
  tf.tidy(() => {
    const { xt } = noised(images, noise, new Array(N).fill(t), [N, S, S, 3], schedule);
    model.denoise(xt as tf.Tensor4D, new Array(N).fill(t), model.encodeText(ids, N), { attention: (block, p) => {
      const [mass, entropy, nearShare] = tf.tidy(() => {
        const img = tf.slice(p, [0, 0, 0, 0], [N, cfg.heads, T, K]);
        const m = tf.sum(img, -1); // (N, H, T)
        const pi = tf.div(img, tf.expandDims(tf.add(m, 1e-12), -1));
        const ent = tf.div(tf.neg(tf.sum(tf.mul(pi, tf.log(tf.add(pi, 1e-12))), -1)), Math.log(K));
        const nr = tf.sum(tf.mul(pi, tf.tensor3d(near, [1, T, K]).expandDims(0)), -1);
        return [m, ent, nr].map((x) => Array.from(tf.mean(x, [0, 2]).dataSync()));
      });
      const cell = (xs: number[]) => `${(xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(3)} [${xs.map((x) => x.toFixed(2)).join(' ')}]`;
      console.log(`  block ${block}: image mass ${cell(mass!)}  entropy ${cell(entropy!)}  near ${cell(nearShare!)}`);
    } });
  });
}
model.dispose();
