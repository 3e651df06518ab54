/**
 * A diffusers model for the CLI: a local folder in the Hub's layout, or a Hub id / folder URL downloaded once into
 * the cache (hub-download.ts), built as a pipeline (core/diffusers/pipeline.ts).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseModelSource, describeSource } from '../core/hub/source';
import { DiffusersModelError, loadPipeline, type DiffusersPipeline } from '../core/diffusers/pipeline';
import { cachedFileReader } from './hub-download';

export interface LoadedDiffusers {
  pipeline: DiffusersPipeline;
  /** For people: the folder, or `org/name@revision`. */
  label: string;
  revision: string | null;
  /** The UNet's config and weights files (core/hub/fingerprint.ts): a run never resumes on other weights. */
  fingerprint: string;
  /** The `model` setting pinned to the resolved commit where known; the base name PEFT records. */
  linkModel: string;
  base: string;
}

export async function loadDiffusersModel(model: string, opts: { endpoint?: string; variant?: 'fp16' } = {}): Promise<LoadedDiffusers> {
  if (existsSync(model) && statSync(model).isDirectory()) {
    const dir = resolve(model);
    const read = async (file: string) => (existsSync(join(dir, file)) ? new Uint8Array(readFileSync(join(dir, file))) : null);
    const pipeline = await loadPipeline(read, opts);
    return { pipeline, label: dir, revision: null, fingerprint: pipeline.files.fingerprint, linkModel: model, base: dir };
  }
  const source = parseModelSource(model);
  if (!source) throw new DiffusersModelError(`--model ${JSON.stringify(model.slice(0, 80))} is neither a folder nor a Hub id (org/name[@revision]) nor an http(s) URL`);
  const reader = cachedFileReader(source, opts.endpoint);
  const pipeline = await loadPipeline(reader.read, opts);
  const revision = reader.revision();
  const base = source.kind === 'hub' ? source.id : source.base;
  const linkModel = source.kind === 'hub' && revision ? `${source.id}@${revision}` : model;
  return { pipeline, label: describeSource(source), revision, fingerprint: pipeline.files.fingerprint, linkModel, base };
}
