/**
 * Prompts from a Hugging Face data set through the dataset viewer's `/rows` API
 * (`GET {endpoint}/rows?dataset=&config=&split=&offset=&length=`, at most 100 rows a request): one column becomes
 * the prompt (optionally cut to its first `words` words, so `imdb` reviews become review openings as in the RAFT
 * paper) and the row's other scalar fields go to the reward. Pages are cached through `cache` when given (the page:
 * the Cache API; the CLI: a folder), so a data set read once needs no network again.
 */
import { parseRow, TaskDocumentError, type TaskRow, type TaskDocument } from './document';

export const DATASET_VIEWER_ENDPOINT = 'https://datasets-server.huggingface.co';
/** The most rows the viewer gives per request. */
export const VIEWER_PAGE = 100;

export type DatasetSource = NonNullable<TaskDocument['source']>;

export interface ViewerCache {
  get(url: string): Promise<string | null>;
  put(url: string, body: string): Promise<void>;
}

interface ViewerPage {
  features?: Array<{ name: string }>;
  rows?: Array<{ row_idx: number; row: Record<string, unknown> }>;
  num_rows_total?: number;
  error?: string;
}

/** The URL of one page of rows. */
export function viewerRowsUrl(endpoint: string, s: Pick<DatasetSource, 'dataset' | 'config' | 'split'>, offset: number, length: number): string {
  const q = new URLSearchParams({ dataset: s.dataset, config: s.config, split: s.split, offset: String(offset), length: String(length) });
  return `${endpoint.replace(/\/+$/, '')}/rows?${q}`;
}

/** The first `words` words of a text (0 = all of it). */
export function firstWords(text: string, words: number): string {
  if (words <= 0) return text;
  const parts = text.trim().split(/\s+/);
  return parts.slice(0, words).join(' ');
}

async function page(url: string, fetchFn: typeof fetch, cache?: ViewerCache): Promise<ViewerPage> {
  let body = cache ? await cache.get(url) : null;
  if (body === null) {
    let res: Response;
    try {
      res = await fetchFn(url);
    } catch (e) {
      throw new TaskDocumentError(`the dataset viewer could not be reached (${(e as Error).message.slice(0, 100)}); are you online?`);
    }
    body = await res.text();
    if (!res.ok) {
      let why = body.slice(0, 200);
      try {
        why = (JSON.parse(body) as ViewerPage).error ?? why;
      } catch { /* not JSON */ }
      throw new TaskDocumentError(`the dataset viewer answered ${res.status}: ${why}`);
    }
    if (cache) await cache.put(url, body);
  }
  try {
    return JSON.parse(body) as ViewerPage;
  } catch {
    throw new TaskDocumentError('the dataset viewer answered something that is not JSON');
  }
}

/**
 * Rows `offset .. offset + length` of a data set's split as prompt rows: `column` (a string column) is the prompt,
 * cut to `words` words; the other string, number and boolean fields are kept for the reward.
 */
export async function datasetRows(source: DatasetSource, opts: { endpoint?: string; fetch?: typeof fetch; cache?: ViewerCache } = {}): Promise<TaskRow[]> {
  const endpoint = opts.endpoint ?? DATASET_VIEWER_ENDPOINT;
  const fetchFn = opts.fetch ?? fetch;
  const out: TaskRow[] = [];
  for (let at = source.offset; at < source.offset + source.length; at += VIEWER_PAGE) {
    const n = Math.min(VIEWER_PAGE, source.offset + source.length - at);
    const got = await page(viewerRowsUrl(endpoint, source, at, n), fetchFn, opts.cache);
    const rows = got.rows ?? [];
    if (got.features && !got.features.some((f) => f.name === source.column)) {
      throw new TaskDocumentError(`the data set ${source.dataset} has no column ${JSON.stringify(source.column)} (columns: ${got.features.map((f) => f.name).join(', ')})`);
    }
    for (const r of rows) {
      const text = r.row[source.column];
      if (typeof text !== 'string') throw new TaskDocumentError(`column ${JSON.stringify(source.column)} of row ${r.row_idx} is not text`);
      const fields: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(r.row)) {
        if (k === source.column || ['prompt', 'prompts', 'completion', 'completions'].includes(k)) continue;
        if ((typeof v === 'string' && v.length <= 2000) || typeof v === 'number' || typeof v === 'boolean') fields[k.replace(/[^A-Za-z0-9_]/g, '_').replace(/^(\d)/, '_$1')] = v;
      }
      out.push(parseRow({ ...fields, prompt: firstWords(text, source.words) }, `row ${r.row_idx}`));
    }
    if (rows.length < n) break; // the split ended
  }
  if (out.length === 0) throw new TaskDocumentError(`the data set ${source.dataset} (${source.config}/${source.split}) has no rows from offset ${source.offset}`);
  return out;
}
