/**
 * The run configuration of the page, mirrored in the URL hash (the share link): decoded from the hash when the page
 * opens (an older link is migrated: a version-1 hash, `?ddim=N` in the query), changed control by control with the
 * schema's strict parser, and written back with replaceState. Problems of the link are kept as data (shown as text).
 */
import { checkConfig, DEFAULT_CONFIG, type AnyConfigField, type ConfigProblem, type RunConfig } from '../../core/config/schema';
import { decodeConfigHash, encodeConfigHash, migrateLegacyLink } from '../../core/config/url';
import { encodeLesson, type Lesson, type Presentation } from '../../core/config/lesson';
import { applyControl } from '../config-controls';

export class LinkConfig {
  config = $state<RunConfig>({ ...DEFAULT_CONFIG });
  /** Problems of the link the page was opened with (per key; cross-field ones are `crossProblems`). */
  hashProblems = $state<ConfigProblem[]>([]);
  /** A control's rejected value, by field key. */
  fieldErrors = $state<Record<string, string>>({});
  readonly crossProblems = $derived(checkConfig(this.config));
  /** How the page presents the run: a lesson (only its controls, its title and text), the presenter layout. */
  presentation = $state<Presentation>({ lesson: null, presenter: false });

  /** `search` and `hash` of the page's location; a migrated older link is rewritten in place. */
  constructor(hash: string, search: string) {
    const { hash: current, migrated } = migrateLegacyLink(`${search}${hash.startsWith('#') ? hash : `#${hash}`}`);
    this.#decode(current);
    if (migrated) this.#write(true);
  }

  /** Apply one control's raw value (a bad value is kept as that field's error). */
  change(f: AnyConfigField, raw: string | boolean): void {
    const r = applyControl(this.config, f, raw);
    if (!r.ok) {
      this.fieldErrors = { ...this.fieldErrors, [f.key]: r.message };
      return;
    }
    const { [f.key]: _, ...rest } = this.fieldErrors;
    this.fieldErrors = rest;
    this.config = r.config;
    this.hashProblems = [];
    this.#write();
  }

  /** The user edited the hash by hand. */
  onHashChange(hash: string): void {
    this.#decode(hash);
    this.fieldErrors = {};
  }

  /** Replace the whole configuration (a resumed or opened run, the demo) and write the link. */
  load(config: RunConfig): void {
    this.config = { ...config };
    this.hashProblems = [];
    this.fieldErrors = {};
    this.#write();
  }

  /** The presenter layout (larger type, fewer panels) on or off; it is part of the link. */
  setPresenter(on: boolean): void {
    this.presentation = { ...this.presentation, presenter: on };
    this.#write();
  }

  /** Leave the lesson (every control shows again); the link keeps the run's settings. */
  leaveLesson(): void {
    this.presentation = { ...this.presentation, lesson: null };
    this.#write();
  }

  /** A lesson link of the current settings: only `lesson.show`'s controls, its title and text. */
  lessonLink(lesson: Lesson): string {
    const url = new URL(location.href);
    url.hash = `${encodeConfigHash(this.config)}${encodeLesson({ lesson, presenter: this.presentation.presenter })}`;
    return url.href;
  }

  #decode(hash: string): void {
    const d = decodeConfigHash(hash);
    this.config = d.config;
    this.presentation = d.presentation;
    const cross = checkConfig(d.config);
    this.hashProblems = d.problems.filter((p) => !cross.some((q) => q.message === p.message));
  }

  /** The hash of the configuration; `dropQuery` also removes the query keys a migration folded into it. */
  #write(dropQuery = false): void {
    const url = new URL(location.href);
    if (dropQuery) url.searchParams.delete('ddim');
    url.hash = `${encodeConfigHash(this.config)}${encodeLesson(this.presentation)}`;
    history.replaceState(history.state, '', url.href);
  }
}
