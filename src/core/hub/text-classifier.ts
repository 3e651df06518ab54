/**
 * Learned rewards: a Hub text-classification model run by @huggingface/transformers' pipeline (ONNX weights,
 * `onnx/model.onnx`, the layout transformers.js loads). The same code serves the CLI (the library's Node runtime,
 * ONNX Runtime on the CPU) and the page's trainer worker (WebGPU, falling back to WASM); what differs is the
 * runtime: where models come from (the Hub endpoint, a machine setting), where they are cached, the device.
 * Models load once per id and revision; texts are classified in batches.
 */
import { env, pipeline } from '@huggingface/transformers';
import type { ClassifierLoader, TextClassifier } from '../tasks/types';

export interface ClassifierRuntime {
  /** The Hub (or a mirror, or a test server): models are fetched from {endpoint}/{id}/resolve/{revision}/. */
  endpoint: string;
  device: 'cpu' | 'wasm' | 'webgpu';
  /** Node: the folder files are cached in. */
  cacheDir?: string;
  /** Rows per pipeline call. */
  batch?: number;
  /** Download progress of a model's files (bytes). */
  onProgress?: (p: { model: string; file: string; loaded: number; total: number }) => void;
}

interface Label {
  label: string;
  score: number;
}

type Pipe = ((texts: string[], opts: { top_k: number | null }) => Promise<Label[] | Label[][]>) & {
  model: { config: { id2label?: Record<string, string> } };
  dispose(): Promise<void>;
};

/** A loader of Hub text classifiers on this runtime (each model loads once). */
export function transformersClassifierLoader(rt: ClassifierRuntime): ClassifierLoader {
  const loaded = new Map<string, Promise<TextClassifier>>();
  return (model, revision) => {
    const key = `${model}@${revision}`;
    if (!loaded.has(key)) {
      const p = load(rt, model, revision);
      loaded.set(key, p);
      p.catch(() => loaded.delete(key)); // a failed download may be retried
    }
    return loaded.get(key)!;
  };
}

async function load(rt: ClassifierRuntime, model: string, revision: string): Promise<TextClassifier> {
  env.remoteHost = rt.endpoint.endsWith('/') ? rt.endpoint : `${rt.endpoint}/`;
  env.remotePathTemplate = '{model}/resolve/{revision}/';
  env.allowLocalModels = false;
  env.allowRemoteModels = true;
  if (rt.cacheDir) env.cacheDir = rt.cacheDir;
  let pipe: Pipe;
  try {
    pipe = (await pipeline('text-classification', model, {
      revision,
      device: rt.device,
      dtype: 'fp32',
      progress_callback: (p: { status: string; file?: string; loaded?: number; total?: number }) => {
        if (p.status === 'progress' && p.file) rt.onProgress?.({ model, file: p.file, loaded: p.loaded ?? 0, total: p.total ?? 0 });
      },
    })) as unknown as Pipe;
  } catch (e) {
    throw new Error(`the reward model ${model}@${revision} did not load: ${(e as Error).message.slice(0, 300)}`);
  }
  const labels = Object.values(pipe.model.config.id2label ?? {});
  const batch = rt.batch ?? 16;
  return {
    labels,
    async classify(texts) {
      const out: Array<Record<string, number>> = [];
      for (let i = 0; i < texts.length; i += batch) {
        const part = texts.slice(i, i + batch);
        const got = await pipe(part, { top_k: null });
        // one text gives a flat list of labels, several a list per text
        const rows = (part.length === 1 && !Array.isArray(got[0]) ? [got] : got) as Label[][];
        for (const r of rows) out.push(Object.fromEntries(r.map((l) => [l.label, l.score])));
      }
      return out;
    },
    dispose: () => pipe.dispose(),
  };
}
