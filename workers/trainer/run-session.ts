/**
 * The run in the trainer worker's memory: its engine (the language RaftEngine on the task's GPT, or the diffusion
 * engine on its denoiser), the recorder that saves each finished cycle in IndexedDB, and the run's Web Lock. The
 * engine is kept between commands, so Run after Pause or Step continues; Reset disposes it (the next run reloads the
 * base model). A run whose settings changed needs Reset first. Code tasks get the browser verifiers
 * (src/browser/verify/task-context.ts: Pyodide, clang and the WASI runner in nested workers, loaded at the first code
 * sample and kept across runs). Image cycles are sent with their images as RGBA bytes (src/browser/image-samples.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { checkConfig, type RunConfig } from '../../src/core/config/schema';
import { RaftEngine } from '../../src/core/raft/engine';
import { createTask, isImageTask } from '../../src/core/tasks/registry';
import type { Gpt } from '../../src/core/lm/gpt';
import { baseModelId } from '../../src/core/store/base-model';
import { RunRecorder } from '../../src/core/store/run-recorder';
import type { CycleRecord as StoredCycle } from '../../src/core/store/records';
import { DiffusionRaftEngine } from '../../src/core/diffusion/engine';
import type { UNet } from '../../src/core/diffusion/unet';
import { loadEmbeddedModelFromUrl } from '../../src/browser/model-files';
import { loadEmbeddedUNetFromUrl } from '../../src/browser/diffusion-files';
import { taskContextFor } from '../../src/browser/verify/task-context';
import { toImageRecord } from '../../src/browser/image-samples';
import { message, progressSender, send } from './events';
import { recordCycle, RunLock, runStore } from './recording';

/** How a run or step command ended. `nextCycle` is the cycle the next command would run. */
export interface RunOutcome {
  reason: 'finished' | 'paused' | 'stepped' | 'early-stop';
  nextCycle: number;
  seconds: number;
  tensors: number;
}

/** What resume() hands the page: the run's config, its saved cycles and notes about the checkpoint used. */
export interface ResumeInfo {
  runId: string;
  name: string;
  config: RunConfig;
  cycles: StoredCycle[];
  notes: string[];
  nextCycle: number;
}

/** Yield to the event loop so that pause() messages are handled between cycles. */
function tick(): Promise<void> {
  return new Promise((r) => setTimeout(r, 0));
}

/** The configuration an engine was built with, minus `cycles` (which may grow between commands). */
function keyOf(config: RunConfig): string {
  return JSON.stringify({ ...config, cycles: 0 });
}

export class RunSession {
  #engine: RaftEngine | null = null;
  #model: Gpt | null = null;
  #imageEngine: DiffusionRaftEngine | null = null;
  #unet: UNet | null = null;
  #engineKey = '';
  #recorder: RunRecorder | null = null;
  /** The stored run the engine belongs to (null = not recorded yet, or storage unavailable). */
  #runId: string | null = null;
  readonly #lock = new RunLock();
  #pauseRequested = false;

  constructor(readonly pageUrl: string) {}

  /** The id of the stored run in memory, if any. */
  get runId(): string | null {
    return this.#runId;
  }

  /** 'run': cycles until `config.cycles` (or a pause); 'step': exactly one cycle. */
  async run(config: RunConfig, mode: 'run' | 'step'): Promise<RunOutcome> {
    this.#pauseRequested = false;
    const problems = checkConfig(config);
    if (problems.length) throw new Error(problems.map((p) => p.message).join('; '));
    if (isImageTask(config.task)) {
      const eng = await this.#ensureImageEngine(config);
      return this.#loop(eng, config, mode, async () => {
        const { stats, samples, evalSamples } = await eng.runCycle();
        const cycle = { stats, samples: samples.map(toImageRecord), evalSamples: evalSamples.map(toImageRecord) };
        await recordCycle(this.#recorder, this.#runId, eng, cycle);
        send({ type: 'image-cycle', ...cycle });
      });
    }
    const eng = await this.#ensureEngine(config);
    return this.#loop(eng, config, mode, async () => {
      const result = await eng.runCycle();
      await recordCycle(this.#recorder, this.#runId, eng, result);
      send({ type: 'cycle', stats: result.stats, samples: result.samples, evalSamples: result.evalSamples });
    });
  }

  /** End the current run command after the cycle in progress. */
  pause(): void {
    this.#pauseRequested = true;
  }

  /** A run left by the user (Reset) stays resumable from the Saved runs panel, unless it had finished. */
  async markRun(id: string): Promise<void> {
    const s = runStore();
    const run = await s?.getRun(id);
    if (s && run && run.status !== 'done') await s.setStatus(id, 'paused');
  }

  /**
   * Resume a saved run: load its base model, restore its newest valid checkpoint (damaged ones are skipped and
   * named in `notes`), and keep the engine so that run() continues with the remaining cycles.
   */
  async resume(id: string): Promise<ResumeInfo> {
    this.dispose();
    const s = runStore();
    const saved = await s?.getRun(id);
    if (!s || !saved) throw new Error('this saved run no longer exists');
    await this.#lock.take(id);
    try {
      // the model first: its recorder names the base model (weights fingerprint) the checkpoint must match
      const r = isImageTask(saved.config.task)
        ? await this.#makeImageEngine(saved.config).then((fresh) => this.#recorder!.resume(id, async () => fresh))
        : await this.#loadBase(saved.config.task).then(({ task, loaded }) => this.#recorder!.resume(id, async (config) => this.#makeEngine(config, task, loaded)));
      this.#runId = id;
      send({ type: 'saved-run', runId: id, name: r.run.name });
      return { runId: id, name: r.run.name, config: r.run.config, cycles: r.cycles, notes: r.notes, nextCycle: r.engine.cycle };
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  /** Dispose the engines and models, forget the stored run and release its lock. */
  dispose(): void {
    this.#engine?.dispose();
    this.#engine = null;
    this.#model?.dispose();
    this.#model = null;
    this.#imageEngine?.dispose();
    this.#imageEngine = null;
    this.#unet?.dispose();
    this.#unet = null;
    this.#engineKey = '';
    this.#runId = null;
    this.#lock.release();
  }

  // ---------------------------------------------------------------------------------------------------------

  /** Load a task's base model, and a recorder for it. */
  async #loadBase(taskName: RunConfig['task']) {
    send({ type: 'status', message: `loading task "${taskName}" and its base model` });
    const task = createTask(taskName, taskContextFor(taskName, this.pageUrl));
    const loaded = await loadEmbeddedModelFromUrl(taskName, this.pageUrl);
    const params = loaded.model.numParams();
    send({ type: 'loaded', task: task.name, params, backend: tf.getBackend(), meta: loaded.manifest.meta });
    const s = runStore();
    this.#recorder = s ? new RunRecorder(s, baseModelId(task.name, 'gpt', params, loaded.fingerprint)) : null;
    return { task, loaded };
  }

  /** The engine for `config` unless one for the same settings exists (then the run continues). */
  async #ensureEngine(config: RunConfig): Promise<RaftEngine> {
    if (this.#engine && this.#engineKey === keyOf(config)) return this.#engine;
    if (this.#engine || this.#imageEngine) throw new Error('the settings changed since this run started: press Reset to start a new run with them');
    const { task, loaded } = await this.#loadBase(config.task);
    return this.#makeEngine(config, task, loaded);
  }

  #makeEngine(config: RunConfig, task: ReturnType<typeof createTask>, loaded: Awaited<ReturnType<typeof loadEmbeddedModelFromUrl>>): RaftEngine {
    this.#model = loaded.model;
    this.#engine = new RaftEngine({ model: loaded.model, tokenizer: loaded.tokenizer, task, config, onProgress: progressSender() });
    this.#engineKey = keyOf(config);
    return this.#engine;
  }

  /** The diffusion engine for `config` (built on the task's denoiser, loaded from the page's models/<task>/). */
  async #ensureImageEngine(config: RunConfig): Promise<DiffusionRaftEngine> {
    if (this.#imageEngine && this.#engineKey === keyOf(config)) return this.#imageEngine;
    if (this.#imageEngine || this.#engine) throw new Error('the settings changed since this run started: press Reset to start a new run with them');
    return this.#makeImageEngine(config);
  }

  /** Load the task's denoiser and a recorder for it, and build a diffusion engine at cycle 0. */
  async #makeImageEngine(config: RunConfig): Promise<DiffusionRaftEngine> {
    send({ type: 'status', message: `loading task "${config.task}" and its denoiser` });
    const loaded = await loadEmbeddedUNetFromUrl(config.task, this.pageUrl);
    this.#unet = loaded.model;
    const params = loaded.model.numParams();
    send({ type: 'loaded', task: config.task, params, backend: tf.getBackend(), meta: loaded.manifest.meta });
    this.#imageEngine = new DiffusionRaftEngine({ model: loaded.model, config, onProgress: progressSender() });
    this.#engineKey = keyOf(config);
    const s = runStore();
    this.#recorder = s ? new RunRecorder(s, baseModelId(config.task, 'denoiser', params, loaded.fingerprint)) : null;
    return this.#imageEngine;
  }

  /** Create the stored run of a new engine (cycle 0), take its lock and tell the page; the run goes on unsaved on failure. */
  async #startRecording(config: RunConfig, cycle: number): Promise<void> {
    if (this.#runId || !this.#recorder || cycle !== 0) return;
    try {
      const rec = await this.#recorder.start(config);
      await this.#lock.take(rec.id);
      this.#runId = rec.id;
      send({ type: 'saved-run', runId: rec.id, name: rec.name });
    } catch (e) {
      send({ type: 'storage', message: `This run cannot be saved (${message(e)}); it runs without saving.` });
    }
  }

  /**
   * The run loop shared by language and image tasks: from the engine's next cycle to `config.cycles` ('run') or for
   * one cycle ('step'), `runOne` running, recording and sending a cycle; stops at a pause request or an early stop.
   */
  async #loop(eng: { readonly cycle: number; readonly stopped: boolean }, config: RunConfig, mode: 'run' | 'step', runOne: () => Promise<void>): Promise<RunOutcome> {
    await this.#startRecording(config, eng.cycle);
    const last = mode === 'step' ? eng.cycle : config.cycles;
    const stoppedBefore = eng.stopped;
    const t0 = performance.now();
    let reason: RunOutcome['reason'] = mode === 'step' ? 'stepped' : 'finished';
    while (eng.cycle <= last) {
      await runOne();
      await tick();
      if (eng.stopped && !stoppedBefore) {
        reason = 'early-stop';
        break;
      }
      if (this.#pauseRequested && eng.cycle <= last) {
        reason = 'paused';
        break;
      }
    }
    if (reason === 'stepped' && eng.cycle > config.cycles) reason = 'finished';
    const s = runStore();
    if (this.#runId && s) await s.setStatus(this.#runId, reason === 'finished' || reason === 'early-stop' ? 'done' : 'paused').catch(() => undefined);
    const seconds = Math.round((performance.now() - t0) / 100) / 10;
    return { reason, nextCycle: eng.cycle, seconds, tensors: tf.memory().numTensors };
  }
}
