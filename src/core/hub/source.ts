/**
 * Where a model comes from: a Hub id with an optional revision (`HuggingFaceTB/SmolLM2-135M@main`, `distilgpt2`),
 * an http(s) URL of a folder in the Hub's layout, or (Node) a local folder. Files of a Hub model are
 * `{endpoint}/{id}/resolve/{revision}/{file}`; the endpoint (the Hub, or a mirror) is a setting of the machine,
 * never part of a source or a link.
 */

export const DEFAULT_HF_ENDPOINT = 'https://huggingface.co';

export type ModelSource =
  | { kind: 'hub'; id: string; revision: string }
  | { kind: 'url'; base: string };

const ID_RE = /^[A-Za-z0-9][\w.-]{0,95}(\/[A-Za-z0-9][\w.-]{0,95})?$/;
const REV_RE = /^[\w][\w./-]{0,127}$/;

/** Parse a Hub id (`org/name`, `name`, optional `@revision`) or an http(s) folder URL; null when it is neither. */
export function parseModelSource(text: string): ModelSource | null {
  if (/^https?:\/\//i.test(text)) {
    try {
      const url = new URL(text);
      return { kind: 'url', base: url.href.endsWith('/') ? url.href : `${url.href}/` };
    } catch {
      return null;
    }
  }
  const at = text.indexOf('@');
  const id = at < 0 ? text : text.slice(0, at);
  const revision = at < 0 ? 'main' : text.slice(at + 1);
  if (!ID_RE.test(id) || id.includes('..') || !REV_RE.test(revision) || revision.includes('..')) return null;
  return { kind: 'hub', id, revision };
}

/** The URL of one file of a model: a name, or one folder down (`unet/config.json`, as diffusers pipelines keep them). */
export function modelFileUrl(source: ModelSource, file: string, endpoint = DEFAULT_HF_ENDPOINT): string {
  if (!/^(?:[\w-][\w.-]*\/)?[\w.-]+$/.test(file) || file.split('/').some((part) => part === '.' || part === '..')) throw new Error(`bad model file name ${JSON.stringify(file)}`);
  if (source.kind === 'url') return new URL(file, source.base).href;
  return `${endpoint.replace(/\/+$/, '')}/${source.id}/resolve/${encodeURIComponent(source.revision)}/${file}`;
}

/** `org/name@revision` (or the URL) for messages and outputs. */
export function describeSource(source: ModelSource): string {
  return source.kind === 'url' ? source.base : `${source.id}@${source.revision}`;
}
