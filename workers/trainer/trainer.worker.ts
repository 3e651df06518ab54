/**
 * The trainer worker: the only place in the page that imports TF.js. Exposed with comlink:
 * - init(preferred?, pageUrl?) picks a backend (the preferred one, else WebGPU when an adapter exists, then WebGL,
 *   WASM, CPU) and says why earlier ones were skipped; it resets any run (its tensors live on the old backend)
 * - subscribe(onEvent) sets the comlink-proxied callback that receives progress, stats and samples
 * - run(config, 'run' | 'step') runs cycles until cycle `config.cycles` ('run') or exactly one cycle ('step').
 *   The engine (model, optimizer, RNG streams) is kept between commands, so Run after Pause or Step continues.
 * - pause() ends a run after the current cycle; reset() disposes the engine and the model (the next run reloads
 *   the base model). Stopping inside a cycle is done by the page terminating this worker.
 * - every finished cycle is saved in IndexedDB (RunRecorder: stats, kept and eval samples, a checkpoint) before
 *   it is sent to the page; storage problems (quota) are sent as 'storage' events and the run goes on.
 *   resume(runId) rebuilds the engine of a saved run from its newest valid checkpoint; markRun(runId) marks a run
 *   the user left (Reset) as paused. While a run is in memory its Web Lock is held (src/app/run-lock.ts), so that
 *   a second tab neither offers nor resumes it. A lost WebGPU device is sent as 'device-lost'.
 * - tasks that run code (taskNeedsVerifier) get the browser verifiers (src/browser/verify/task-context.ts: Pyodide,
 *   clang and the WASI runner in nested workers, loaded at the first code sample and kept across runs); their load
 *   progress is sent as 'verifier' events.
 * - image tasks (isImageTask: `shapes`) run the diffusion RAFT engine (src/core/diffusion/engine.ts) on the denoiser
 *   fetched from models/<task>/ (src/browser/diffusion-files.ts), with the same commands and progress events; each
 *   cycle is sent as an 'image-cycle' event whose samples carry their 16x16 images as RGBA bytes
 *   (src/app/image-samples.ts). Image runs are recorded in IndexedDB like language runs (stats, kept samples and
 *   eval images with their RGBA thumbnails, a checkpoint of the LoRA adapters, Adam and RNG state) and resume alike.
 */
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { loadEmbeddedModelFromUrl } from '../../src/browser/model-files';
import { checkConfig, type RunConfig } from '../../src/core/config/schema';
import { RaftEngine, type Phase, type SampleRecord } from '../../src/core/raft/engine';
import type { CycleStats } from '../../src/core/raft/stats';
import { createTask } from '../../src/core/tasks/registry';
import type { Gpt } from '../../src/core/lm/gpt';
import { RunStore, StoreError } from '../../src/core/store/run-store';
import { baseModelId } from '../../src/core/store/base-model';
import { RunRecorder, type CheckpointedEngine, type RecordedCycle } from '../../src/core/store/run-recorder';
import type { CycleRecord as StoredCycle } from '../../src/core/store/run-store';
import { runLockName } from '../../src/app/run-lock';
import { onVerifierProgress, taskContextFor } from '../../src/browser/verify/task-context';
import type { VerifierLoadProgress } from '../../src/browser/verify/index';
import { isImageTask } from '../../src/core/tasks/registry';
import { DiffusionRaftEngine } from '../../src/core/diffusion/engine';
import type { ImageCycleStats } from '../../src/core/diffusion/stats';
import type { UNet } from '../../src/core/diffusion/unet';
import { loadEmbeddedUNetFromUrl } from '../../src/browser/diffusion-files';
import { toImageRecord, type ImageSampleRecord } from '../../src/app/image-samples';

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
export const BACKENDS: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

export interface InitResult {
  backend: BackendName;
  /** The backend asked for (undefined = automatic choice). */
  requested?: BackendName;
  /** Why a backend earlier in the order (or the requested one) was not used. */
  fellBackBecause?: string;
}

/** Progress events are sent at most this often (plus at every phase change and at the start and end of a phase). */
const PROGRESS_INTERVAL_MS = 100;

export type TrainerEvent =
  | { type: 'status'; message: string }
  | { type: 'loaded'; task: string; params: number; backend: string; meta: Record<string, string | number | boolean> }
  | { type: 'progress'; cycle: number; phase: Phase; done: number; total: number }
  | { type: 'cycle'; stats: CycleStats; samples: SampleRecord[]; evalSamples: SampleRecord[] }
  /** A cycle of an image task: the same fields, images as RGBA bytes (saved in IndexedDB as they are, with a checkpoint). */
  | { type: 'image-cycle'; stats: ImageCycleStats; samples: ImageSampleRecord[]; evalSamples: ImageSampleRecord[] }
  | { type: 'error'; message: string }
  /** The run being recorded in IndexedDB (sent when a run starts or resumes). */
  | { type: 'saved-run'; runId: string; name: string }
  /** Saving a cycle failed or was partial (quota): the run goes on. */
  | { type: 'storage'; message: string }
  /** The WebGPU device was lost: the engine's tensors are gone, the run can resume from its last saved cycle. */
  | { type: 'device-lost'; message: string }
  /** Load progress of the verifiers of a code task (Pyodide, clang): bytes, then a stage, then ready or failed. */
  | { type: 'verifier'; progress: VerifierLoadProgress };

/** What resume() hands the page: the run's config, its saved cycles and notes about the checkpoint used. */
export interface ResumeInfo {
  runId: string;
  name: string;
  config: RunConfig;
  cycles: StoredCycle[];
  notes: string[];
  nextCycle: number;
}

export type EventSink = (event: TrainerEvent) => void | Promise<void>;

/** How a run or step command ended. `nextCycle` is the cycle the next command would run. */
export interface RunOutcome {
  reason: 'finished' | 'paused' | 'stepped' | 'early-stop';
  nextCycle: number;
  seconds: number;
  tensors: number;
}

let backend: BackendName | null = null;
let pageUrl: string = self.location.href;
let busy = false;
let pauseRequested = false;
let sink: EventSink = () => undefined;
let engine: RaftEngine | null = null;
let model: Gpt | null = null;
/** Image tasks (`shapes`): the diffusion engine and its U-Net, kept between commands like the language engine. */
let imageEngine: DiffusionRaftEngine | null = null;
let unet: UNet | null = null;
/** The configuration the engine was built with, minus `cycles` (which may grow between commands). */
let engineKey = '';
/** Runs are recorded in IndexedDB (the `raftlab` database; the page reads the same database for its lists). */
let store: RunStore | null = null;
let recorder: RunRecorder | null = null;
/** The stored run the engine belongs to (null = not recorded yet, or storage unavailable). */
let runId: string | null = null;

function runStore(): RunStore | null {
  if (store) return store;
  try {
    store = new RunStore();
  } catch (e) {
    send({ type: 'storage', message: `Runs cannot be saved in this browser (IndexedDB: ${message(e)}).` });
  }
  return store;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

onVerifierProgress((progress) => send({ type: 'verifier', progress }));

function send(e: TrainerEvent): void {
  void Promise.resolve(sink(e)).catch(() => undefined);
}

/** Yield to the event loop so that pause() messages are handled between cycles. */
function tick(): Promise<void> {
  return new Promise((r) => setTimeout(r, 0));
}

function keyOf(config: RunConfig): string {
  return JSON.stringify({ ...config, cycles: 0 });
}

async function tryBackend(name: BackendName): Promise<string | null> {
  if (name === 'webgpu') {
    const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
    if (!gpu) return 'WebGPU is not available in this browser (navigator.gpu is missing)';
    let adapter: unknown;
    try {
      adapter = await gpu.requestAdapter();
    } catch (e) {
      return `WebGPU requestAdapter() failed: ${message(e)}`;
    }
    if (!adapter) return 'WebGPU gave no adapter (no usable GPU, or WebGPU is disabled)';
  }
  if (name === 'wasm') {
    setWasmPaths({
      'tfjs-backend-wasm.wasm': new URL(wasmUrl, self.location.href).href,
      'tfjs-backend-wasm-simd.wasm': new URL(wasmSimdUrl, self.location.href).href,
      'tfjs-backend-wasm-threaded-simd.wasm': new URL(wasmThreadedSimdUrl, self.location.href).href,
    });
  }
  try {
    const ok = await tf.setBackend(name);
    if (!ok) return `the ${name} backend failed to initialise`;
    await tf.ready();
    return tf.getBackend() === name ? null : `TF.js switched to ${tf.getBackend()} instead of ${name}`;
  } catch (e) {
    return `the ${name} backend failed: ${message(e)}`;
  }
}

function disposeRun(): void {
  engine?.dispose();
  engine = null;
  model?.dispose();
  model = null;
  imageEngine?.dispose();
  imageEngine = null;
  unet?.dispose();
  unet = null;
  engineKey = '';
  runId = null;
  releaseRunLock?.();
  releaseRunLock = null;
}

interface LockManagerLike {
  request(name: string, options: { signal?: AbortSignal }, f: (lock: unknown) => Promise<void>): Promise<void>;
}
const locks = (navigator as unknown as { locks?: LockManagerLike }).locks;
let releaseRunLock: (() => void) | null = null;

/**
 * Take the run's Web Lock for as long as its engine is in this worker (released by disposeRun, or by the browser
 * when this worker ends). Waits up to `waitMs` (a worker the page just terminated may still hold it), then
 * refuses: another trainer (another tab) has the run.
 */
async function takeRunLock(id: string, waitMs = 5000): Promise<void> {
  releaseRunLock?.();
  releaseRunLock = null;
  if (!locks) return;
  let granted!: (ok: boolean) => void;
  const got = new Promise<boolean>((r) => (granted = r));
  void locks
    .request(runLockName(id), { signal: AbortSignal.timeout(waitMs) }, () => {
      granted(true);
      return new Promise<void>((release) => (releaseRunLock = release));
    })
    .catch((e: unknown) => granted((e as { name?: string } | null)?.name !== 'AbortError' && (e as { name?: string } | null)?.name !== 'TimeoutError'));
  if (!(await got)) throw new Error('this run is being trained in another tab or window of the lab');
}

/** Load a task's base model, and a recorder for it. */
async function loadBase(taskName: RunConfig['task']) {
  send({ type: 'status', message: `loading task "${taskName}" and its base model` });
  const task = createTask(taskName, taskContextFor(taskName, pageUrl));
  const loaded = await loadEmbeddedModelFromUrl(taskName, pageUrl);
  const params = loaded.model.numParams();
  send({ type: 'loaded', task: task.name, params, backend: tf.getBackend(), meta: loaded.manifest.meta });
  const s = runStore();
  recorder = s ? new RunRecorder(s, baseModelId(task.name, 'gpt', params, loaded.fingerprint)) : null;
  return { task, loaded };
}

/** Build the engine for `config` unless one for the same settings exists (then the run continues). */
async function ensureEngine(config: RunConfig): Promise<RaftEngine> {
  const key = keyOf(config);
  if (engine && engineKey === key) return engine;
  if (engine || imageEngine) throw new Error('the settings changed since this run started: press Reset to start a new run with them');
  const { task, loaded } = await loadBase(config.task);
  return makeEngine(config, task, loaded);
}

function makeEngine(config: RunConfig, task: ReturnType<typeof createTask>, loaded: Awaited<ReturnType<typeof loadEmbeddedModelFromUrl>>): RaftEngine {
  model = loaded.model;
  engine = new RaftEngine({
    model: loaded.model,
    tokenizer: loaded.tokenizer,
    task,
    config,
    onProgress: progressSender(),
  });
  engineKey = keyOf(config);
  return engine;
}

/**
 * Record a finished cycle (language or image: RunRecorder.record); storage problems are told to the page and the run
 * goes on.
 */
async function recordCycle(eng: CheckpointedEngine, result: RecordedCycle): Promise<void> {
  if (!recorder || !runId) return;
  try {
    const saved = await recorder.record(runId, eng, result);
    if (saved.warning) send({ type: 'storage', message: saved.warning });
  } catch (e) {
    const text = e instanceof StoreError && e.kind === 'quota' ? e.message : `Cycle ${result.stats.cycle} could not be saved: ${message(e)}`;
    send({ type: 'storage', message: `${text} The run goes on without saving.` });
  }
}

/** Watch the WebGPU device: when it is lost the run cannot go on in this worker. */
function watchDevice(): void {
  const dev = (tf.backend() as unknown as { device?: { lost?: Promise<{ message?: string; reason?: string }> } }).device;
  void dev?.lost?.then((info) => {
    if (tf.getBackend() !== 'webgpu') return;
    send({ type: 'device-lost', message: `The GPU device was lost (${info?.reason ?? 'unknown'}${info?.message ? `: ${info.message}` : ''}).` });
  });
}

/**
 * Progress events, at most every PROGRESS_INTERVAL_MS within a (sub-)phase, always at its start and end (evaluation
 * restarts at 0/1 for the perplexity pass).
 */
function progressSender(): (p: { cycle: number; phase: Phase; done: number; total: number }) => void {
  let last = { key: '', at: 0 };
  return (p) => {
    const now = performance.now();
    const k = `${p.cycle}/${p.phase}`;
    if (k === last.key && p.done > 0 && p.done < p.total && now - last.at < PROGRESS_INTERVAL_MS) return;
    last = { key: k, at: now };
    send({ type: 'progress', ...p });
  };
}

/** The diffusion engine for `config` (built on the task's denoiser, loaded from the page's models/<task>/). */
async function ensureImageEngine(config: RunConfig): Promise<DiffusionRaftEngine> {
  const key = keyOf(config);
  if (imageEngine && engineKey === key) return imageEngine;
  if (imageEngine || engine) throw new Error('the settings changed since this run started: press Reset to start a new run with them');
  return makeImageEngine(config);
}

/** Load the task's denoiser and a recorder for it, and build a diffusion engine at cycle 0. */
async function makeImageEngine(config: RunConfig): Promise<DiffusionRaftEngine> {
  const key = keyOf(config);
  send({ type: 'status', message: `loading task "${config.task}" and its denoiser` });
  const loaded = await loadEmbeddedUNetFromUrl(config.task, pageUrl);
  unet = loaded.model;
  send({ type: 'loaded', task: config.task, params: unet.numParams(), backend: tf.getBackend(), meta: loaded.manifest.meta });
  imageEngine = new DiffusionRaftEngine({ model: unet, config, onProgress: progressSender() });
  engineKey = key;
  const s = runStore();
  recorder = s ? new RunRecorder(s, baseModelId(config.task, 'denoiser', unet.numParams(), loaded.fingerprint)) : null;
  return imageEngine;
}

/** Create the stored run of a new engine (cycle 0), take its lock and tell the page; the run goes on unsaved on failure. */
async function startRecording(config: RunConfig, cycle: number): Promise<void> {
  if (runId || !recorder || cycle !== 0) return;
  try {
    const rec = await recorder.start(config);
    await takeRunLock(rec.id);
    runId = rec.id;
    send({ type: 'saved-run', runId: rec.id, name: rec.name });
  } catch (e) {
    send({ type: 'storage', message: `This run cannot be saved (${message(e)}); it runs without saving.` });
  }
}

/**
 * The run loop shared by language and image tasks: from the engine's next cycle to `config.cycles` ('run') or for
 * one cycle ('step'), `runOne` running, recording and sending a cycle; stops at a pause request or an early stop.
 */
async function runLoop(
  eng: { readonly cycle: number; readonly stopped: boolean },
  config: RunConfig,
  mode: 'run' | 'step',
  runOne: () => Promise<void>,
): Promise<RunOutcome> {
  await startRecording(config, eng.cycle);
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
    if (pauseRequested && eng.cycle <= last) {
      reason = 'paused';
      break;
    }
  }
  if (reason === 'stepped' && eng.cycle > config.cycles) reason = 'finished';
  if (runId && store) await store.setStatus(runId, reason === 'finished' || reason === 'early-stop' ? 'done' : 'paused').catch(() => undefined);
  const seconds = Math.round((performance.now() - t0) / 100) / 10;
  return { reason, nextCycle: eng.cycle, seconds, tensors: tf.memory().numTensors };
}

/** run() for image tasks: cycles recorded and sent as 'image-cycle' events. */
async function runImage(config: RunConfig, mode: 'run' | 'step'): Promise<RunOutcome> {
  const eng = await ensureImageEngine(config);
  return runLoop(eng, config, mode, async () => {
    const { stats, samples, evalSamples } = await eng.runCycle();
    const cycle = { stats, samples: samples.map(toImageRecord), evalSamples: evalSamples.map(toImageRecord) };
    await recordCycle(eng, cycle);
    send({ type: 'image-cycle', ...cycle });
  });
}

const api = {
  /**
   * Pick the TF.js backend: `preferred` first (when given), then WebGPU, WebGL, WASM, CPU in that order.
   * `page` is the page's base URL (document.baseURI), against which models/<task>/ is fetched.
   * A run in memory is reset: its tensors belong to the previous backend.
   */
  async init(preferred?: BackendName, page?: string): Promise<InitResult> {
    if (page) pageUrl = page;
    if (busy) throw new Error('cannot change the backend while a run is in progress');
    disposeRun();
    const requested = preferred && BACKENDS.includes(preferred) ? preferred : undefined;
    const order = requested ? [requested, ...BACKENDS.filter((b) => b !== requested)] : [...BACKENDS];
    const reasons: string[] = [];
    for (const name of order) {
      const reason = await tryBackend(name);
      if (reason === null) {
        backend = name;
        if (name === 'webgpu') watchDevice();
        const r: InitResult = { backend: name };
        if (requested) r.requested = requested;
        if (reasons.length) r.fellBackBecause = reasons.join('; ');
        return r;
      }
      reasons.push(reason);
    }
    throw new Error(`no TF.js backend could be started: ${reasons.join('; ')}`);
  },

  subscribe(onEvent: EventSink): void {
    sink = onEvent;
  },

  /** 'run': cycles until `config.cycles` (or a pause); 'step': exactly one cycle. Errors are thrown and also sent. */
  async run(config: RunConfig, mode: 'run' | 'step'): Promise<RunOutcome> {
    if (busy) throw new Error('a run is already in progress');
    busy = true;
    pauseRequested = false;
    try {
      const problems = checkConfig(config);
      if (problems.length) throw new Error(problems.map((p) => p.message).join('; '));
      if (!backend) await api.init();
      if (isImageTask(config.task)) return await runImage(config, mode);
      const eng = await ensureEngine(config);
      return await runLoop(eng, config, mode, async () => {
        const result = await eng.runCycle();
        await recordCycle(eng, result);
        send({ type: 'cycle', stats: result.stats, samples: result.samples, evalSamples: result.evalSamples });
      });
    } catch (e) {
      send({ type: 'error', message: message(e) });
      throw e;
    } finally {
      busy = false;
    }
  },

  /** End the current run command after the cycle in progress. */
  pause(): void {
    pauseRequested = true;
  },

  /** Dispose the engine and the model: the next run starts again from the base model at cycle 0. */
  async reset(): Promise<{ tensors: number }> {
    if (busy) throw new Error('cannot reset while a cycle is running (the page restarts the worker instead)');
    if (runId && store) await api.markRun(runId);
    disposeRun();
    return { tensors: tf.memory().numTensors };
  },

  /** A run left by the user (Reset) stays resumable from the Saved runs panel, unless it had finished. */
  async markRun(id: string): Promise<void> {
    const s = runStore();
    const run = await s?.getRun(id);
    if (s && run && run.status !== 'done') await s.setStatus(id, 'paused');
  },

  /**
   * Resume a saved run: load its base model, restore its newest valid checkpoint (damaged ones are skipped and
   * named in `notes`), and keep the engine so that run() continues with the remaining cycles.
   */
  async resume(id: string): Promise<ResumeInfo> {
    if (busy) throw new Error('a run is in progress');
    if (!backend) await api.init(); // before `busy`: init refuses to run while busy
    busy = true;
    try {
      disposeRun();
      const s = runStore();
      const saved = await s?.getRun(id);
      if (!s || !saved) throw new Error('this saved run no longer exists');
      await takeRunLock(id);
      if (isImageTask(saved.config.task)) {
        // the denoiser first: its recorder names the base model (weights fingerprint) the checkpoint must match
        const fresh = await makeImageEngine(saved.config);
        const r = await recorder!.resume(id, async () => fresh);
        runId = id;
        send({ type: 'saved-run', runId: id, name: r.run.name });
        return { runId: id, name: r.run.name, config: r.run.config, cycles: r.cycles, notes: r.notes, nextCycle: r.engine.cycle };
      }
      const { task, loaded } = await loadBase(saved.config.task);
      const r = await recorder!.resume(id, async (config) => makeEngine(config, task, loaded));
      runId = id;
      send({ type: 'saved-run', runId: id, name: r.run.name });
      return { runId: id, name: r.run.name, config: r.run.config, cycles: r.cycles, notes: r.notes, nextCycle: r.engine.cycle };
    } catch (e) {
      disposeRun();
      throw e;
    } finally {
      busy = false;
    }
  },

  /** The backend in use (null before init). */
  backend(): BackendName | null {
    return backend;
  },
};

export type TrainerApi = typeof api;

Comlink.expose(api);
