/**
 * The "Your task" editor's state: a task document as a form (name, prompts pasted or opened from a file or read
 * from a Hugging Face data set, held-out prompts, reward terms, generation defaults, the embedded model; or, for an
 * image task, its model, prompts one a line, weighted image rewards, image size and pass threshold), built and
 * checked with the document's own parser; the user's saved tasks (IndexedDB, TaskStore); import and export as
 * files; "Try the reward" on one sample (run by the trainer worker in the sandboxed verifier workers).
 */
import {
  EMBEDDED_MODELS,
  type RewardTerm,
  type TaskDocument,
} from '../../core/tasks/custom/document';
import { anyTaskDocumentJson, isImageDocument, parseAnyTaskDocument, type AnyTaskDocument } from '../../core/tasks/custom/any-document';
import { IMAGE_DOCUMENT_REWARDS, type ImageTaskDocument } from '../../core/tasks/custom/image-document';
import type { ImageDocumentModel } from '../../core/tasks/run-kind';
import { datasetRows, type DatasetSource, type ViewerCache } from '../../core/tasks/custom/dataset-viewer';
import { parsePromptFile, promptRowsJsonl } from '../../core/tasks/custom/prompts';
import { TaskStore, type SavedTask } from '../../browser/store/task-store';

export type TermKind = 'python' | 'builtin' | 'classifier' | 'code';

/** One reward term as the form edits it (strings where the user types). */
export interface TermDraft {
  kind: TermKind;
  weight: string;
  code: string;
  timeLimitMs: string;
  builtin: 'sentiment' | 'length' | 'regex' | 'keywords' | 'json';
  target: string;
  pattern: string;
  words: string;
  model: string;
  revision: string;
  label: string;
  lang: 'python' | 'c';
}

export const EXAMPLE_REWARD = `# TRL's signature: reward(prompts, completions, **kwargs) -> list[float]
# (kwargs: the prompt rows' other fields, as lists), or per sample:
# reward(prompt, completion, **row) -> float, or a dict with "reward" and breakdown fields.
def reward(prompt, completion, **row):
    words = completion.lower().split()
    return 1.0 if "great" in words else 0.0
`;

/** One term of an image task's reward as the form edits it. */
export interface ImageTermDraft {
  name: string;
  weight: string;
}

/** The image rewards the form offers on each model. */
export const IMAGE_TERM_NAMES = IMAGE_DOCUMENT_REWARDS;

/** Prompts one a line (an image task's), blank lines left out. */
function lines(text: string): string[] {
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
}

export function newTerm(kind: TermKind = 'python'): TermDraft {
  return {
    kind, weight: '1', code: EXAMPLE_REWARD, timeLimitMs: '10000', builtin: 'sentiment', target: '20', pattern: '', words: '',
    model: 'Xenova/distilbert-base-uncased-finetuned-sst-2-english', revision: 'main', label: 'POSITIVE', lang: 'python',
  };
}

function termOf(d: TermDraft): Record<string, unknown> {
  const weight = Number(d.weight);
  switch (d.kind) {
    case 'python':
      return { kind: 'python', weight, code: d.code, timeLimitMs: Number(d.timeLimitMs) };
    case 'code':
      return { kind: 'code', weight, lang: d.lang };
    case 'classifier':
      return { kind: 'classifier', weight, model: d.model.trim(), revision: d.revision.trim() || 'main', label: d.label.trim() };
    case 'builtin':
      if (d.builtin === 'length') return { kind: 'builtin', weight, name: 'length', target: Number(d.target) };
      if (d.builtin === 'regex') return { kind: 'builtin', weight, name: 'regex', pattern: d.pattern };
      if (d.builtin === 'keywords') return { kind: 'builtin', weight, name: 'keywords', words: d.words.split(',').map((w) => w.trim()).filter(Boolean) };
      return { kind: 'builtin', weight, name: d.builtin };
  }
}

function draftOf(t: RewardTerm): TermDraft {
  const d = newTerm(t.kind);
  d.weight = String(t.weight);
  if (t.kind === 'python') return { ...d, code: t.code, timeLimitMs: String(t.timeLimitMs) };
  if (t.kind === 'code') return { ...d, lang: t.lang };
  if (t.kind === 'classifier') return { ...d, model: t.model, revision: t.revision, label: t.label };
  const b = { ...d, builtin: t.name };
  if (t.name === 'length') b.target = String(t.target);
  if (t.name === 'regex') b.pattern = t.pattern;
  if (t.name === 'keywords') b.words = t.words.join(', ');
  return b;
}

/** Pages of the dataset viewer, cached in the browser's Cache API. */
const viewerCache: ViewerCache = {
  async get(url) {
    try {
      const hit = await (await caches.open('raftlab-dataset-viewer')).match(url);
      return hit ? await hit.text() : null;
    } catch {
      return null;
    }
  },
  async put(url, body) {
    try {
      await (await caches.open('raftlab-dataset-viewer')).put(url, new Response(body, { headers: { 'content-type': 'application/json' } }));
    } catch { /* no cache: the next read fetches again */ }
  },
};

export class TaskEditor {
  /** The editor is unfolded. */
  open = $state(false);
  /** A text task (a language model writes) or an image task (a denoiser draws). */
  kind = $state<'text' | 'image'>('text');
  name = $state('My task');
  description = $state('');
  prompts = $state('');
  evalPrompts = $state('');
  terms = $state<TermDraft[]>([newTerm()]);
  maxNewTokens = $state('48');
  stop = $state('');
  embeddedModel = $state<(typeof EMBEDDED_MODELS)[number]>('sentiment');
  source = $state<TaskDocument['source']>(null);
  /** The image form: its model, weighted rewards, image size (scenes) and pass threshold ('' = none). */
  imageModel = $state<ImageDocumentModel>('scenes');
  imageTerms = $state<ImageTermDraft[]>([{ name: 'fidelity', weight: '1' }]);
  imageSize = $state('32');
  passThreshold = $state('');
  /** The dataset form: which rows become prompts. */
  dataset = $state<DatasetSource>({ dataset: 'imdb', config: 'plain_text', split: 'train', column: 'text', offset: 0, length: 200, words: 8 });
  datasetState = $state<{ busy: boolean; message: string | null }>({ busy: false, message: null });
  saved = $state<SavedTask[]>([]);
  /** The saved task being edited (Save overwrites it), or null for a new one. */
  editing = $state<string | null>(null);
  message = $state<{ error: boolean; text: string } | null>(null);
  tryPrompt = $state('');
  tryCompletion = $state('');
  tryResult = $state<{ busy: boolean; text: string | null; error: boolean }>({ busy: false, text: null, error: false });

  readonly built = $derived(this.#build());
  #store: TaskStore | null = null;

  /** The form as a task document's JSON, or the first problem. */
  #build(): { ok: true; json: string; doc: AnyTaskDocument } | { ok: false; message: string } {
    try {
      const doc = this.kind === 'image' ? parseAnyTaskDocument(this.#imageDocument()) : parseAnyTaskDocument({
        raftlabTask: 1,
        name: this.name,
        description: this.description,
        prompts: parsePromptFile(this.prompts, undefined, 'the prompts'),
        ...(this.evalPrompts.trim() ? { evalPrompts: parsePromptFile(this.evalPrompts, undefined, 'the held-out prompts') } : {}),
        reward: { terms: this.terms.map(termOf) },
        generation: { maxNewTokens: Number(this.maxNewTokens), stop: this.stop.split('\n').map((s) => s.replace(/\\n/g, '\n')).filter((s) => s !== '') },
        embeddedModel: this.embeddedModel,
        source: this.source,
      });
      return { ok: true, json: anyTaskDocumentJson(doc), doc };
    } catch (e) {
      return { ok: false, message: (e as Error).message };
    }
  }

  /** The image form as a document's object (the parser checks it). */
  #imageDocument(): Record<string, unknown> {
    return {
      raftlabTask: 1,
      kind: 'image',
      name: this.name,
      description: this.description,
      model: this.imageModel,
      prompts: lines(this.prompts),
      ...(this.evalPrompts.trim() ? { evalPrompts: lines(this.evalPrompts) } : {}),
      reward: { terms: this.imageTerms.map((t) => ({ name: t.name, weight: Number(t.weight) })) },
      ...(this.imageModel === 'scenes' ? { imageSize: Number(this.imageSize) } : {}),
      ...(this.passThreshold.trim() ? { passThreshold: Number(this.passThreshold) } : {}),
    };
  }

  /** Fill the image form from an image task document. */
  #loadImage(doc: ImageTaskDocument): void {
    this.kind = 'image';
    this.imageModel = doc.model;
    this.prompts = doc.prompts.join('\n');
    this.evalPrompts = doc.evalPrompts ? doc.evalPrompts.join('\n') : '';
    this.imageTerms = doc.reward.terms.map((t) => ({ name: t.name, weight: String(t.weight) }));
    this.imageSize = String(doc.imageSize);
    this.passThreshold = doc.passThreshold === null ? '' : String(doc.passThreshold);
  }

  /** Fill the form from a task document (either kind). */
  load(json: string, savedId: string | null = null): void {
    const doc = parseAnyTaskDocument(json);
    this.name = doc.name;
    this.description = doc.description;
    this.editing = savedId;
    this.message = null;
    this.open = true;
    if (isImageDocument(doc)) {
      this.#loadImage(doc);
      return;
    }
    this.kind = 'text';
    this.description = doc.description;
    this.prompts = promptRowsJsonl(doc.prompts);
    this.evalPrompts = doc.evalPrompts ? promptRowsJsonl(doc.evalPrompts) : '';
    this.terms = doc.reward.terms.map(draftOf);
    this.maxNewTokens = String(doc.generation.maxNewTokens);
    this.stop = doc.generation.stop.map((s) => s.replace(/\n/g, '\\n')).join('\n');
    this.embeddedModel = doc.embeddedModel;
    this.source = doc.source;
    this.editing = savedId;
    this.message = null;
    this.open = true;
  }

  #tasks(): TaskStore {
    this.#store ??= new TaskStore();
    return this.#store;
  }

  async refresh(): Promise<void> {
    try {
      this.saved = await this.#tasks().list();
    } catch (e) {
      this.message = { error: true, text: `Saved tasks could not be read: ${(e as Error).message}` };
    }
  }

  async save(): Promise<void> {
    const b = this.built;
    if (!b.ok) {
      this.message = { error: true, text: b.message };
      return;
    }
    try {
      const t = await this.#tasks().save(b.json, this.editing ?? undefined);
      this.editing = t.id;
      this.message = { error: false, text: `Saved "${t.name}" in this browser.` };
      await this.refresh();
    } catch (e) {
      this.message = { error: true, text: (e as Error).message };
    }
  }

  async remove(id: string): Promise<void> {
    await this.#tasks().delete(id);
    if (this.editing === id) this.editing = null;
    await this.refresh();
  }

  /** A task file (JSON) opened by the user: into the form, or its problem. */
  importFile(text: string, fileName: string): void {
    try {
      this.load(anyTaskDocumentJson(parseAnyTaskDocument(text)));
      this.message = { error: false, text: `Opened ${fileName}.` };
    } catch (e) {
      this.message = { error: true, text: `${fileName}: ${(e as Error).message}` };
    }
  }

  /** Rows of a Hugging Face data set as the prompts (online only; pages cached). */
  async fromDataset(): Promise<void> {
    this.datasetState = { busy: true, message: null };
    try {
      const source = { ...this.dataset, offset: Number(this.dataset.offset), length: Number(this.dataset.length), words: Number(this.dataset.words) };
      const rows = await datasetRows(source, { cache: viewerCache });
      this.prompts = promptRowsJsonl(rows);
      this.source = source;
      this.datasetState = { busy: false, message: `${rows.length} rows of ${source.dataset} (${source.config}/${source.split}), column ${source.column}${source.words ? `, first ${source.words} words` : ''}.` };
    } catch (e) {
      this.datasetState = { busy: false, message: (e as Error).message };
    }
  }
}
