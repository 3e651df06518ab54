/**
 * Hub model files in the browser: fetched from `{endpoint}/{id}/resolve/{revision}/{file}` (core/hub/source.ts) with
 * progress in bytes, and kept in the Cache API so that a second load needs no network. A file is cached only when it
 * arrived whole (its Content-Length); a 404 of an optional file is remembered too. Entries are keyed by the source
 * and revision, never by the endpoint (a mirror serves the same files). A Hub model is stored under the commit the
 * Hub resolved, and a branch it was asked by (`main`) is an alias of that commit: the model then loads with no
 * network by either name (and stays at that commit until deleted from the cache). Each model has a small `.model`
 * entry with its files, size and commit, which the Models panel lists; deleting a model deletes its entries.
 * Used by the trainer worker (loading) and the page (listing, deleting): no TF.js here.
 */
import { HubModelError } from '../core/hub/errors';
import { fetchModelFile } from '../core/hub/fetch-file';
import { describeSource, modelFileUrl, parseModelSource, type ModelSource } from '../core/hub/source';

export const HUB_CACHE = 'raftlab-hub-v1';
const KEY_BASE = 'https://raftlab.invalid/hub-cache/';

export interface FileProgress {
  file: string;
  loaded: number;
  total: number | null;
  fromCache: boolean;
}

export interface CachedModel {
  /** The model setting it was loaded as, e.g. `distilgpt2@main`. */
  model: string;
  /** The setting pinned to the commit (`distilgpt2@<commit>`), or the same as `model` when none was reported. */
  pinned: string;
  /** The commit the Hub resolved, when it said. */
  revision: string | null;
  files: string[];
  bytes: number;
  savedAt: string;
}

function sourceKey(source: ModelSource): string {
  return source.kind === 'hub' ? `hub/${source.id}@${source.revision}` : `url/${encodeURIComponent(source.base)}`;
}

function fileKey(source: ModelSource, file: string): string {
  return `${KEY_BASE}${sourceKey(source)}/${file}`;
}

async function openCache(): Promise<Cache | null> {
  try {
    return typeof caches === 'undefined' ? null : await caches.open(HUB_CACHE);
  } catch {
    return null; // storage blocked (private mode, a sandbox): load without a cache
  }
}

export interface HubFiles {
  source: ModelSource;
  /** The commit the Hub resolved (x-repo-commit), when it said. */
  revision: string | null;
  /** A file of the model: its bytes, or null when the model has none (optional files only). */
  get(file: string, optional?: boolean): Promise<Uint8Array | null>;
  /** Record what was loaded, for the Models panel. */
  remember(model: string): Promise<void>;
}

/** The files of a model setting (a Hub id or URL) through the cache, with progress per file. */
export async function hubFiles(model: string, endpoint: string | undefined, onProgress: (p: FileProgress) => void): Promise<HubFiles> {
  const source = parseModelSource(model);
  if (!source) throw new HubModelError(`model ${JSON.stringify(model.slice(0, 80))} is neither a Hub id (org/name[@revision]) nor an http(s) URL (a local folder is for the CLI)`);
  const cache = await openCache();
  const loaded = new Map<string, number>();
  const state = { revision: null as string | null, keySource: source };
  const pin = (commit: string) => {
    state.revision = commit;
    if (source.kind === 'hub') state.keySource = { ...source, revision: commit };
  };
  const alias = cache ? await cache.match(`${KEY_BASE}${sourceKey(source)}/.alias`) : undefined;
  if (alias) pin(await alias.text());
  return {
    source,
    get revision() {
      return state.revision;
    },
    async get(file, optional = false) {
      const key = fileKey(state.keySource, file);
      const hit = await cache?.match(key);
      if (hit) {
        if (hit.headers.get('x-raftlab-absent')) return null;
        const bytes = new Uint8Array(await hit.arrayBuffer());
        loaded.set(file, bytes.length);
        onProgress({ file, loaded: bytes.length, total: bytes.length, fromCache: true });
        return bytes;
      }
      const got = await fetchModelFile(modelFileUrl(source, file, endpoint), 'models already in the cache need no network', (n, total) =>
        onProgress({ file, loaded: n, total, fromCache: false }),
      );
      if (!got) {
        if (!optional) throw new HubModelError(`${describeSource(source)} has no ${file} (does the model, and its revision, exist?)`);
        await cache?.put(key, new Response('', { headers: { 'x-raftlab-absent': '1' } })).catch(() => undefined);
        return null;
      }
      const { bytes, commit } = got;
      // config.json comes first: from its answer on, files are kept under the commit
      if (commit && state.revision === null) pin(commit);
      loaded.set(file, bytes.length);
      try {
        await cache?.put(fileKey(state.keySource, file), new Response(new Blob([bytes as BlobPart]), { headers: { 'content-length': String(bytes.length) } }));
      } catch {
        // quota: the model loads now and is fetched again next time
      }
      return bytes;
    },
    async remember(modelSetting) {
      if (!cache) return;
      const pinned = state.keySource.kind === 'hub' ? `${state.keySource.id}@${state.keySource.revision}` : modelSetting;
      const entry: CachedModel = { model: modelSetting, pinned, revision: state.revision, files: [...loaded.keys()], bytes: [...loaded.values()].reduce((a, b) => a + b, 0), savedAt: new Date().toISOString() };
      try {
        await cache.put(`${KEY_BASE}${sourceKey(state.keySource)}/.model`, new Response(JSON.stringify(entry), { headers: { 'content-type': 'application/json' } }));
        if (state.keySource !== source && state.revision) await cache.put(`${KEY_BASE}${sourceKey(source)}/.alias`, new Response(state.revision));
      } catch {
        // quota: nothing more to keep
      }
    },
  };
}

/** Models in the cache, newest first. */
export async function listCachedModels(): Promise<CachedModel[]> {
  const cache = await openCache();
  if (!cache) return [];
  const out: CachedModel[] = [];
  for (const req of await cache.keys()) {
    if (!req.url.endsWith('/.model')) continue;
    const res = await cache.match(req);
    if (res) out.push((await res.json()) as CachedModel);
  }
  return out.sort((a, b) => b.savedAt.localeCompare(a.savedAt));
}

/** Delete a cached model (all its files, and the branch names that point at it); returns whether anything was deleted. */
export async function deleteCachedModel(model: string): Promise<boolean> {
  const cache = await openCache();
  const source = parseModelSource(model);
  if (!cache || !source) return false;
  const prefix = `${KEY_BASE}${sourceKey(source)}/`;
  let any = false;
  for (const req of await cache.keys()) {
    const aliasOf = req.url.endsWith('/.alias') ? await (await cache.match(req))?.text() : undefined;
    const pointsHere = aliasOf !== undefined && source.kind === 'hub' && req.url.startsWith(`${KEY_BASE}hub/${source.id}@`) && aliasOf === source.revision;
    if (req.url.startsWith(prefix) || pointsHere) any = (await cache.delete(req)) || any;
  }
  return any;
}
