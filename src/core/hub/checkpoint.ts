/**
 * A Hub checkpoint's tensors from its files, wherever they come from (a folder on disk, the browser's cache):
 * `model.safetensors`, or `model.safetensors.index.json` and the shards it names, every tensor from the shard the
 * index gives it. Returns the files read (for the fingerprint) with the tensors.
 */
import { HubModelError } from './errors';
import { readSafetensors, readShardIndex } from './safetensors';

export type FileGetter = (file: string, optional: boolean) => Promise<Uint8Array | null>;

export async function readCheckpoint(get: FileGetter, where: string): Promise<{
  tensors: Map<string, { shape: number[]; values: Float32Array }>;
  files: Array<{ name: string; bytes: Uint8Array }>;
}> {
  const single = await get('model.safetensors', true);
  if (single) return { tensors: readSafetensors(single, `${where}/model.safetensors`).tensors, files: [{ name: 'model.safetensors', bytes: single }] };
  const indexBytes = await get('model.safetensors.index.json', true);
  if (!indexBytes) throw new HubModelError(`${where} has neither model.safetensors nor model.safetensors.index.json (only safetensors weights are read)`);
  let index: unknown;
  try {
    index = JSON.parse(new TextDecoder().decode(indexBytes));
  } catch (e) {
    throw new HubModelError(`${where}/model.safetensors.index.json is not JSON: ${(e as Error).message}`);
  }
  const { weightMap, shards } = readShardIndex(index);
  const files = [{ name: 'model.safetensors.index.json', bytes: indexBytes }];
  const tensors = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const shard of shards) {
    const bytes = await get(shard, true);
    if (!bytes) throw new HubModelError(`${where}: the index names ${shard}, which is missing`);
    files.push({ name: shard, bytes });
    for (const [name, t] of readSafetensors(bytes, `${where}/${shard}`).tensors) if (weightMap.get(name) === shard) tensors.set(name, t);
  }
  for (const name of weightMap.keys()) if (!tensors.has(name)) throw new HubModelError(`${where}: tensor ${name} is not in its shard ${weightMap.get(name)}`);
  return { tensors, files };
}

/** A JSON file's bytes parsed, or a HubModelError that names it. */
export function parseJsonFile(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new HubModelError(`${what} is not JSON: ${(e as Error).message}`);
  }
}
