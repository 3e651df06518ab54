/**
 * The lab's state (Svelte 5 runes): the run configuration (mirrored in the URL hash), the TF.js backend, the run
 * status, progress, and every finished cycle's stats and samples. Commands go to the trainer worker, which keeps
 * its engine between them: Run continues until `cycles`, Pause ends after the current cycle, Step runs exactly one
 * cycle, Reset disposes the engine and the model (a running cycle is cut short by restarting the worker).
 */
import { checkConfig, DEFAULT_CONFIG, isImageTaskName, type AnyConfigField, type ConfigProblem, type RunConfig } from '../../core/config/schema';
import { decodeConfigHash, encodeConfigHash } from '../../core/config/url';
import type { Phase } from '../../core/raft/engine';
import { applyControl, differsBeyondLive, LIVE_KEYS } from '../config-controls';
import { isImageStats, type CycleRecord } from '../export';
import { RunStore, type CycleRecord as StoredCycle, type RunRecord } from '../../core/store/run-store';
import { interruptedRuns } from '../../core/store/run-recorder';
import { runLockName } from '../run-lock';
import type { VerifierLoadProgress } from '../../browser/verify/index';
import { createTrainer, type BackendName, type InitResult, type RunOutcome, type TrainerClient, type TrainerEvent } from '../trainer-client';

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
  config = $state<RunConfig>({ ...DEFAULT_CONFIG });
  hashProblems = $state<ConfigProblem[]>([]);
  fieldErrors = $state<Record<string, string>>({});
  readonly crossProblems = $derived(checkConfig(this.config));

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
  /** Unfinished runs found when the page loaded (a reload or crash interrupted them): offered for resuming. */
  resumeOffer = $state<RunRecord[]>([]);
  /** Said after a resume (e.g. a damaged checkpoint was skipped). */
  resumeNotes = $state<string[]>([]);
  /** The worker crashed or the GPU device was lost: the run can resume from its last saved cycle. */
  crash = $state<string | null>(null);
  /** A saved run opened read-only (its stats in the view; no engine). */
  viewing = $state<string | null>(null);
  /** Bumped whenever the saved runs change (the Saved runs and Compare panels reload their lists). */
  storeVersion = $state(0);
  /** The page's own connection to the run store (lists, export, import, delete). */
  readonly store: RunStore | null = openStore();

  readonly busy = $derived(this.status === 'loading' || this.status === 'running' || this.status === 'pausing');
  readonly nextCycle = $derived(this.cycles.length ? this.cycles.at(-1)!.stats.cycle + 1 : 0);
  readonly ready = $derived(this.backend !== null && !this.backendBusy);
  readonly canRun = $derived(this.ready && !this.busy && !this.viewing && !this.crash && this.crossProblems.length === 0 && this.nextCycle <= this.config.cycles);
  readonly canStep = $derived(this.ready && !this.busy && !this.viewing && !this.crash && this.crossProblems.length === 0);
  readonly canReset = $derived(this.busy || this.runConfig !== null || this.cycles.length > 0 || this.status === 'error' || this.crash !== null);
  /** An image task's run (shapes): its cycles, or else the run's or the form's task. The page shows image views then. */
  readonly imageRun = $derived(this.cycles.some((c) => isImageStats(c.stats)) || isImageTaskName((this.runConfig ?? this.config).task));

  #trainer: TrainerClient | null = null;
  #timer: ReturnType<typeof setInterval> | null = null;
  #generation = 0;

  constructor(hash: string, search: string) {
    const d = decodeConfigHash(hash);
    this.config = d.config;
    this.hashProblems = perKeyProblems(d.problems, d.config);
    const b = new URLSearchParams(search).get('backend');
    if (b === 'webgpu' || b === 'webgl' || b === 'wasm' || b === 'cpu') this.backendChoice = b;
  }

  /** Start the worker and pick a backend (called once the page is mounted). */
  async start(): Promise<void> {
    await this.#startWorker();
    if (!this.store) return;
    // a run still held by a trainer (another tab of the lab) is not interrupted: only the others are offered. The
    // worker of the page before a reload may hold its lock for a moment: look again for up to 2 s.
    const runs = await interruptedRuns(this.store).catch(() => []);
    let free = runs;
    for (let i = 0; i < 5; i++) {
      const held = await heldRunLocks();
      free = runs.filter((r) => !held.has(runLockName(r.id)));
      if (free.length === runs.length) break;
      await new Promise((r) => setTimeout(r, 400));
    }
    this.resumeOffer = free;
  }

  /**
   * Resume a saved run in the worker: its newest valid checkpoint is restored, its saved cycles are shown, and
   * the remaining cycles run. After a crash the worker is started again first.
   */
  async resume(runId: string): Promise<void> {
    if (this.busy) return;
    if (this.crash || !this.#trainer) await this.#restartWorker();
    this.#clearRun();
    this.resumeOffer = [];
    this.status = 'loading';
    let info;
    try {
      info = await this.#trainer!.resume(runId);
    } catch (e) {
      this.error = `Resuming failed: ${errorText(e)}`;
      this.status = 'error';
      return;
    }
    this.config = info.config;
    this.hashProblems = [];
    this.fieldErrors = {};
    this.#writeHash();
    this.runConfig = info.config;
    this.cycles = info.cycles.map(fromStored);
    this.resumeNotes = info.notes;
    this.status = 'paused';
    if (info.nextCycle <= info.config.cycles) await this.run();
    else this.status = 'finished';
  }

  /** Not now: the offer goes away, the run stays in Saved runs (paused, resumable there; Delete run deletes it). */
  async dismissOffer(runId: string): Promise<void> {
    this.resumeOffer = this.resumeOffer.filter((r) => r.id !== runId);
    await this.store?.setStatus(runId, 'paused').catch(() => undefined);
    this.storeVersion++;
  }

  /** Show a saved run's stats and samples, read-only (the engine is reset; Reset leaves the view). */
  async open(run: RunRecord, cycles: StoredCycle[]): Promise<void> {
    if (this.busy) return;
    await this.reset();
    this.config = { ...run.config };
    this.hashProblems = [];
    this.#writeHash();
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
    const r = applyControl(this.config, f, raw);
    if (!r.ok) {
      this.fieldErrors = { ...this.fieldErrors, [f.key]: r.message };
      return;
    }
    const { [f.key]: _, ...rest } = this.fieldErrors;
    this.fieldErrors = rest;
    this.config = r.config;
    this.hashProblems = [];
    this.#writeHash();
  }

  onHashChange(hash: string): void {
    if (this.busy || this.runConfig) return;
    const d = decodeConfigHash(hash);
    this.config = d.config;
    this.hashProblems = perKeyProblems(d.problems, d.config);
    this.fieldErrors = {};
  }

  async chooseBackend(choice: 'auto' | BackendName): Promise<void> {
    if (this.busy) return;
    this.backendChoice = choice;
    this.#clearRun();
    this.backendBusy = true;
    this.backendError = null;
    try {
      this.backend = await this.#trainer!.init(choice === 'auto' ? undefined : choice);
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
      this.storeVersion++;
      return;
    }
    try {
      await this.#trainer?.reset();
    } catch (e) {
      this.error = errorText(e);
    }
    this.#clearRun();
    this.storeVersion++;
  }

  /** One click: reset, load the demo configuration and run it. */
  async runDemo(): Promise<void> {
    await this.reset();
    this.config = { ...DEMO_CONFIG, seed: this.config.seed };
    this.fieldErrors = {};
    this.hashProblems = [];
    this.#writeHash();
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
      const r = await trainer.init(this.backendChoice === 'auto' ? undefined : this.backendChoice);
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
      outcome = await this.#trainer.run(config, mode);
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
        this.storeVersion++;
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
        this.modelInfo = `${e.task} model: ${e.params.toLocaleString('en-US')} parameters on ${e.backend}`;
        this.message = '';
        if (this.status === 'loading') this.status = 'running';
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
        // the worker saves a cycle before it sends it: the Saved runs and Compare panels can show it now
        if (this.savedRun) this.storeVersion++;
        break;
      case 'error':
        this.error = e.message;
        break;
      case 'saved-run':
        this.savedRun = { id: e.runId, name: e.name };
        this.storeVersion++;
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

  #writeHash(): void {
    history.replaceState(history.state, '', `#${encodeConfigHash(this.config)}`);
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

/** Names of the Web Locks held now (the trainer worker holds `runLockName(id)` while a run is in its memory). */
async function heldRunLocks(): Promise<Set<string>> {
  const locks = (navigator as { locks?: { query?: () => Promise<{ held?: Array<{ name?: string }> }> } }).locks;
  try {
    const snapshot = await locks?.query?.();
    return new Set((snapshot?.held ?? []).map((l) => l.name ?? ''));
  } catch {
    return new Set();
  }
}

function fromStored(c: StoredCycle): CycleRecord {
  return { stats: c.stats, samples: c.kept, evalSamples: c.evalSamples };
}

function openStore(): RunStore | null {
  try {
    return typeof indexedDB === 'undefined' ? null : new RunStore();
  } catch {
    return null;
  }
}

/** Cross-field problems are shown live from checkConfig, so the hash list keeps only the per-key ones. */
function perKeyProblems(problems: ConfigProblem[], config: RunConfig): ConfigProblem[] {
  const cross = checkConfig(config);
  return problems.filter((p) => !cross.some((q) => q.message === p.message));
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
