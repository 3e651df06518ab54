/**
 * The base model of a run in the trainer worker, by the `model` setting: the task's embedded GPT from the page's
 * models/<name>/ folder, or a Hub model through the Cache API (hub-model.ts). The browser's `ModelSource` for the one
 * run set-up (core/run/prepare.ts); the CLI's is src/node/run-model.ts. Gives, besides the model, what a download of
 * the trained model needs (core/hub/export.ts).
 */
import { isEmbeddedModel, type RunConfig } from '../core/config/schema';
import type { DeviceLimits } from '../core/hub/memory';
import type { LoadedModel, ModelSource } from '../core/run/prepare';
import { baseModelId } from '../core/store/base-model';
import { embeddedModelTask, runTaskDocument } from '../core/tasks/run-task';
import type { Task } from '../core/tasks/types';
import { loadHubModelFromUrl, type HubLoadHooks } from './hub-model';
import { loadEmbeddedModelFromUrl } from './model-files';

/** What a model download needs besides the weights. */
export interface ExportInfo {
  /** The Hub model's config.json; null for the embedded GPT (it gets a GPT-2 config of its own). */
  hubConfig: unknown | null;
  tokenizerFiles: Array<{ name: string; bytes: Uint8Array }>;
  /** PEFT's base_model_name_or_path: the Hub id or URL; null for the embedded model (its base goes in the zip). */
  base: string | null;
  revision: string | null;
  eosId: number;
}

export interface BrowserRunModel extends LoadedModel {
  exportInfo: ExportInfo;
}

/** Where the worker's models come from, and who hears about the loading. */
export interface BrowserModelPlace extends HubLoadHooks {
  /** The page's URL: embedded models are its models/<name>/ files. */
  pageUrl: string;
  hfEndpoint: string | undefined;
  limits: DeviceLimits;
  onStatus(message: string): void;
  /** The model is in memory: its parameter count and what the page shows of it. */
  onLoaded(task: string, params: number, meta: Record<string, string | number | boolean>): void;
}

export function browserModelSource(place: BrowserModelPlace): ModelSource<BrowserRunModel> {
  return async (config: RunConfig, task: Task) => {
    // a custom task runs on the embedded model it names
    const taskName = embeddedModelTask(config);
    if (isEmbeddedModel(config.model)) {
      const doc = runTaskDocument(config);
      place.onStatus(`loading task "${doc ? doc.name : taskName}" and its base model`);
      const e = await loadEmbeddedModelFromUrl(taskName, place.pageUrl);
      const params = e.model.numParams();
      place.onLoaded(task.name, params, e.manifest.meta);
      const tokenizerBytes = new Uint8Array(await (await fetch(new URL(`models/${taskName}/tokenizer.json`, place.pageUrl))).arrayBuffer());
      return {
        model: e.model, tokenizer: e.tokenizer, baseId: baseModelId(task.name, 'gpt', params, e.fingerprint), linkModel: config.model,
        exportInfo: { hubConfig: null, tokenizerFiles: [{ name: 'tokenizer.json', bytes: tokenizerBytes }], base: null, revision: null, eosId: e.tokenizer.eosId },
      };
    }
    place.onStatus(`loading ${config.model} for task "${taskName}"`);
    const h = await loadHubModelFromUrl(config.model, place.hfEndpoint, config, place.limits, place);
    const params = h.model.numParams();
    place.onLoaded(task.name, params, { model: h.pinned, architecture: h.model.architecture, bytes: h.bytes, ...(h.revision ? { revision: h.revision } : {}) });
    return {
      model: h.model, tokenizer: h.tokenizer, baseId: baseModelId(task.name, h.model.architecture, params, h.fingerprint), linkModel: h.pinned,
      exportInfo: { hubConfig: h.hubConfig, tokenizerFiles: h.tokenizerFiles, base: h.base, revision: h.revision, eosId: h.tokenizer.eosId },
    };
  };
}
