/**
 * The lab's run state (Svelte 5 runes): the run status, progress, and every finished cycle's stats and samples, and
 * the run commands. Commands go to the worker, which keeps its engine between them: Run continues until `cycles`,
 * Pause ends after the current cycle, Step runs exactly one cycle, Reset disposes the engine and the model (a running
 * cycle is cut short by restarting the worker). The other concerns live in files of their own, one object each: the
 * worker and its backend (trainer-backend.svelte.ts), the configuration and its link (link-config.svelte.ts), saved
 * runs (saved-runs.svelte.ts), consent to Python code (python-consent.svelte.ts), sweeps (sweep.svelte.ts), the Hub
 * tools (model-tools.svelte.ts, hub-models.svelte.ts); the Lab forwards some of their fields for the components.
 */
import { DEFAULT_CONFIG, withTaskDoc, type AnyConfigField, type RunConfig } from '../../core/config/schema';
import { anyTaskDocumentJson, isImageDocument, parseAnyTaskDocument } from '../../core/tasks/custom/any-document';
import { embeddedModelOf } from '../../core/tasks/custom/document';
import { isImageRun } from '../../core/tasks/run-kind';
import { TaskEditor } from './task-editor.svelte';
import type { Phase } from '../../core/raft/engine';
import { differsBeyondLive, LIVE_KEYS } from '../config-controls';
import { isImageStats, type CycleRecord } from '../export';
import type { CycleRecord as StoredCycle, RunRecord } from '../../browser/store/run-store';
import type { VerifierLoadProgress } from '../../browser/verify/index';
import type { BackendName, InitResult, RunOutcome, TrainerEvent } from '../trainer-client';
import type { BackendOffer, Measurement } from '../../browser/backend-figures';
import type { TokenView } from '../../../workers/trainer/events';
import { LinkConfig } from './link-config.svelte';
import { SavedRuns } from './saved-runs.svelte';
import { HubModels } from './hub-models.svelte';
import { Tour } from './tour.svelte';
import { PythonConsent } from './python-consent.svelte';
import { PageSweep } from './sweep.svelte';
import { ModelTools } from './model-tools.svelte';
import { TrainerBackend } from './trainer-backend.svelte';
import { errorText } from './error-text';

export type RunStatus = 'idle' | 'loading' | 'running' | 'pausing' | 'paused' | 'finished' | 'error';

export interface ProgressState {
  cycle: number;
  phase: Phase;
  done: number;
  total: number;
  /** performance.now() when this (sub-)phase and this cycle started (page clock). */
  phaseStart: number;
  cycleStart: number;
}

/** The configuration of "Run the demo": the defaults with 4 cycles (eval reward rises within minutes on a GPU). */
export const DEMO_CONFIG: RunConfig = { ...DEFAULT_CONFIG, cycles: 4 };

export class Lab {
  /** The configuration and its share link. */
  readonly link: LinkConfig;
  /** The saved runs (IndexedDB) as the page sees them. */
  readonly saved = new SavedRuns();
  /** Hub models: this machine's endpoint and budget, downloads, estimates, the cached models. */
  readonly hub = new HubModels();
  /** The guided first run, opened by Run the demo (once per browser). */
  readonly tour = new Tour();
  /** The "Your task" editor and the saved tasks. */
  readonly tasks = new TaskEditor();
  /** Consent to the Python reward code of the configured task. */
  readonly python = new PythonConsent(() => this.config);
  /** The sweep shown in the Sweep panel (run here, or a CLI sweep file opened), and the one running. */
  readonly sweep = new PageSweep(this);
  /** The trainer worker and its TF.js backend. */
  readonly worker: TrainerBackend;
  /** The trained model's download and the Hub model's scoring probe. */
  readonly modelTools = new ModelTools(this, this.hub);

  status = $state<RunStatus>('idle');
  /** The configuration the worker's engine was built with (null = no run in memory). */
  runConfig = $state<RunConfig | null>(null);
  cycles = $state<CycleRecord[]>([]);
  progress = $state<ProgressState | null>(null);
  message = $state('');
  modelInfo = $state('');
  runInfo = $state('');
  error = $state<string | null>(null);
  /** The command in progress ('step' runs one cycle), for the ETA. */
  command = $state<'run' | 'step' | null>(null);
  /** Page clock, ticking while a command runs, for the ETA. */
  now = $state(0);

  /** The stored run the worker records into (IndexedDB), and messages about saving (quota, ...). */
  savedRun = $state<{ id: string; name: string } | null>(null);
  storageMessages = $state<string[]>([]);
  /** Load progress of the code verifiers (Pyodide, clang) in the trainer worker, one entry per part. */
  verifierLoad = $state<VerifierLoadProgress[]>([]);
  /** Said after a resume (e.g. a damaged checkpoint was skipped). */
  resumeNotes = $state<string[]>([]);
  /** The worker crashed or the GPU device was lost: the run can resume from its last saved cycle. */
  crash = $state<string | null>(null);
  /** A saved run opened read-only (its stats in the view; no engine). */
  viewing = $state<string | null>(null);

  readonly busy = $derived(this.status === 'loading' || this.status === 'running' || this.status === 'pausing');
  readonly nextCycle = $derived(this.cycles.length ? this.cycles.at(-1)!.stats.cycle + 1 : 0);
  readonly ready = $derived(this.backend !== null && !this.backendBusy);
  readonly canRun = $derived(this.ready && !this.busy && !this.viewing && !this.crash && this.crossProblems.length === 0 && this.python.unapproved.length === 0 && this.nextCycle <= this.config.cycles);
  readonly canStep = $derived(this.ready && !this.busy && !this.viewing && !this.crash && this.crossProblems.length === 0 && this.python.unapproved.length === 0);
  readonly canReset = $derived(this.busy || this.runConfig !== null || this.cycles.length > 0 || this.status === 'error' || this.crash !== null);
  /** An image task's run (shapes, scenes, hub-images, a custom image task): its cycles, or else the run's or the form's task. The page shows image views then. */
  readonly imageRun = $derived(this.cycles.some((c) => isImageStats(c.stats)) || isImageRun(this.runConfig ?? this.config));

  #timer: ReturnType<typeof setInterval> | null = null;

  constructor(hash: string, search: string) {
    this.link = new LinkConfig(hash, search);
    // measured on the model the task runs on (a custom task names an embedded one)
    this.worker = new TrainerBackend(search, { model: () => embeddedModelOf(this.config), event: (e) => this.#onEvent(e), lost: (text) => this.#lost(text), idle: () => !this.busy });
  }

  // the worker's backend, forwarded for the components
  get backendChoice(): 'auto' | BackendName {
    return this.worker.choice;
  }
  get backend(): InitResult | null {
    return this.worker.result;
  }
  get backendError(): string | null {
    return this.worker.error;
  }
  get backendBusy(): boolean {
    return this.worker.busy;
  }
  /** The figures of this device and model (remembered or measured in the background), and a faster backend. */
  get measurement(): Measurement | null {
    return this.worker.measurement;
  }
  get measuring(): boolean {
    return this.worker.measuring;
  }
  get measureError(): string | null {
    return this.worker.measureError;
  }
  get backendOffer(): BackendOffer | null {
    return this.worker.offer;
  }
  get trainer() {
    return this.worker.trainer;
  }

  // the configuration and the saved runs, forwarded for the components
  get config(): RunConfig {
    return this.link.config;
  }
  get hashProblems() {
    return this.link.hashProblems;
  }
  get fieldErrors() {
    return this.link.fieldErrors;
  }
  get crossProblems() {
    return this.link.crossProblems;
  }
  get store() {
    return this.saved.store;
  }
  get storeVersion(): number {
    return this.saved.version;
  }
  get resumeOffer(): RunRecord[] {
    return this.saved.resumeOffer;
  }

  /** Start the worker and pick a backend (called once the page is mounted), then offer interrupted runs. */
  async start(): Promise<void> {
    await this.worker.start();
    this.worker.measureSoon();
    await this.saved.findInterrupted();
  }

  /**
   * Resume a saved run in the worker: its newest valid checkpoint is restored, its saved cycles are shown, and
   * the remaining cycles run. After a crash the worker is started again first.
   */
  async resume(runId: string): Promise<void> {
    if (this.busy) return;
    if (this.crash || !this.trainer) await this.#restartWorker();
    this.#clearRun();
    this.saved.resumeOffer = [];
    this.status = 'loading';
    let info;
    try {
      info = await this.trainer!.resume(runId, this.hub.snapshot());
    } catch (e) {
      this.error = `Resuming failed: ${errorText(e)}`;
      this.status = 'error';
      return;
    }
    this.link.load(info.config);
    this.runConfig = info.config;
    this.cycles = info.cycles.map(fromStored);
    this.resumeNotes = info.notes;
    this.status = 'paused';
    if (info.nextCycle <= info.config.cycles) await this.run();
    else this.status = 'finished';
  }

  /** What training changed in the first held-out samples of the newest cycle, token by token. */
  tokenViews = $state<{ cycle: number; views: TokenView[] } | null>(null);

  /** Not now: the offer goes away, the run stays in Saved runs (paused, resumable there; Delete run deletes it). */
  dismissOffer(runId: string): Promise<void> {
    return this.saved.dismissOffer(runId);
  }

  /** Show a saved run's stats and samples, read-only (the engine is reset; Reset leaves the view). */
  async open(run: RunRecord, cycles: StoredCycle[]): Promise<void> {
    if (this.busy) return;
    await this.reset();
    this.link.load(run.config);
    this.cycles = cycles.map(fromStored);
    this.viewing = run.name;
  }

  dispose(): void {
    this.#stopTimer();
    this.worker.dispose();
  }

  /** Whether a control may be changed now: not during a command, and only live keys while a run is in memory. */
  editable(f: AnyConfigField): boolean {
    if (this.busy) return false;
    return this.runConfig === null || LIVE_KEYS.has(f.key);
  }

  change(f: AnyConfigField, raw: string | boolean): void {
    this.link.change(f, raw);
  }

  onHashChange(hash: string): void {
    if (this.busy || this.runConfig) return;
    this.link.onHashChange(hash);
  }

  async chooseBackend(choice: 'auto' | BackendName): Promise<void> {
    if (this.busy) return;
    this.#clearRun();
    this.worker.stopMeasuring();
    await this.worker.choose(choice);
    this.worker.measureSoon();
  }

  run(): Promise<void> {
    return this.#command('run');
  }

  step(): Promise<void> {
    return this.#command('step');
  }

  async pause(): Promise<void> {
    if (this.status !== 'running' || !this.trainer) return;
    this.status = 'pausing';
    await this.trainer.pause();
  }

  /** Back to the base model with no stats. A cycle in progress is cut short by restarting the worker. */
  async reset(): Promise<void> {
    const saved = this.savedRun;
    if (this.busy || this.crash) {
      await this.#restartWorker();
      // the run stays in the store, resumable from Saved runs
      if (saved) await this.trainer?.markRun(saved.id).catch(() => undefined);
      this.saved.changed();
      return;
    }
    try {
      await this.trainer?.reset();
    } catch (e) {
      this.error = errorText(e);
    }
    this.#clearRun();
    this.saved.changed();
  }

  /** Measure every backend again in the background (a software WebGPU adapter too: the user asked), forgetting the remembered figures. */
  remeasure(): void {
    if (this.busy) return;
    this.worker.forget();
    this.worker.stopMeasuring();
    this.worker.measureSoon(true);
  }

  /**
   * Run on a task document (the editor's "Use this task", a saved task): task custom with it, and a text task's
   * generation default for max new tokens (an image task brings its model's task's defaults and decides its reward,
   * prompts and image size: withTaskDoc); the user's own Python code is allowed. Not while a run is in memory.
   */
  useTask(json: string): void {
    if (this.busy || this.runConfig) {
      this.error = 'a run is in memory: press Reset before switching to another task';
      return;
    }
    const doc = parseAnyTaskDocument(json);
    const taskDoc = anyTaskDocumentJson(doc);
    this.python.approveTask(taskDoc);
    const config = withTaskDoc({ ...($state.snapshot(this.config) as RunConfig), task: 'custom' }, taskDoc);
    this.link.load(isImageDocument(doc) ? config : { ...config, maxNewTokens: doc.generation.maxNewTokens });
  }

  /** "Try the reward": the editor's task checked and one sample scored in the trainer worker's sandboxed workers. */
  async tryReward(): Promise<void> {
    const t = this.tasks;
    const b = t.built;
    if (!b.ok) {
      t.tryResult = { busy: false, text: b.message, error: true };
      return;
    }
    if (isImageDocument(b.doc)) {
      t.tryResult = { busy: false, text: 'Try the reward scores a completion of a text task; an image task\'s reward scores the images of a run', error: true };
      return;
    }
    if (!this.trainer) return;
    const row = b.doc.prompts.find((r) => r.prompt === t.tryPrompt) ?? b.doc.prompts[0]!;
    t.tryResult = { busy: true, text: null, error: false };
    try {
      const r = await this.trainer.tryReward(b.json, { prompt: row.prompt, completion: t.tryCompletion, row: { ...row } }, this.hub.snapshot());
      const parts = Object.entries(r.breakdown ?? {}).map(([k, v]) => `${k}: ${String(v)}`).join(', ');
      t.tryResult = r.error ? { busy: false, text: r.error, error: true } : { busy: false, text: `reward ${r.reward.toFixed(4)}${parts ? ` (${parts})` : ''}`, error: false };
    } catch (e) {
      t.tryResult = { busy: false, text: errorText(e), error: true };
    }
  }

  /** For a sweep (sweep.svelte.ts): reset, load `config`, run it to its end; its cycles, or why it did not finish. */
  async runToEnd(config: RunConfig): Promise<{ cycles: CycleRecord[] } | { failed: string }> {
    await this.reset();
    this.link.load(config);
    await this.run();
    if (this.status === 'finished' && this.cycles.length > 0) return { cycles: this.cycles };
    return { failed: this.error ? ` (${this.error})` : this.python.unapproved.length ? ' (allow the task\'s Python code first)' : '' };
  }

  /** One click: reset, load the demo configuration and run it. */
  async runDemo(): Promise<void> {
    this.tour.open();
    await this.reset();
    this.link.load({ ...DEMO_CONFIG, seed: this.config.seed });
    await this.run();
  }

  // ---------------------------------------------------------------------------------------------------------

  async #restartWorker(): Promise<void> {
    this.worker.terminate();
    this.#clearRun();
    await this.worker.start();
  }

  async #command(mode: 'run' | 'step'): Promise<void> {
    const trainer = this.trainer;
    if (!trainer || this.busy || (mode === 'run' ? !this.canRun : !this.canStep)) return;
    if (this.runConfig && differsBeyondLive(this.runConfig, this.config)) {
      this.error = 'the settings changed since this run started: press Reset to start a new run with them';
      return;
    }
    const gen = this.worker.generation;
    const config = $state.snapshot(this.config) as RunConfig;
    this.status = this.runConfig ? 'running' : 'loading';
    this.command = mode;
    this.runConfig ??= config;
    this.error = null;
    this.runInfo = '';
    this.#startTimer();
    this.worker.stopMeasuring(); // never alongside a run: it would slow it
    let outcome: RunOutcome | null = null;
    try {
      if (this.status === 'loading') this.hub.startLoading(); // a new run loads its model
      outcome = await trainer.run(config, mode, this.hub.snapshot());
    } catch (e) {
      if (gen === this.worker.generation) this.error ??= errorText(e);
    } finally {
      if (gen === this.worker.generation) {
        this.#stopTimer();
        this.progress = null;
        this.message = '';
        this.command = null;
        if (outcome) {
          this.status = outcome.reason === 'paused' || outcome.reason === 'stepped' ? 'paused' : 'finished';
          this.runInfo = describeOutcome(outcome);
        } else {
          this.status = 'error';
          // a cycle failed half-way (e.g. out of GPU memory): the engine's state is unknown, so the way on is the
          // last saved cycle (in a fresh worker), not another Run on this engine
          if (this.savedRun && !this.crash) this.#lost('The run stopped with an error.');
        }
        this.saved.changed();
        this.worker.measureSoon();
      }
    }
  }

  #onEvent(e: TrainerEvent): void {
    const t = performance.now();
    switch (e.type) {
      case 'status':
        this.message = e.message;
        break;
      case 'loaded':
        this.modelInfo = `${typeof e.meta.model === 'string' ? `${e.meta.model} (${e.meta.architecture})` : `${e.task} model`}: ${e.params.toLocaleString('en-US')} parameters on ${e.backend}`;
        this.message = '';
        if (this.status === 'loading') this.status = 'running';
        if (typeof e.meta.model === 'string') void this.hub.refresh();
        break;
      case 'download':
        this.hub.onDownload(e);
        break;
      case 'model-estimate':
        this.hub.estimate = { model: e.model, estimate: e.estimate };
        break;
      case 'pinned':
        // the run (its link, its saved record) names the commit the Hub resolved
        if (this.config.model === e.asGiven) this.link.load({ ...$state.snapshot(this.config), model: e.pinned } as RunConfig);
        if (this.runConfig?.model === e.asGiven) this.runConfig = { ...this.runConfig, model: e.pinned };
        break;
      case 'progress': {
        const p = this.progress;
        const newCycle = !p || p.cycle !== e.cycle;
        const newPhase = newCycle || p.phase !== e.phase || e.done === 0 || e.done < p.done;
        this.progress = {
          ...e,
          phaseStart: newPhase ? t : p.phaseStart,
          cycleStart: newCycle ? t : p.cycleStart,
        };
        if (this.status === 'loading') this.status = 'running';
        break;
      }
      case 'cycle':
      case 'image-cycle':
        this.cycles = [...this.cycles, { stats: e.stats, samples: e.samples, evalSamples: e.evalSamples }];
        if (e.type === 'cycle' && e.tokenViews) this.tokenViews = { cycle: e.stats.cycle, views: e.tokenViews };
        // the worker saves a cycle before it sends it: the Saved runs and Compare panels can show it now
        if (this.savedRun) this.saved.changed();
        break;
      case 'error':
        this.error = e.message;
        break;
      case 'saved-run':
        this.savedRun = { id: e.runId, name: e.name };
        this.saved.changed();
        break;
      case 'storage':
        this.storageMessages = [...this.storageMessages, e.message];
        break;
      case 'verifier':
        this.verifierLoad = [...this.verifierLoad.filter((v) => v.part !== e.progress.part), e.progress];
        break;
      case 'device-lost':
        this.#lost(e.message);
        break;
    }
  }

  /** The run's engine is gone (lost GPU device, crashed worker): say so and offer to resume the saved run. */
  #lost(text: string): void {
    this.crash = this.savedRun ? `${text} The run can resume from its last saved cycle.` : `${text} Press Reset to start again.`;
    this.#stopTimer();
    this.progress = null;
    this.status = 'error';
  }

  #clearRun(): void {
    this.#stopTimer();
    this.status = 'idle';
    this.runConfig = null;
    this.cycles = [];
    this.tokenViews = null;
    this.progress = null;
    this.message = '';
    this.runInfo = '';
    this.error = null;
    this.savedRun = null;
    this.storageMessages = [];
    this.verifierLoad = [];
    this.resumeNotes = [];
    this.crash = null;
    this.viewing = null;
  }

  #startTimer(): void {
    this.now = performance.now();
    this.#timer ??= setInterval(() => (this.now = performance.now()), 500);
  }

  #stopTimer(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }
}

function fromStored(c: StoredCycle): CycleRecord {
  return { stats: c.stats, samples: c.kept, evalSamples: c.evalSamples };
}

function describeOutcome(o: RunOutcome): string {
  const last = o.nextCycle - 1;
  switch (o.reason) {
    case 'finished':
      return `finished: cycles 0–${last} done (${o.seconds} s for this command)`;
    case 'paused':
      return `paused after cycle ${last} (${o.seconds} s); Run continues with cycle ${o.nextCycle}`;
    case 'stepped':
      return `stepped: cycle ${last} done (${o.seconds} s); next is cycle ${o.nextCycle}`;
    case 'early-stop':
      return `early stop: the eval reward dropped at cycle ${last} (${o.seconds} s)`;
  }
}
