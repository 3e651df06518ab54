/**
 * The fidelity detector measured on the scenes world's own images (ground truth) and on spoiled ones:
 *   node bin/run-ts.mjs scripts/scenes-fidelity.ts [N = 5000]
 * Prints, at 32 and 48 px: mean fidelity of N random captions' scenes (single objects and groups of two or three
 * apart, with the minimum), of the four evaluation sets (4 layouts each), of noise and blank images; and at 32 px
 * the graduated reading of blurred, noisy and mismatched images. Seeded: the same numbers every run.
 */
import { Rng } from '../src/core/rng';
import { fidelity, parsePrompt, renderScene, sampleCaption, sampleScene, SCENE_EVAL_SETS } from '../src/core/scenes';
import { blur3 } from '../src/core/scenes/blur';

const N = Number(process.argv[2] ?? 5000);
const mean = (x: readonly number[]) => x.reduce((a, b) => a + b, 0) / x.length;
const f3 = (x: number) => x.toFixed(3);


for (const size of [32, 48]) {
  const rng = new Rng(42);
  const single: number[] = [];
  const multi: number[] = [];
  for (let k = 0; k < N; k++) {
    const { spec } = sampleCaption(rng);
    const scene = sampleScene(spec, rng);
    (scene.objects.length === 1 ? single : multi).push(fidelity(renderScene(scene, size), spec).reward);
  }
  console.log(`${size} px: single objects ${f3(mean(single))} (min ${f3(Math.min(...single))}, n ${single.length}); two or three ${f3(mean(multi))} (min ${f3(Math.min(...multi))}, n ${multi.length})`);
  for (const [name, prompts] of Object.entries(SCENE_EVAL_SETS)) {
    const r = prompts.flatMap((p) => [0, 1, 2, 3].map((s) => fidelity(renderScene(sampleScene(parsePrompt(p), new Rng(s)), size), parsePrompt(p)).reward));
    console.log(`  eval set ${name}: ${f3(mean(r))}`);
  }
  const nr = new Rng(1);
  const noise = Array.from({ length: 200 }, () => fidelity(Float32Array.from({ length: size * size * 3 }, () => nr.float()), sampleCaption(nr).spec).reward);
  const blank = [0, 0.1, 0.5, 1].map((v) => fidelity(new Float32Array(size * size * 3).fill(v), parsePrompt('a red circle')).reward);
  console.log(`  uniform noise: mean ${f3(mean(noise))}, max ${f3(Math.max(...noise))}; blank (0, 0.1, 0.5, 1): ${blank.map(f3).join(' ')}`);
}

const rng = new Rng(5);
const spoiled: Record<string, number[]> = {};
const add = (k: string, v: number) => (spoiled[k] ??= []).push(v);
for (let n = 0; n < 1000; n++) {
  const { spec } = sampleCaption(rng);
  const px = renderScene(sampleScene(spec, rng), 32);
  add('3x3 blur', fidelity(blur3(px), spec).reward);
  add('3x3 blur twice', fidelity(blur3(blur3(px)), spec).reward);
  for (const sd of [0.05, 0.1, 0.2]) add(`Gaussian noise sd ${sd}`, fidelity(px.map((v) => Math.min(1, Math.max(0, v + sd * rng.normal()))), spec).reward);
  add('another random prompt', fidelity(px, sampleCaption(rng).spec).reward);
}
console.log('32 px, 1000 scenes spoiled:');
for (const [k, v] of Object.entries(spoiled)) console.log(`  ${k}: ${f3(mean(v))}`);
