/**
 * Lesson links: how the page presents a run, carried in the same URL hash as the run's settings but not part of the
 * run (a lesson changes what is shown, never what is trained). Keys: `lesson=1`; `show=k,temp,sel` (URL keys of
 * the settings whose controls the lesson shows; the rest keep their values); `title` and `text` (plain text, at
 * most TITLE_MAX and TEXT_MAX characters, shown as text); `present=1` (the presenter layout, also without a lesson).
 * Decoding never throws: a bad value is a problem and is left out.
 */
import { FIELD_BY_URL_KEY, quoteRaw, type ConfigKey, type ConfigProblem } from './schema';

export interface Lesson {
  /** Settings shown as controls, by key, in the table's order of the link. */
  show: ConfigKey[];
  title: string;
  text: string;
}

export interface Presentation {
  lesson: Lesson | null;
  presenter: boolean;
}

export const LESSON_URL_KEYS: readonly string[] = ['lesson', 'show', 'title', 'text', 'present'];
export const TITLE_MAX = 80;
export const TEXT_MAX = 600;

/** Control characters other than newline and tab are dropped: the text is shown as it is, never as markup. */
const clean = (s: string) => s.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '');

/** Take the lesson keys out of a hash's entries: the presentation, the other entries, and the problems. */
export function takeLesson(entries: ReadonlyArray<[string, string]>): { presentation: Presentation; rest: Array<[string, string]>; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const get = new Map(entries.filter(([k]) => LESSON_URL_KEYS.includes(k)));
  const rest = entries.filter(([k]) => !LESSON_URL_KEYS.includes(k));
  const flag = (key: string): boolean => {
    const v = get.get(key);
    if (v === undefined) return false;
    if (v === '1' || v === 'true') return true;
    if (v !== '0' && v !== 'false') problems.push({ key, value: v, message: `${key} must be 1 or 0 (got ${quoteRaw(v)})` });
    return false;
  };
  const presenter = flag('present');
  if (!flag('lesson')) {
    for (const k of ['show', 'title', 'text']) if (get.has(k)) problems.push({ key: k, value: get.get(k)!, message: `${k} belongs to a lesson link (lesson=1); it was ignored` });
    return { presentation: { lesson: null, presenter }, rest, problems };
  }
  const show: ConfigKey[] = [];
  for (const item of (get.get('show') ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const field = FIELD_BY_URL_KEY.get(item);
    if (!field) problems.push({ key: 'show', value: item, message: `show: ${quoteRaw(item, 20)} is not a setting's URL key; it was left out` });
    else if (!show.includes(field.key)) show.push(field.key);
  }
  const text = (key: 'title' | 'text', max: number): string => {
    const v = clean(get.get(key) ?? '');
    if (v.length <= max) return v;
    problems.push({ key, value: v.slice(0, 60), message: `the lesson's ${key} is ${v.length} characters long (at most ${max}); it was cut` });
    return v.slice(0, max);
  };
  return { presentation: { lesson: { show, title: text('title', TITLE_MAX), text: text('text', TEXT_MAX) }, presenter }, rest, problems };
}

/** The lesson keys of a hash (`&lesson=1&show=...`, or `&present=1`), to append to the run's own hash. */
export function encodeLesson(p: Presentation): string {
  const parts: string[] = [];
  if (p.lesson) {
    parts.push('lesson=1');
    const keys = p.lesson.show.map((k) => [...FIELD_BY_URL_KEY.values()].find((f) => f.key === k)!.urlKey);
    if (keys.length) parts.push(`show=${encodeURIComponent(keys.join(','))}`);
    if (p.lesson.title) parts.push(`title=${encodeURIComponent(p.lesson.title.slice(0, TITLE_MAX))}`);
    if (p.lesson.text) parts.push(`text=${encodeURIComponent(p.lesson.text.slice(0, TEXT_MAX))}`);
  }
  if (p.presenter) parts.push('present=1');
  return parts.map((s) => `&${s}`).join('');
}
