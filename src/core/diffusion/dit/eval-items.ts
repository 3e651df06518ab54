/**
 * The scenes DiT's eval images, as scripts/eval-scenes.ts and scripts/scenes-sampler-probe.ts draw and score them:
 * `seeds` images a prompt from fixed noise seeds (7000 + 100 * prompt + j), scored by the verified `fidelity`
 * detector. One place for the seeds, so both scripts sample the same images.
 */
import { fidelity } from '../../scenes/fidelity';
import { parsePrompt, trainingPair } from '../../scenes';
import { SCENES_HELD_OUT_SEED, scenesWordIds } from './recipe';
import { promptTokens } from './tokens';

/** (token row, noise seed) of each eval image of `prompts`, `seeds` a prompt, in order. */
export function evalItems(prompts: readonly string[], seeds: number, maxTokens: number): Array<{ ids: Int32Array; seed: number }> {
  return prompts.flatMap((p, i) => Array.from({ length: seeds }, (_, j) => ({ ids: promptTokens(scenesWordIds(p), maxTokens), seed: 7000 + 100 * i + j })));
}

/**
 * Mean fidelity and pass rate (fidelity 1) of the images of evalItems(prompts, seeds, ...), in the same order, and
 * the mean of each part of the detector's breakdown over the images whose breakdown has it: count, shape, colour,
 * size, place or relation, and objects (found). `breakdown.count` is the count score; `count` is the number of images.
 */
export function evalScore(images: readonly Float32Array[], prompts: readonly string[], seeds: number): { mean: number; pass: number; count: number; breakdown: Record<string, number> } {
  const results = images.map((px, k) => fidelity(px, parsePrompt(prompts[Math.floor(k / seeds)]!)));
  const scores = results.map((r) => r.reward);
  const sums = new Map<string, [number, number]>();
  for (const r of results) {
    for (const [key, v] of Object.entries(r.breakdown ?? {})) {
      if (typeof v !== 'number') continue;
      const [sum, n] = sums.get(key) ?? [0, 0];
      sums.set(key, [sum + v, n + 1]);
    }
  }
  return {
    mean: scores.reduce((a, b) => a + b, 0) / scores.length,
    pass: scores.filter((s) => s >= 1).length / scores.length,
    count: scores.length,
    breakdown: Object.fromEntries([...sums].map(([key, [sum, n]]) => [key, sum / n])),
  };
}

/** The breakdown of evalScore as one line: `  count 0.64  shape 0.21  colour 0.52  ...`. */
export function breakdownLine(b: Record<string, number>): string {
  return `  ${Object.entries(b).map(([k, v]) => `${k} ${v.toFixed(2)}`).join('  ')}`;
}

/** One line of a script's report: `set  fidelity 0.453  pass 0.083  (48 images)`. */
export function evalLine(set: string, r: { mean: number; pass: number; count: number }): string {
  return `${set.padEnd(12)} fidelity ${r.mean.toFixed(3)}  pass ${r.pass.toFixed(3)}  (${r.count} images)`;
}

/**
 * The diagnostic scripts' held-out images (scenes-x0-by-t.ts, scenes-attention-probe.ts): n images of the world at
 * `size` from seeds never drawn in pre-training, their prompts, the images packed (n, size, size, 3) and their token
 * rows. One place, so both scripts read the same images.
 */
export function probeImages(n: number, size: number, maxTokens: number): { prompts: string[]; pixels: Float32Array[]; images: Float32Array; ids: Int32Array } {
  const pairs = Array.from({ length: n }, (_, i) => trainingPair(SCENES_HELD_OUT_SEED + 5000 + i, size));
  const images = new Float32Array(n * size * size * 3);
  pairs.forEach((p, i) => images.set(p.pixels, i * size * size * 3));
  const ids = new Int32Array(pairs.flatMap((p) => [...promptTokens(scenesWordIds(p.prompt), maxTokens)]));
  return { prompts: pairs.map((p) => p.prompt), pixels: pairs.map((p) => p.pixels), images, ids };
}
