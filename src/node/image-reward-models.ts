/**
 * The CLI's learned image rewards (core/rewards/image-models.ts): Hub CLIP models, image classifiers and aesthetic
 * heads on ONNX Runtime's Node build (the CPU), transformers.js' files cached under $RAFTLAB_CACHE as the learned
 * text reward's (node/reward-model.ts).
 */
import { join } from 'node:path';
import { DEFAULT_HF_ENDPOINT } from '../core/hub/source';
import { imageRewardModelLoader, type ImageRewardModels } from '../core/rewards/image-models';
import { cacheRoot } from './hub-download';

export function nodeImageRewardModels(endpoint = process.env.HF_ENDPOINT ?? DEFAULT_HF_ENDPOINT, log?: (line: string) => void): ImageRewardModels {
  const seen = new Set<string>();
  return imageRewardModelLoader({
    endpoint,
    device: 'cpu',
    cacheDir: join(cacheRoot(), 'transformers'),
    onProgress: (p) => {
      const key = `${p.model}/${p.file}`;
      if (p.loaded === p.total && !seen.has(key)) {
        seen.add(key);
        log?.(`image reward model ${p.model}: ${p.file} ${(p.total / 1e6).toFixed(1)} MB`);
      }
    },
  });
}
