/**
 * One file of a model from its URL (core/hub/source.ts), with the global fetch of browsers, workers and Node alike:
 * the body read with progress in bytes and checked against the length the server announced, so a broken transfer is
 * never taken for a whole file. The caches around it (the CLI's folder, the page's Cache API) keep what this returns.
 */
import { HubModelError } from './errors';

export interface FetchedFile {
  bytes: Uint8Array;
  /** The commit the Hub resolved the revision to (`x-repo-commit`), when it said. */
  commit: string | null;
}

/**
 * The file's bytes, or null when the server says it does not exist (404). `cacheNote` ends the message of a failed
 * request (what the caller's cache means for it); progress gets (bytes so far, announced total or null).
 */
export async function fetchModelFile(url: string, cacheNote: string, onProgress: (loaded: number, total: number | null) => void = () => undefined): Promise<FetchedFile | null> {
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'follow' });
  } catch (e) {
    const why = (e as { cause?: { message?: string } }).cause?.message ?? (e as Error).message;
    throw new HubModelError(`fetching ${url} failed (${why}); nothing was cached (${cacheNote})`);
  }
  if (res.status === 404) return null;
  if (!res.ok) throw new HubModelError(`${url}: HTTP ${res.status} ${res.statusText}`.trim());
  const announced = Number(res.headers.get('content-length'));
  const total = Number.isFinite(announced) && announced > 0 ? announced : null;
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  try {
    const reader = res.body?.getReader();
    if (!reader) {
      chunks.push(new Uint8Array(await res.arrayBuffer()));
      loaded = chunks[0]!.length;
    } else {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        loaded += value.length;
        onProgress(loaded, total);
      }
    }
  } catch (e) {
    throw new HubModelError(`the download of ${url} broke off (${(e as Error).message}); nothing was cached`);
  }
  if (total !== null && loaded !== total) throw new HubModelError(`the download of ${url} is truncated (${loaded} of ${total} bytes); nothing was cached`);
  const bytes = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  onProgress(loaded, total ?? loaded);
  return { bytes, commit: res.headers.get('x-repo-commit') };
}
