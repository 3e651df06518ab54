/**
 * The lab's run state (Svelte 5 runes): the trainer worker and its backend, the run status, progress, and every
 * finished cycle's stats and samples. Commands go to the worker, which keeps its engine between them: Run continues
 * until `cycles`, Pause ends after the current cycle, Step runs exactly one cycle, Reset disposes the engine and the
 * model (a running cycle is cut short by restarting the worker). The configuration and its link live in
 * `LinkConfig` (link-config.svelte.ts), the saved runs in `SavedRuns` (saved-runs.svelte.ts); the Lab forwards
 * their fields for the components.
 */
import { DEFAULT_CONFIG, isImageTaskName, type AnyConfigField, type RunConfig } from '../../core/config/schema';
import { embeddedModelOf, parseTaskDocument, taskDocumentJson } from '../../core/tasks/custom/document';
import { TaskEditor } from './task-editor.svelte';
import { gridPoints, parseGrid, parseSweepFile, runId, summarizeSweep, SWEEP_VERSION, type SweepFile, type SweepRun } from '../../core/sweep';
import type { Method } from '../../core/config/schema';
import type { Phase } from '../../core/raft/engine';
import { differsBeyondLive, LIVE_KEYS } from '../config-controls';
import { download, isImageStats, type CycleRecord } from '../export';
import type { CycleRecord as StoredCycle, RunRecord } from '../../browser/store/run-store';
import type { VerifierLoadProgress } from '../../browser/verify/index';
import { createTrainer, type BackendName, type InitResult, type RunOutcome, type TrainerClient, type TrainerEvent } from '../trainer-client';
import type { TokenView } from '../../../workers/trainer/events';
import { LinkConfig } from './link-config.svelte';
import { SavedRuns } from './saved-runs.svelte';
import { HubModels } from './hub-models.svelte';
import { Tour } from './tour.svelte';
import { forgetMeasurement, rememberedMeasurement, rememberMeasurement } from './backend-memory';

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
  /**
   * Python reward code the user has allowed to run in this page (their own from the editor, or a link's after they
   * read it). A run whose task has other Python code waits for the user's consent (PythonConsent shows the code).
   */
  approvedPython = $state<string[]>([]);
  /** The sweep shown in the Sweep panel (run here, or a CLI sweep file opened), and the one running. */
  sweep = $state<{ file: SweepFile | null; running: { done: number; total: number; label: string } | null; error: string | null; stop: boolean }>({
    file: null, running: null, error: null, stop: false,
  });
  /** Python code of the configured task that has not been allowed yet. */
  readonly unapprovedPython = $derived(pythonCodes(this.config.taskDoc).filter((c) => !this.approvedPython.includes(c)));

  /** 'auto' = WebGPU, else WebGL, WASM, CPU. */
  backendChoice = $state<'auto' | BackendName>('auto');
  backend = $state<InitResult | null>(null);
  backendError = $state<string | null>(null);
  backendBusy = $state(true);

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
  readonly canRun = $derived(this.ready && !this.busy && !this.viewing && !this.crash && this.crossProblems.length === 0 && this.unapprovedPython.length === 0 && this.nextCycle <= this.config.cycles);
  readonly canStep = $derived(this.ready && !this.busy && !this.viewing && !this.crash && this.crossProblems.length === 0 && this.unapprovedPython.length === 0);
  readonly canReset = $derived(this.busy || this.runConfig !== null || this.cycles.length > 0 || this.status === 'error' || this.crash !== null);
  /** An image task's run (shapes): its cycles, or else the run's or the form's task. The page shows image views then. */
  readonly imageRun = $derived(this.cycles.some((c) => isImageStats(c.stats)) || isImageTaskName((this.runConfig ?? this.config).task));

  #trainer: TrainerClient | null = null;
  #timer: ReturnType<typeof setInterval> | null = null;
  #generation = 0;

  constructor(hash: string, search: string) {
    this.link = new LinkConfig(hash, search);
    const b = new URLSearchParams(search).get('backend');
    if (b === 'webgpu' || b === 'webgl' || b === 'wasm' || b === 'cpu') this.backendChoice = b;
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
    await this.#startWorker();
    await this.saved.findInterrupted();
  }

  /**
   * Resume a saved run in the worker: its newest valid checkpoint is restored, its saved cycles are shown, and
   * the remaining cycles run. After a crash the worker is started again first.
   */
  async resume(runId: string): Promise<void> {
    if (this.busy) return;
    if (this.crash || !this.#trainer) await this.#restartWorker();
    this.#clearRun();
    this.saved.resumeOffer = [];
    this.status = 'loading';
    let info;
    try {
      info = await this.#trainer!.resume(runId, this.hub.snapshot());
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

  /** What training changed in the first held-out sample of the newest cycle, token by token. */
  tokenView = $state<({ cycle: number } & TokenView) | null>(null);

  /** A model download being made, or why it failed. */
  modelDownload = $state<{ busy: boolean; error: string | null }>({ busy: false, error: null });

  /** Download the run's trained model (a zip): its LoRA adapter in PEFT's format, or the merged model. */
  async downloadModel(kind: 'adapter' | 'merged'): Promise<void> {
    if (!this.#trainer || this.busy || this.modelDownload.busy) return;
    this.modelDownload = { busy: true, error: null };
    try {
      const { name, zip } = await this.#trainer.exportModel(kind);
      download(name, zip, 'application/zip');
      this.modelDownload = { busy: false, error: null };
    } catch (e) {
      this.modelDownload = { busy: false, error: errorText(e) };
    }
  }

  /**
   * Score a text (or token ids, "ids: 1,2,3") with the Model setting's Hub model in the worker: the conformance
   * probe. Not while a run is in memory (its model holds the worker's memory).
   */
  async scoreModel(input: string): Promise<void> {
    if (!this.#trainer || this.busy) return;
    const m = /^\s*ids:\s*(.*)$/s.exec(input);
    const ids = m ? m[1]!.split(',').map((x) => Number(x.trim())) : undefined;
    if (ids && !ids.every((x) => Number.isSafeInteger(x) && x >= 0)) {
      this.hub.score = { error: 'ids: must be followed by non-negative integers separated by commas' };
      return;
    }
    this.hub.startLoading();
    this.hub.score = { running: true };
    try {
      const r = await this.#trainer.score(this.config.model, ids ? { ids } : { text: input }, this.hub.snapshot());
      this.hub.score = { result: r };
    } catch (e) {
      this.hub.score = { error: errorText(e) };
    }
    void this.hub.refresh();
  }

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
    this.#trainer?.terminate();
    this.#trainer = null;
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
    this.backendChoice = choice;
    this.#clearRun();
    this.backendBusy = true;
    this.backendError = null;
    try {
      this.backend = await this.#init(this.#trainer!);
    } catch (e) {
      this.backendError = errorText(e);
    } finally {
      this.backendBusy = false;
    }
  }

  run(): Promise<void> {
    return this.#command('run');
  }

  step(): Promise<void> {
    return this.#command('step');
  }

  async pause(): Promise<void> {
    if (this.status !== 'running' || !this.#trainer) return;
    this.status = 'pausing';
    await this.#trainer.pause();
  }

  /** Back to the base model with no stats. A cycle in progress is cut short by restarting the worker. */
  async reset(): Promise<void> {
    const saved = this.savedRun;
    if (this.busy || this.crash) {
      await this.#restartWorker();
      // the run stays in the store, resumable from Saved runs
      if (saved) await this.#trainer?.markRun(saved.id).catch(() => undefined);
      this.saved.changed();
      return;
    }
    try {
      await this.#trainer?.reset();
    } catch (e) {
      this.error = errorText(e);
    }
    this.#clearRun();
    this.saved.changed();
  }

  /** Measure the backends again (automatic choice), forgetting the remembered figures. */
  async remeasure(): Promise<void> {
    forgetMeasurement(embeddedModelOf(this.config));
    await this.chooseBackend('auto');
  }

  /** Allow the configured task's Python reward code to run (in the sandboxed verifier worker). */
  allowPython(): void {
    this.approvedPython = [...this.approvedPython, ...this.unapprovedPython];
  }

  /**
   * Run on a task document (the editor's "Use this task", a saved task): task custom with it, its generation
   * default for max new tokens; the user's own Python code is allowed. Not while a run is in memory.
   */
  useTask(json: string): void {
    if (this.busy || this.runConfig) {
      this.error = 'a run is in memory: press Reset before switching to another task';
      return;
    }
    const doc = parseTaskDocument(json);
    const taskDoc = taskDocumentJson(doc);
    this.approvedPython = [...this.approvedPython, ...pythonCodes(taskDoc)];
    this.link.load({ ...($state.snapshot(this.config) as RunConfig), task: 'custom', taskDoc, maxNewTokens: doc.generation.maxNewTokens });
  }

  /** "Try the reward": the editor's task checked and one sample scored in the trainer worker's sandboxed workers. */
  async tryReward(): Promise<void> {
    const t = this.tasks;
    const b = t.built;
    if (!b.ok) {
      t.tryResult = { busy: false, text: b.message, error: true };
      return;
    }
    if (!this.#trainer) return;
    const row = b.doc.prompts.find((r) => r.prompt === t.tryPrompt) ?? b.doc.prompts[0]!;
    t.tryResult = { busy: true, text: null, error: false };
    try {
      const r = await this.#trainer.tryReward(b.json, { prompt: row.prompt, completion: t.tryCompletion, row: { ...row } }, this.hub.snapshot());
      const parts = Object.entries(r.breakdown ?? {}).map(([k, v]) => `${k}: ${String(v)}`).join(', ');
      t.tryResult = r.error ? { busy: false, text: r.error, error: true } : { busy: false, text: `reward ${r.reward.toFixed(4)}${parts ? ` (${parts})` : ''}`, error: false };
    } catch (e) {
      t.tryResult = { busy: false, text: errorText(e), error: true };
    }
  }

  /**
   * Run a sweep here: every method x grid point x seed on the current settings, one run after another (each is an
   * ordinary run: saved, resumable), the summary updated after each. "Stop" ends it after the run in progress.
   */
  async runSweep(methods: Method[], gridSpec: string, seeds: number[]): Promise<void> {
    if (this.busy || this.sweep.running) return;
    let points;
    let grid;
    try {
      grid = parseGrid(gridSpec);
      points = gridPoints(grid);
    } catch (e) {
      this.sweep = { ...this.sweep, error: errorText(e) };
      return;
    }
    if (methods.length === 0 || seeds.length === 0) {
      this.sweep = { ...this.sweep, error: 'choose at least one method and one seed' };
      return;
    }
    const base = $state.snapshot(this.config) as RunConfig;
    const runs: SweepRun[] = [];
    const total = methods.length * points.length * seeds.length;
    this.sweep = { file: null, running: { done: 0, total, label: '' }, error: null, stop: false };
    try {
      for (const method of methods) {
        for (const point of points) {
          for (const seed of seeds) {
            if (this.sweep.stop) return;
            const config = { ...base, ...point, method, seed } as RunConfig;
            this.sweep.running = { done: runs.length, total, label: `${method} ${Object.entries(point).map(([k, v]) => `${k}=${v}`).join(' ')} seed ${seed}` };
            await this.reset();
            this.link.load(config);
            await this.run();
            if (this.status !== 'finished' || this.cycles.length === 0) {
              this.sweep = { ...this.sweep, error: `the sweep stopped: the run ${this.sweep.running.label} did not finish${this.error ? ` (${this.error})` : this.unapprovedPython.length ? ' (allow the task\'s Python code first)' : ''}` };
              return;
            }
            runs.push({ id: runId(method, point, seed), method, point, seed, config, cycles: this.cycles.map((c) => $state.snapshot(c.stats) as SweepRun['cycles'][number]) });
            this.sweep.file = { raftlabSweep: SWEEP_VERSION, base, methods, grid, seeds, runs: [...runs], summary: summarizeSweep(runs) };
          }
        }
      }
    } finally {
      this.sweep = { ...this.sweep, running: null, stop: false };
    }
  }

  /** A sweep file (the CLI's `raftlab sweep --out`) shown in the Sweep panel. */
  openSweep(text: string, name: string): void {
    try {
      this.sweep = { ...this.sweep, file: parseSweepFile(text), error: null };
    } catch (e) {
      this.sweep = { ...this.sweep, error: `${name}: ${errorText(e)}` };
    }
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
    this.#generation++;
    this.#trainer?.terminate();
    this.#trainer = null;
    this.#clearRun();
    await this.#startWorker();
  }

  async #startWorker(): Promise<void> {
    this.backendBusy = true;
    this.backendError = null;
    const gen = this.#generation;
    const trainer = createTrainer((m) => {
      if (gen === this.#generation) this.#lost(`The trainer stopped unexpectedly (${m}).`);
    });
    this.#trainer = trainer;
    await trainer.subscribe((e) => {
      if (gen === this.#generation) this.#onEvent(e);
    });
    try {
      const r = await this.#init(trainer);
      if (gen === this.#generation) this.backend = r;
    } catch (e) {
      if (gen === this.#generation) this.backendError = errorText(e);
    } finally {
      if (gen === this.#generation) this.backendBusy = false;
    }
  }

  async #command(mode: 'run' | 'step'): Promise<void> {
    if (!this.#trainer || this.busy || (mode === 'run' ? !this.canRun : !this.canStep)) return;
    if (this.runConfig && differsBeyondLive(this.runConfig, this.config)) {
      this.error = 'the settings changed since this run started: press Reset to start a new run with them';
      return;
    }
    const gen = this.#generation;
    const config = $state.snapshot(this.config) as RunConfig;
    this.status = this.runConfig ? 'running' : 'loading';
    this.command = mode;
    this.runConfig ??= config;
    this.error = null;
    this.runInfo = '';
    this.#startTimer();
    let outcome: RunOutcome | null = null;
    try {
      if (this.status === 'loading') this.hub.startLoading(); // a new run loads its model
      outcome = await this.#trainer.run(config, mode, this.hub.snapshot());
    } catch (e) {
      if (gen === this.#generation) this.error ??= errorText(e);
    } finally {
      if (gen === this.#generation) {
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
        if (e.type === 'cycle' && e.tokenView) this.tokenView = { cycle: e.stats.cycle, ...e.tokenView };
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
    this.tokenView = null;
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

  /** Start the backend: the one chosen, or automatic with the figures remembered for this task (saved when new). */
  async #init(trainer: TrainerClient): Promise<InitResult> {
    // measured on the model the task runs on (a custom task names an embedded one)
    const task = embeddedModelOf(this.config);
    const choice = this.backendChoice;
    const r = choice === 'auto' ? await trainer.init(undefined, task, rememberedMeasurement(task)) : await trainer.init(choice, task);
    if (r.measurement && !r.remembered) rememberMeasurement(task, r.measurement);
    return r;
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

/** The Python reward code of a task document's JSON ('' or unreadable: none). */
function pythonCodes(taskDoc: string): string[] {
  if (!taskDoc) return [];
  try {
    return parseTaskDocument(taskDoc).reward.terms.flatMap((t) => (t.kind === 'python' ? [t.code] : []));
  } catch {
    return [];
  }
}

function fromStored(c: StoredCycle): CycleRecord {
  return { stats: c.stats, samples: c.kept, evalSamples: c.evalSamples };
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
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
