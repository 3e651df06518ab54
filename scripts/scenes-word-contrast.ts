/**
 * Which words of the prompt does a scenes DiT use? Place and shape contrast (src/core/diffusion/dit/word-contrast.ts)
 * of each model from pure noise, beside the same measure on the world's own images, and the shape contrast at noise
 * levels where the image still shows the object, with a colour word's for comparison. 0 = the word changes nothing.
 *   Run: node bin/run-ts.mjs scripts/scenes-word-contrast.ts [--model DIR ...]
 */
import { parseArgs } from 'node:util';
import { SceneDiT } from '../src/core/diffusion/dit/model';
import { SCENES_SCHEDULE } from '../src/core/diffusion/dit/recipe';
import { placeContrast, shapeContrast, wordContrastAt, worldPlaceContrast, worldShapeContrast } from '../src/core/diffusion/dit/word-contrast';
import { cosineSchedule } from '../src/core/diffusion/schedule';
import { initNodeBackend } from '../src/node/backend';
import { readDiTFolder } from '../src/node/diffusion-files';
import { modelDir } from '../src/node/model-files';

await initNodeBackend('wasm');
const { values } = parseArgs({ options: { model: { type: 'string', multiple: true } } });
const S = 32, schedule = cosineSchedule(SCENES_SCHEDULE.steps);
const AT = [300, 500, 700, 900];
console.log(`the world's images: place contrast ${worldPlaceContrast(S).toFixed(3)}, shape contrast ${worldShapeContrast(S).toFixed(3)} (large objects)`);
for (const dir of values.model ?? [modelDir('scenes')]) {
  const { manifest, weights } = readDiTFolder(dir);
  const model = new SceneDiT(manifest.config, weights);
  console.log(`${dir} (step ${manifest.meta.steps}): place contrast ${placeContrast(model, S).toFixed(3)}, shape contrast ${shapeContrast(model, S).toFixed(3)}`);
  for (const word of ['shape', 'colour'] as const) {
    console.log(`  ${word} contrast of the one-step estimate of a noised object: ${AT.map((t) => `t ${t} ${wordContrastAt(model, S, t, schedule, word).toFixed(3)}`).join('  ')}`);
  }
  model.dispose();
}
