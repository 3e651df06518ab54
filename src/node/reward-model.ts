/** The CLI's learned rewards: Hub text classifiers on ONNX Runtime's Node build, cached under $RAFTLAB_CACHE. */
import { join } from 'node:path';
import { DEFAULT_HF_ENDPOINT } from '../core/hub/source';
import { transformersClassifierLoader } from '../core/hub/text-classifier';
import type { ClassifierLoader } from '../core/tasks/types';
import { cacheRoot } from './hub-download';

/**
 * The Node runtime of transformers.js for the learned rewards (text classifiers, image reward models): the CPU, files
 * cached under $RAFTLAB_CACHE/transformers, each finished download logged once as `${noun} <model>: <file> N MB`.
 */
export function nodeTransformersRuntime(endpoint: string, noun: string, log?: (line: string) => void): {
  endpoint: string;
  device: 'cpu';
  cacheDir: string;
  onProgress: (p: { model: string; file: string; loaded: number; total: number }) => void;
} {
  const seen = new Set<string>();
  return {
    endpoint,
    device: 'cpu',
    cacheDir: join(cacheRoot(), 'transformers'),
    onProgress: (p) => {
      const key = `${p.model}/${p.file}`;
      if (p.loaded === p.total && !seen.has(key)) {
        seen.add(key);
        log?.(`${noun} ${p.model}: ${p.file} ${(p.total / 1e6).toFixed(1)} MB`);
      }
    },
  };
}

export function nodeClassifierLoader(endpoint = process.env.HF_ENDPOINT ?? DEFAULT_HF_ENDPOINT, log?: (line: string) => void): ClassifierLoader {
  return transformersClassifierLoader(nodeTransformersRuntime(endpoint, 'reward model', log));
}
