/**
 * Loading the embedded models in the browser: fetch models/<task>/tokenizer.json, model.json and weights.bin
 * relative to the page and build `{model, tokenizer, manifest}` exactly as src/node/model-files.ts does from disk
 * (same core helpers: tokenizerFromJson, unpackWeights, Gpt). Runs in the trainer worker (it creates TF.js
 * variables), so the page URL is passed in; it defaults to document.baseURI, or the worker's own location.
 */
import { Gpt } from '../core/models/gpt2/model';
import { unpackWeights, type ModelManifest } from '../core/lm/weights-io';
import type { Tokenizer } from '../core/tasks/types';
import { weightsFingerprint } from '../core/store/base-model';
import { tokenizerFromJson } from '../core/tokenizer/hf-tokenizer';

export interface EmbeddedModel {
  model: Gpt;
  tokenizer: Tokenizer;
  manifest: ModelManifest;
  /** Identifies the weights file (its CRC-32 and size): checkpoints name the base model they apply to with it. */
  fingerprint: string;
}


function defaultBase(): string {
  if (typeof document !== 'undefined') return document.baseURI;
  return self.location.href;
}

/** URL of one file of a task's embedded model, e.g. `models/sentiment/model.json` relative to `base`. */
export function modelFileUrl(task: string, file: string, base: string | URL = defaultBase()): URL {
  if (!/^[a-z0-9-]+$/.test(task)) throw new Error(`invalid task name ${JSON.stringify(task)}`);
  return new URL(`models/${task}/${file}`, base);
}

async function fetchOk(url: URL, what: string): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new Error(`could not fetch the ${what} ${url.href}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!res.ok) throw new Error(`could not fetch the ${what} ${url.href}: HTTP ${res.status} ${res.statusText}`.trim());
  return res;
}

async function fetchJson(url: URL, what: string): Promise<unknown> {
  const res = await fetchOk(url, what);
  const text = await res.text();
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    // a dev server answers unknown paths with index.html, so say what came back
    const start = JSON.stringify(text.slice(0, 40));
    throw new Error(`the ${what} ${url.href} is not valid JSON (starts with ${start}): ${(e as Error).message}`);
  }
}

export async function loadTokenizerFromUrl(task: string, base: string | URL = defaultBase()): Promise<Tokenizer> {
  const url = modelFileUrl(task, 'tokenizer.json', base);
  const json = await fetchJson(url, 'tokenizer');
  if (json === null || typeof json !== 'object') throw new Error(`the tokenizer ${url.href} is not a JSON object`);
  try {
    return await tokenizerFromJson(json);
  } catch (e) {
    throw new Error(`the tokenizer ${url.href} could not be loaded: ${(e as Error).message}`);
  }
}

/**
 * Fetch a task's model.json and weights.bin and unpack them: the manifest must carry `format`, and the binary must
 * have exactly the bytes its tensors need (a stale or truncated file is named). `kind` names the model in messages.
 */
export async function fetchTensorFile<M extends { format: string; config: unknown; tensors: Array<{ shape: number[]; offset: number }> }>(
  task: string,
  base: string | URL,
  format: M['format'],
  kind: string,
  unpack: (manifest: M, data: ArrayBuffer) => Map<string, Float32Array>,
): Promise<{ manifest: M; weights: Map<string, Float32Array>; fingerprint: string }> {
  const manifestUrl = modelFileUrl(task, 'model.json', base);
  const weightsUrl = modelFileUrl(task, 'weights.bin', base);
  const [manifestJson, data] = await Promise.all([
    fetchJson(manifestUrl, 'model manifest'),
    fetchOk(weightsUrl, 'model weights').then((r) => r.arrayBuffer()),
  ]);
  const manifest = manifestJson as M;
  if (manifest === null || typeof manifest !== 'object' || manifest.format !== format || !manifest.config || !Array.isArray(manifest.tensors)) {
    throw new Error(`${manifestUrl.href} is not a raftlab ${kind} manifest (expected format "${format}")`);
  }
  const expectedBytes = 4 * manifest.tensors.reduce((n, t) => Math.max(n, t.offset + t.shape.reduce((a, b) => a * b, 1)), 0);
  if (data.byteLength !== expectedBytes) {
    throw new Error(`${weightsUrl.href} has ${data.byteLength} bytes but the manifest needs ${expectedBytes} (stale or truncated file?)`);
  }
  try {
    return { manifest, weights: unpack(manifest, data), fingerprint: weightsFingerprint(data) };
  } catch (e) {
    throw new Error(`${weightsUrl.href}: ${(e as Error).message}`);
  }
}

export async function loadEmbeddedModelFromUrl(task: string, base: string | URL = defaultBase()): Promise<EmbeddedModel> {
  const [tokenizer, { manifest, weights, fingerprint }] = await Promise.all([
    loadTokenizerFromUrl(task, base),
    fetchTensorFile<ModelManifest>(task, base, 'raftlab-gpt/1', 'model', unpackWeights),
  ]);
  if (manifest.config.vocabSize !== tokenizer.vocabSize) {
    throw new Error(`model vocab ${manifest.config.vocabSize} != tokenizer vocab ${tokenizer.vocabSize} for task "${task}"`);
  }
  const model = new Gpt(manifest.config, weights);
  return { model, tokenizer, manifest, fingerprint };
}
