/**
 * Reading and writing the embedded models under public/models/<task>/ from Node:
 * tokenizer.json (Hugging Face format), model.json (manifest) and weights.bin (float32).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Gpt } from '../core/models/gpt2/model';
import { packWeights, unpackWeights, type ModelManifest } from '../core/lm/weights-io';
import type { Tokenizer } from '../core/tasks/types';
import { tokenizerFromJson } from '../core/tokenizer/hf-tokenizer';
import { weightsFingerprint } from '../core/store/base-model';

/** The project's root (two levels above src/node). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function modelDir(task: string): string {
  return join(PROJECT_ROOT, 'public', 'models', task);
}

export async function loadTokenizer(task: string): Promise<Tokenizer> {
  const file = join(modelDir(task), 'tokenizer.json');
  return tokenizerFromJson(JSON.parse(readFileSync(file, 'utf8')));
}

export async function loadEmbeddedModel(task: string): Promise<{ model: Gpt; tokenizer: Tokenizer; manifest: ModelManifest; fingerprint: string }> {
  const dir = modelDir(task);
  const tokenizer = await loadTokenizer(task);
  let manifest: ModelManifest;
  let data: Buffer;
  try {
    manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as ModelManifest;
    data = readFileSync(join(dir, 'weights.bin'));
  } catch (e) {
    throw new Error(`no embedded model for task "${task}" in ${dir} (run: npm run pretrain -- --task ${task}): ${(e as Error).message}`);
  }
  const model = new Gpt(manifest.config, unpackWeights(manifest, data));
  if (manifest.config.vocabSize !== tokenizer.vocabSize) {
    model.dispose();
    throw new Error(`model vocab ${manifest.config.vocabSize} != tokenizer vocab ${tokenizer.vocabSize} for task "${task}"`);
  }
  return { model, tokenizer, manifest, fingerprint: weightsFingerprint(data) };
}

export async function saveEmbeddedModel(task: string, model: Gpt, meta: ModelManifest['meta']): Promise<number> {
  const dir = modelDir(task);
  mkdirSync(dir, { recursive: true });
  const { manifest, data } = packWeights(model.config, await model.exportWeights(false), meta);
  writeFileSync(join(dir, 'model.json'), JSON.stringify(manifest, null, 1) + '\n');
  writeFileSync(join(dir, 'weights.bin'), data);
  return data.byteLength;
}
