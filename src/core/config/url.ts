/**
 * RunConfig <-> URL hash (`#v=2&seed=1&k=8&sel=global`), so a run can be shared as a link.
 *
 * `v` (format version) and `seed` are always written; other fields only when they differ from the defaults.
 * Versions: 1 had no keys for DDIM steps, guidance, noise draws, the reward chunk, the generation batch or the
 * early-stop patience and minimum change (their values were fixed at what are now the defaults) and took the DDIM
 * steps from the page's query (`?ddim=N`). 2 has them all in the hash. A version-1 link is migrated
 * (`migrateLegacyLink`): its keys mean the same, and `?ddim=N` becomes `ddim=N`.
 * Decoding never throws and never interprets a value as anything but data: every value goes through the
 * schema's strict parser, and anything odd becomes a ConfigProblem while the default stays.
 */
import {
  checkConfig,
  configDiff,
  DEFAULT_CONFIG,
  fieldOf,
  formatFieldValue,
  quoteRaw,
  resolveConfig,
  type ConfigProblem,
  type RunConfig,
} from './schema';
import { takeLesson, type Presentation } from './lesson';
import { MAX_TASK_LINK_CHARS } from './task-link';

export const CONFIG_HASH_VERSION = '2';
/** Older versions that are still read (migrated to the current one). */
export const LEGACY_HASH_VERSIONS: readonly string[] = ['1'];
/** The longest hash read, its task document (`td=`, whose own limit is MAX_TASK_LINK_CHARS) aside. */
export const MAX_CONFIG_HASH_LENGTH = 2000;

/** `v=1&seed=…&<urlKey>=<value>…` for the fields that differ from the defaults (no leading '#'). */
export function encodeConfigHash(config: RunConfig): string {
  const seedField = fieldOf('seed');
  const parts = [`v=${CONFIG_HASH_VERSION}`, `${seedField.urlKey}=${encodeURIComponent(formatFieldValue(seedField, config.seed))}`];
  for (const [field, value] of configDiff(config)) {
    if (field.key === 'seed') continue;
    parts.push(`${field.urlKey}=${encodeURIComponent(formatFieldValue(field, value))}`);
  }
  return parts.join('&');
}

/**
 * Split a hash into raw `[urlKey, value]` entries (values URI-decoded), without applying them.
 * Reports: over-long hash, malformed pairs or escapes, duplicate keys (first one kept), missing or unsupported `v`.
 * The `v` entry is consumed here and not returned. An empty hash gives no entries and no problems.
 */
export function splitConfigHash(hash: string): { entries: Array<[string, string]>; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const entries: Array<[string, string]> = [];
  const body = hash.startsWith('#') ? hash.slice(1) : hash;
  // a task document travels in the hash (td=...): the settings around it keep their own limit
  const task = /(?:^|&)td=([^&]*)/.exec(body)?.[1] ?? '';
  const settings = body.length - task.length;
  if (settings > MAX_CONFIG_HASH_LENGTH || task.length > MAX_TASK_LINK_CHARS + 1) {
    const what = task.length > MAX_TASK_LINK_CHARS + 1 ? `its task is ${task.length} characters; a link carries at most ${MAX_TASK_LINK_CHARS}` : `${settings} characters; at most ${MAX_CONFIG_HASH_LENGTH}`;
    problems.push({
      key: '#',
      value: body.slice(0, 60),
      message: `the URL hash is too long (${what}), so it was ignored and the defaults are used${task.length > MAX_TASK_LINK_CHARS + 1 ? '; open a large task as a file' : ''}`,
    });
    return { entries, problems };
  }
  if (body === '') return { entries, problems };

  const seen = new Set<string>();
  let version: string | null = null;
  for (const part of body.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawKey = eq < 0 ? part : part.slice(0, eq);
    let key: string;
    let value: string;
    try {
      key = decodeURIComponent(rawKey);
      value = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1));
    } catch {
      problems.push({ key: rawKey, value: part, message: `malformed %-escape in ${quoteRaw(part)}` });
      continue;
    }
    if (eq < 0) {
      problems.push({ key, value: '', message: `missing value for ${quoteRaw(key, 40)} (expected ${key}=value)` });
      continue;
    }
    if (seen.has(key)) {
      problems.push({ key, value, message: `duplicate key ${quoteRaw(key, 40)}: the first value was kept and ${quoteRaw(value)} ignored` });
      continue;
    }
    seen.add(key);
    if (key === 'v') version = value;
    else entries.push([key, value]);
  }
  if (version === null) {
    problems.push({ key: 'v', value: '', message: `missing version v=${CONFIG_HASH_VERSION} in the URL hash; reading it as version ${CONFIG_HASH_VERSION}` });
  } else if (version !== CONFIG_HASH_VERSION && !LEGACY_HASH_VERSIONS.includes(version)) {
    problems.push({
      key: 'v',
      value: version,
      message: `unsupported URL hash version ${quoteRaw(version, 20)} (expected ${CONFIG_HASH_VERSION}); settings were read as version ${CONFIG_HASH_VERSION}`,
    });
  }
  return { entries, problems };
}

/**
 * Decode a URL hash (leading '#' optional) into a config, starting from `base` (defaults), plus every problem found,
 * and how the page presents it (a lesson link's keys, lesson.ts: not part of the run).
 */
export function decodeConfigHash(
  hash: string,
  base: RunConfig = DEFAULT_CONFIG,
): { config: RunConfig; problems: ConfigProblem[]; presentation: Presentation } {
  const split = splitConfigHash(hash);
  const lesson = takeLesson(split.entries);
  const resolved = resolveConfig(lesson.rest, 'urlKey', base);
  return { config: resolved.config, problems: [...split.problems, ...lesson.problems, ...resolved.problems, ...checkConfig(resolved.config)], presentation: lesson.presentation };
}

/**
 * A link of an older version as a current hash (no leading '#'): a version-1 link's keys are kept, and its query's
 * `ddim=N` (where the hash has no `ddim`) becomes the hash key `ddim=N`. `link` is a whole URL, or `?query#hash`, or
 * a bare hash. Anything else (a current hash, a hash with problems) is returned as it was, for decodeConfigHash to
 * report. `migrated` says whether anything changed.
 */
export function migrateLegacyLink(link: string): { hash: string; migrated: boolean } {
  const hashAt = link.indexOf('#');
  const hash = hashAt >= 0 ? link.slice(hashAt + 1) : link.includes('?') ? '' : link;
  const before = hashAt >= 0 ? link.slice(0, hashAt) : link;
  const queryAt = before.indexOf('?');
  let ddim: string | null = null;
  if (queryAt >= 0) {
    try {
      ddim = new URLSearchParams(before.slice(queryAt + 1)).get('ddim');
    } catch {
      ddim = null;
    }
  }
  const parts = hash.split('&').filter((p) => p !== '');
  const version = parts.find((p) => p.startsWith('v='))?.slice(2);
  if (version !== undefined && !LEGACY_HASH_VERSIONS.includes(version)) return { hash, migrated: false };
  if (version === undefined && ddim === null) return { hash, migrated: false };
  const body = parts.filter((p) => !p.startsWith('v='));
  const ddimKey = fieldOf('ddimSteps').urlKey;
  if (ddim !== null && !body.some((p) => p.startsWith(`${ddimKey}=`))) body.push(`${ddimKey}=${encodeURIComponent(ddim)}`);
  return { hash: [`v=${CONFIG_HASH_VERSION}`, ...body].join('&'), migrated: true };
}
