/**
 * The language model of a CLI run, by the `model` setting: `embedded` (the task's shipped GPT, public/models), a
 * local folder in the Hub's layout, or a Hub source (`org/name[@revision]`, an http(s) folder) downloaded into the
 * cache (hub-download.ts). Gives what the run records of it: a base-model id for run directories (a fingerprint of
 * its files: a run never resumes on other weights), a label, and the `model` value a share link names (a Hub id
 * pinned to the commit the Hub resolved).
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isEmbeddedModel, type RunConfig } from '../core/config/schema';
import { HubModelError } from '../core/hub/errors';
import { hubFingerprint } from '../core/hub/fingerprint';
import { parseModelSource } from '../core/hub/source';
import type { LanguageModel } from '../core/lm/language-model';
import { baseModelId } from '../core/store/base-model';
import { embeddedModelTask } from '../core/tasks/run-task';
import type { Tokenizer } from '../core/tasks/types';
import { downloadModel } from './hub-download';
import { loadHubFolder } from './hub-folder';
import { loadEmbeddedModel, modelDir } from './model-files';
import type { ModelOrigin } from './hub-save';

export interface RunModel {
  model: LanguageModel;
  tokenizer: Tokenizer;
  /** For run directories and checkpoints: task, architecture, size and a fingerprint of the files. */
  baseId: string;
  /** For people: `embedded sentiment model`, `distilgpt2@<commit>`, a folder path. */
  label: string;
  /** The `model` value a share link gives: the Hub id pinned to its resolved commit where known. */
  linkModel: string;
  /** PEFT's base_model_name_or_path: the Hub id, the folder, or (embedded) null: the base is saved alongside. */
  hubName: string | null;
  revision: string | null;
  origin: ModelOrigin;
  meta: Record<string, unknown>;
}

export async function loadRunModel(config: RunConfig, endpoint?: string): Promise<RunModel> {
  if (isEmbeddedModel(config.model)) {
    // a custom task names the embedded model it runs on
    const name = embeddedModelTask(config);
    const { model, tokenizer, manifest, fingerprint } = await loadEmbeddedModel(name);
    return {
      model, tokenizer, baseId: baseModelId(config.task, 'gpt', model.numParams(), fingerprint), label: `embedded ${name} model`,
      linkModel: config.model, hubName: null, revision: null,
      origin: { folder: null, tokenizerJson: join(modelDir(name), 'tokenizer.json'), eosId: tokenizer.eosId }, meta: manifest.meta,
    };
  }
  let dir: string;
  let revision: string | null = null;
  let linkModel = config.model;
  let hubName: string;
  if (existsSync(config.model) && statSync(config.model).isDirectory()) {
    dir = resolve(config.model);
    hubName = dir;
  } else {
    const source = parseModelSource(config.model);
    if (!source) throw new HubModelError(`--model ${JSON.stringify(config.model.slice(0, 80))} is neither a folder nor a Hub id (org/name[@revision]) nor an http(s) URL`);
    const got = await downloadModel(source, endpoint);
    dir = got.dir;
    revision = got.revision;
    hubName = source.kind === 'hub' ? source.id : source.base;
    // a link names the commit the Hub resolved, so it reproduces the run after the branch moves
    if (source.kind === 'hub' && revision) linkModel = `${source.id}@${revision}`;
  }
  const { model, tokenizer, config: hubConfig, files } = await loadHubFolder(dir);
  const arch = model.architecture;
  return {
    model, tokenizer, baseId: baseModelId(config.task, arch, model.numParams(), await hubFingerprint(files)),
    label: `${hubName}${revision ? `@${revision.slice(0, 12)}` : ''}`, linkModel, hubName, revision,
    origin: { folder: dir, eosId: tokenizer.eosId },
    meta: { source: config.model, folder: dir, revision, modelType: arch, params: model.numParams(), vocabSize: (hubConfig as { vocab_size?: number }).vocab_size },
  };
}
