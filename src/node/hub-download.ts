/**
 * Hub models for the CLI: the files of a model source (core/hub/source.ts) downloaded into a local cache folder in
 * the Hub's layout, which the folder loader (hub-folder.ts) then reads. A file is fetched once: later runs read it
 * from the cache with no network. A download is written to a temporary file and renamed only when it arrived whole
 * (its Content-Length), so a broken transfer never leaves a damaged cached file. A 404 names the file and the
 * model; the revision the Hub resolved (`x-repo-commit`) is recorded.
 *
 * Cache: `$RAFTLAB_CACHE` or `~/.cache/raftlab`, then `hub/<id>/<revision>/` (or `url/<host+path>/`). Endpoint:
 * the `endpoint` argument, else `$HF_ENDPOINT`, else the Hub.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { HubModelError } from '../core/hub/errors';
import { fetchModelFile } from '../core/hub/fetch-file';
import { readShardIndex } from '../core/hub/safetensors';
import { readJson } from './hub-folder';
import { DEFAULT_HF_ENDPOINT, describeSource, modelFileUrl, type ModelSource } from '../core/hub/source';

export function cacheRoot(): string {
  return process.env.RAFTLAB_CACHE ?? join(homedir(), '.cache', 'raftlab');
}

function folderOf(source: ModelSource): string {
  if (source.kind === 'hub') return join(cacheRoot(), 'hub', ...source.id.split('/'), source.revision.replace(/[/\\]/g, '--'));
  return join(cacheRoot(), 'url', source.base.replace(/^https?:\/\//, '').replace(/[^\w.-]+/g, '_'));
}

/** Download (or find in the cache) `file`; returns false when the server says it does not exist (404). */
async function fetchFile(source: ModelSource, file: string, dir: string, endpoint: string, commit: { value: string | null }): Promise<boolean> {
  const path = join(dir, file);
  if (existsSync(path)) return true;
  mkdirSync(dirname(path), { recursive: true });
  const got = await fetchModelFile(modelFileUrl(source, file, endpoint), `files already in the cache, ${dir}, need no network`);
  if (!got) return false;
  commit.value ??= got.commit;
  const body = got.bytes;
  const tmp = `${path}.part-${process.pid}`;
  writeFileSync(tmp, body);
  renameSync(tmp, path);
  return true;
}

/**
 * The local folder of a model source, with config.json, tokenizer.json and its weights (one file, or the index and
 * its shards) downloaded unless cached. `revision` is what the Hub resolved, when it said.
 */
export async function downloadModel(source: ModelSource, endpoint = process.env.HF_ENDPOINT ?? DEFAULT_HF_ENDPOINT): Promise<{ dir: string; revision: string | null }> {
  const dir = folderOf(source);
  mkdirSync(dir, { recursive: true });
  const commit = { value: null as string | null };
  const need = async (file: string) => {
    if (!(await fetchFile(source, file, dir, endpoint, commit))) {
      throw new HubModelError(`${describeSource(source)} has no ${file} (does the model, and its revision, exist?)`);
    }
  };
  /** A file a model may lack (a 404 is remembered, so a cached model needs no network for it either). */
  const optional = async (file: string) => {
    const absent = join(dir, `${file}.absent`);
    if (existsSync(absent)) return;
    if (!(await fetchFile(source, file, dir, endpoint, commit))) writeFileSync(absent, '');
  };
  await need('config.json');
  await need('tokenizer.json');
  await optional('tokenizer_config.json');
  if (!(await fetchFile(source, 'model.safetensors', dir, endpoint, commit))) {
    if (!(await fetchFile(source, 'model.safetensors.index.json', dir, endpoint, commit))) {
      throw new HubModelError(`${describeSource(source)} has neither model.safetensors nor model.safetensors.index.json (only safetensors weights are read)`);
    }
    const { shards } = readShardIndex(readJson(dir, 'model.safetensors.index.json'));
    for (const shard of shards) await need(shard);
  }
  if (commit.value) writeFileSync(join(dir, '.commit'), commit.value);
  const cached = existsSync(join(dir, '.commit')) ? readFileSync(join(dir, '.commit'), 'utf8') : null;
  return { dir, revision: commit.value ?? cached };
}

/**
 * A reader of a model's files through the cache (a diffusers pipeline's `unet/config.json` and the like): each file
 * downloaded once; a file the server does not have is remembered as absent, so a cached model needs no network.
 * `revision()` is what the Hub resolved, when it said.
 */
export function cachedFileReader(source: ModelSource, endpoint = process.env.HF_ENDPOINT ?? DEFAULT_HF_ENDPOINT): { dir: string; read: (file: string) => Promise<Uint8Array | null>; revision: () => string | null } {
  const dir = folderOf(source);
  mkdirSync(dir, { recursive: true });
  const commit = { value: null as string | null };
  return {
    dir,
    async read(file) {
      const absent = join(dir, `${file}.absent`);
      if (existsSync(absent)) return null;
      if (!(await fetchFile(source, file, dir, endpoint, commit))) {
        writeFileSync(absent, '');
        return null;
      }
      if (commit.value) writeFileSync(join(dir, '.commit'), commit.value);
      return new Uint8Array(readFileSync(join(dir, file)));
    },
    revision: () => commit.value ?? (existsSync(join(dir, '.commit')) ? readFileSync(join(dir, '.commit'), 'utf8') : null),
  };
}
