/** The CLI's learned rewards: Hub text classifiers on ONNX Runtime's Node build, cached under $RAFTLAB_CACHE. */
import { join } from 'node:path';
import { DEFAULT_HF_ENDPOINT } from '../core/hub/source';
import { transformersClassifierLoader } from '../core/hub/text-classifier';
import type { ClassifierLoader } from '../core/tasks/types';
import { cacheRoot } from './hub-download';

export function nodeClassifierLoader(endpoint = process.env.HF_ENDPOINT ?? DEFAULT_HF_ENDPOINT, log?: (line: string) => void): ClassifierLoader {
  const seen = new Set<string>();
  return transformersClassifierLoader({
    endpoint,
    device: 'cpu',
    cacheDir: join(cacheRoot(), 'transformers'),
    onProgress: (p) => {
      if (p.loaded === p.total && !seen.has(p.file)) {
        seen.add(p.file);
        log?.(`reward model ${p.model}: ${p.file} ${(p.total / 1e6).toFixed(1)} MB`);
      }
    },
  });
}
