/**
 * The run in the trainer worker's memory: its engine (the language RaftEngine on the task's GPT, or the diffusion
 * engine on its denoiser, both set up as the CLI sets them up: core/run/prepare.ts, with the model files from the
 * page or the Hub: src/browser/run-model.ts), the recorder that saves each finished cycle in IndexedDB, and the run's
 * Web Lock. The engine is kept between commands, so Run after Pause or Step continues; Reset disposes it (the next run
 * reloads the base model). A run whose settings changed needs Reset first. Code tasks get the browser verifiers
 * (src/browser/verify/task-context.ts: Pyodide, clang and the WASI runner in nested workers, loaded at the first code
 * sample and kept across runs). Image cycles are sent with their images as RGBA bytes (src/browser/image-samples.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { checkConfig, type RunConfig } from '../../src/core/config/schema';
import type { RaftEngine } from '../../src/core/raft/engine';
import { loadSceneClipFromUrl } from '../../src/browser/scenes-clip-files';
import { createRunEngine, prepareHubImageRun, prepareImageRun, prepareRun, type PreparedRun } from '../../src/core/run/prepare';
import { isImageRun } from '../../src/core/tasks/run-kind';
import { taskLabel } from '../../src/core/tasks/custom/document';
import type { LanguageModel } from '../../src/core/lm/language-model';
import { browserModelSource, type BrowserRunModel, type ExportInfo } from '../../src/browser/run-model';
import { RunRecorder } from '../../src/core/store/run-recorder';
import type { CycleRecord as StoredCycle } from '../../src/core/store/records';
import type { DiffusionRaftEngine } from '../../src/core/diffusion/engine';
import type { SceneDiT } from '../../src/core/diffusion/dit/model';
import type { UNet } from '../../src/core/diffusion/unet';
import { loadEmbeddedDenoiserFromUrl } from '../../src/browser/diffusion-files';
import { loadDiffusersFromUrl, loadPeftAdapterFromUrl } from '../../src/browser/diffusers-model';
import { browserImageRewardModels } from '../../src/browser/image-reward-models';
import type { ImageRewardModels } from '../../src/core/rewards/image-models';
import type { UNet2DModel } from '../../src/core/diffusers/unet2d/model';
import type { DiffusersPipeline } from '../../src/core/diffusers/pipeline';
import { taskContextFor } from '../../src/browser/verify/task-context';
import { toImageRecord } from '../../src/browser/image-samples';
import { message, progressSender, send, type TokenView } from './events';
import { deviceLimits, downloadSender, endpointOf, modelPlace, type MachineSettings } from './machine';
import { diffusersZip, modelZip } from './model-export';
import { recordCycle, RunLock, runStore } from './recording';

export type { MachineSettings } from './machine';

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

/** The held-out samples of a cycle whose token changes are sent (the token view's picker). */
const TOKEN_VIEWS = 8;

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
  #model: LanguageModel | null = null;
  /** A Hub model as the page named it, and pinned to the commit it resolved to (the engine's config has the latter). */
  #pin: { asGiven: string; pinned: string } | null = null;
  #exportInfo: ExportInfo | null = null;
  #imageEngine: DiffusionRaftEngine | null = null;
  #unet: UNet | SceneDiT | UNet2DModel | null = null;
  /** The Hub UNet of a hub-images run: its pipeline and the names its exports record. */
  #hub: { pipeline: DiffusersPipeline; base: string; revision: string | null } | null = null;
  /** Learned image rewards (hub-images), loaded once per worker. */
  #imageRewards: ImageRewardModels | null = null;
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
  async run(asGiven: RunConfig, mode: 'run' | 'step', settings: MachineSettings = {}): Promise<RunOutcome> {
    this.#pauseRequested = false;
    const config = this.#pin && asGiven.model === this.#pin.asGiven ? { ...asGiven, model: this.#pin.pinned } : asGiven;
    const problems = checkConfig(config);
    if (problems.length) throw new Error(problems.map((p) => p.message).join('; '));
    if (isImageRun(config)) {
      const eng = await this.#ensureImageEngine(config, settings);
      return this.#loop(eng, eng.config, mode, async () => {
        const { stats, samples, evalSamples } = await eng.runCycle();
        const cycle = { stats, samples: samples.map(toImageRecord), evalSamples: evalSamples.map(toImageRecord) };
        await recordCycle(this.#recorder, this.#runId, eng, cycle);
        send({ type: 'image-cycle', ...cycle });
      });
    }
    const eng = await this.#ensureEngine(config, settings);
    return this.#loop(eng, { ...config, model: eng.config.model }, mode, async () => {
      const result = await eng.runCycle();
      await recordCycle(this.#recorder, this.#runId, eng, result);
      // the token view: the first TOKEN_VIEWS held-out samples under the model now and the base model (a picker)
      const tokenViews: TokenView[] = [];
      for (const s of result.evalSamples.slice(0, TOKEN_VIEWS)) tokenViews.push({ prompt: s.prompt, tokens: await eng.tokenChanges(s.prompt, s.completion) });
      send({ type: 'cycle', stats: result.stats, samples: result.samples, evalSamples: result.evalSamples, ...(tokenViews.length ? { tokenViews } : {}) });
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
  async resume(id: string, settings: MachineSettings = {}): Promise<ResumeInfo> {
    this.dispose();
    const s = runStore();
    const saved = await s?.getRun(id);
    if (!s || !saved) throw new Error('this saved run no longer exists');
    await this.#lock.take(id);
    try {
      // the model first: its recorder names the base model (weights fingerprint) the checkpoint must match
      const r = isImageRun(saved.config)
        ? await this.#makeImageEngine(saved.config, settings).then((fresh) => this.#recorder!.resume(id, async () => fresh))
        : await this.#prepare(saved.config, settings).then((run) => this.#recorder!.resume(id, async (config) => this.#makeEngine({ ...run, config })));
      this.#runId = id;
      send({ type: 'saved-run', runId: id, name: r.run.name });
      return { runId: id, name: r.run.name, config: r.run.config, cycles: r.cycles, notes: r.notes, nextCycle: r.engine.cycle };
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  /**
   * The trained language model as a zip (model-export.ts): its LoRA adapters in PEFT's format, or the whole model
   * merged, in the Hub's layout. The run in memory is left as it is.
   */
  async exportModel(kind: 'adapter' | 'merged'): Promise<{ name: string; zip: Uint8Array }> {
    if (this.#hub && this.#imageEngine) return diffusersZip(this.#hub.pipeline, this.#hub.base, this.#hub.revision, this.#imageEngine.config, this.#imageEngine.cycle, kind);
    if (!this.#model || !this.#exportInfo || !this.#engine) throw new Error('there is no language run in memory to download (run a cycle first)');
    return modelZip(this.#model, this.#exportInfo, this.#engine.config, this.#engine.cycle, kind);
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
    this.#hub = null;
    this.#engineKey = '';
    this.#pin = null;
    this.#exportInfo = null;
    this.#runId = null;
    this.#lock.release();
  }

  // ---------------------------------------------------------------------------------------------------------

  /** Prepare a language run (core/run/prepare.ts) on a model from this page or the Hub, and a recorder for its model. */
  async #prepare(config: RunConfig, settings: MachineSettings): Promise<PreparedRun<BrowserRunModel>> {
    const ctx = taskContextFor(config, this.pageUrl, endpointOf(settings));
    const run = await prepareRun(config, ctx, browserModelSource(modelPlace(this.pageUrl, config.model, settings)), (message) => send({ type: 'status', message }));
    if (run.config.model !== config.model) {
      this.#pin = { asGiven: config.model, pinned: run.config.model };
      send({ type: 'pinned', asGiven: config.model, pinned: run.config.model });
    }
    const s = runStore();
    this.#recorder = s ? new RunRecorder(s, run.base.baseId) : null;
    return run;
  }

  /** The engine for `config` unless one for the same settings exists (then the run continues). */
  async #ensureEngine(config: RunConfig, settings: MachineSettings): Promise<RaftEngine> {
    if (this.#engine && this.#engineKey === keyOf(config)) return this.#engine;
    if (this.#engine || this.#imageEngine) throw new Error('the settings changed since this run started: press Reset to start a new run with them');
    // a Hub model's run is recorded with the commit it resolved to
    return this.#makeEngine(await this.#prepare(config, settings));
  }

  #makeEngine(run: PreparedRun<BrowserRunModel>): RaftEngine {
    this.#exportInfo = run.base.exportInfo;
    this.#engine = createRunEngine(run, progressSender());
    this.#model = run.base.model;
    this.#engineKey = keyOf(run.config);
    return this.#engine;
  }

  /** The diffusion engine for `config` (built on the task's denoiser, loaded from the page's models/<task>/). */
  async #ensureImageEngine(config: RunConfig, settings: MachineSettings): Promise<DiffusionRaftEngine> {
    if (this.#imageEngine && this.#engineKey === keyOf(config)) return this.#imageEngine;
    if (this.#imageEngine || this.#engine) throw new Error('the settings changed since this run started: press Reset to start a new run with them');
    return this.#makeImageEngine(config, settings);
  }

  /**
   * Load the task's denoiser (shapes: the page's models/<task>/; hub-images: a diffusers UNet from the Hub through
   * the Cache API, with its learned reward) and a recorder for it, and build a diffusion engine at cycle 0.
   */
  async #makeImageEngine(config: RunConfig, settings: MachineSettings): Promise<DiffusionRaftEngine> {
    send({ type: 'status', message: `loading task "${taskLabel(config)}" and its denoiser` });
    let engine: DiffusionRaftEngine;
    let baseId: string;
    if (config.task === 'hub-images') {
      const endpoint = endpointOf(settings);
      const hub = await prepareHubImageRun(
        config,
        () => loadDiffusersFromUrl(config, settings.hfEndpoint, deviceLimits(settings), { onProgress: downloadSender(), onEstimate: (estimate) => send({ type: 'model-estimate', model: config.model, estimate }) }),
        () => (this.#imageRewards ??= browserImageRewardModels(this.pageUrl, endpoint)),
        progressSender(),
        (adapter) => loadPeftAdapterFromUrl(adapter, settings.hfEndpoint, downloadSender()),
      );
      send({ type: 'loaded', task: config.task, params: hub.base.pipeline.unet.numParams(), backend: tf.getBackend(), meta: { model: hub.base.linkModel, architecture: 'unet2d', ...(hub.base.revision ? { revision: hub.base.revision } : {}) } });
      this.#unet = hub.base.pipeline.unet;
      this.#hub = { pipeline: hub.base.pipeline, base: config.model.split('@')[0]!, revision: hub.base.revision };
      ({ engine, baseId } = hub);
      // a Hub model's run is recorded with the commit it resolved to
      if (hub.base.linkModel !== config.model) {
        this.#pin = { asGiven: config.model, pinned: hub.base.linkModel };
        send({ type: 'pinned', asGiven: config.model, pinned: hub.base.linkModel });
      }
    } else {
      const shapes = await prepareImageRun(config, (task) => loadEmbeddedDenoiserFromUrl(task, this.pageUrl), progressSender(), () => loadSceneClipFromUrl(this.pageUrl));
      send({ type: 'loaded', task: config.task, params: shapes.base.model.numParams(), backend: tf.getBackend(), meta: shapes.base.manifest.meta });
      this.#unet = shapes.base.model;
      ({ engine, baseId } = shapes);
    }
    this.#imageEngine = engine;
    this.#engineKey = keyOf(engine.config);
    const s = runStore();
    this.#recorder = s ? new RunRecorder(s, baseId) : null;
    return engine;
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
