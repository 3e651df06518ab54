/**
 * A Hub model in the trainer worker: `config.json` first (an unsupported architecture is named before anything
 * large is fetched), then the memory estimate of the run, refused when it does not fit the device; then the
 * tokenizer files and the weights (single or sharded safetensors) through the cache (hub-cache.ts), with progress in
 * bytes; the model built by its architecture's folder (core/models/, through core/hub/causal-lm.ts) and fingerprinted.
 */
import { languageModelFromHub } from '../core/hub/causal-lm';
import { parseJsonFile, readCheckpoint } from '../core/hub/checkpoint';
import { hubFingerprint } from '../core/hub/fingerprint';
import { HubModelError } from '../core/hub/errors';
import { checkFit, estimateRunMemory, type DeviceLimits, type MemoryEstimate, type RunShape } from '../core/hub/memory';
import { describeSource } from '../core/hub/source';
import type { LanguageModel } from '../core/lm/language-model';
import { hubTokenizer, type HubTokenizer } from '../core/tokenizer/hub-tokenizer';
import { hubFiles, type FileProgress } from './hub-cache';

export interface LoadedHubModel {
  model: LanguageModel;
  tokenizer: HubTokenizer;
  fingerprint: string;
  /** The commit the Hub resolved, when it said. */
  revision: string | null;
  /** The model setting pinned to that commit (Hub ids), for links and stored runs. */
  pinned: string;
  estimate: MemoryEstimate;
  /** Bytes of all files. */
  bytes: number;
  /** What an export needs: the source's config.json, its tokenizer files, and the base name PEFT records. */
  hubConfig: unknown;
  tokenizerFiles: Array<{ name: string; bytes: Uint8Array }>;
  base: string;
}

export interface HubLoadHooks {
  onProgress(p: FileProgress): void;
  onEstimate(e: MemoryEstimate): void;
}

export async function loadHubModelFromUrl(model: string, endpoint: string | undefined, run: RunShape, limits: DeviceLimits, hooks: HubLoadHooks): Promise<LoadedHubModel> {
  const files = await hubFiles(model, endpoint, hooks.onProgress);
  const where = describeSource(files.source);
  const configBytes = (await files.get('config.json'))!;
  const config = parseJsonFile(configBytes, `${where}/config.json`);
  const estimate = estimateRunMemory(config, run); // names an unsupported model_type
  hooks.onEstimate(estimate);
  const misfit = checkFit(estimate, limits);
  if (misfit) throw new HubModelError(`${where}: ${misfit}`);
  const tokenizerBytes = (await files.get('tokenizer.json'))!;
  const tokenizerJson = parseJsonFile(tokenizerBytes, `${where}/tokenizer.json`);
  const tokenizerConfigBytes = await files.get('tokenizer_config.json', true);
  const tokenizerFiles = [{ name: 'tokenizer.json', bytes: tokenizerBytes }, ...(tokenizerConfigBytes ? [{ name: 'tokenizer_config.json', bytes: tokenizerConfigBytes }] : [])];
  const tokenizer = hubTokenizer(tokenizerJson, tokenizerConfigBytes ? parseJsonFile(tokenizerConfigBytes, `${where}/tokenizer_config.json`) : {}, config);
  const { tensors, files: weightFiles } = await readCheckpoint((file, optional) => files.get(file, optional), where);
  const lm = languageModelFromHub(config, tensors);
  try {
    const all = [{ name: 'config.json', bytes: configBytes }, ...weightFiles];
    const fingerprint = await hubFingerprint(all);
    await files.remember(model);
    const revision = files.revision;
    const pinned = files.source.kind === 'hub' && revision ? `${files.source.id}@${revision}` : model;
    const base = files.source.kind === 'hub' ? files.source.id : files.source.base;
    return { model: lm, tokenizer, fingerprint, revision, pinned, estimate, bytes: all.reduce((n, f) => n + f.bytes.length, 0), hubConfig: config, tokenizerFiles, base };
  } catch (e) {
    lm.dispose();
    throw e;
  }
}
