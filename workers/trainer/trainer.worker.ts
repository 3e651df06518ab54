/**
 * The trainer worker: the only place in the page that imports TF.js. Exposed with comlink:
 * - init(preferred?, pageUrl?) picks a backend (the preferred one, else WebGPU when an adapter exists, then WebGL,
 *   WASM, CPU) and says why earlier ones were skipped; it resets any run (its tensors live on the old backend)
 * - subscribe(onEvent) sets the comlink-proxied callback that receives progress, stats and samples
 * - run(config, 'run' | 'step') runs cycles until cycle `config.cycles` ('run') or exactly one cycle ('step').
 *   The engine (model, optimizer, RNG streams) is kept between commands, so Run after Pause or Step continues.
 * - pause() ends a run after the current cycle; reset() disposes the engine and the model (the next run reloads
 *   the base model). Stopping inside a cycle is done by the page terminating this worker.
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
  | { type: 'error'; message: string };

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
/** The configuration the engine was built with, minus `cycles` (which may grow between commands). */
let engineKey = '';

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

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
  engineKey = '';
}

/** Build the engine for `config` unless one for the same settings exists (then the run continues). */
async function ensureEngine(config: RunConfig): Promise<RaftEngine> {
  const key = keyOf(config);
  if (engine && engineKey === key) return engine;
  if (engine) throw new Error('the settings changed since this run started: press Reset to start a new run with them');
  send({ type: 'status', message: `loading task "${config.task}" and its base model` });
  const task = createTask(config.task);
  const loaded = await loadEmbeddedModelFromUrl(config.task, pageUrl);
  model = loaded.model;
  send({ type: 'loaded', task: task.name, params: loaded.model.numParams(), backend: tf.getBackend(), meta: loaded.manifest.meta });
  let last = { key: '', at: 0 };
  engine = new RaftEngine({
    model: loaded.model,
    tokenizer: loaded.tokenizer,
    task,
    config,
    onProgress: (p) => {
      const now = performance.now();
      const k = `${p.cycle}/${p.phase}`;
      // always send the start and end of a (sub-)phase: evaluation restarts at 0/1 for the perplexity pass
      if (k === last.key && p.done > 0 && p.done < p.total && now - last.at < PROGRESS_INTERVAL_MS) return;
      last = { key: k, at: now };
      send({ type: 'progress', ...p });
    },
  });
  engineKey = key;
  return engine;
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
      const eng = await ensureEngine(config);
      const last = mode === 'step' ? eng.cycle : config.cycles;
      const stoppedBefore = eng.stopped;
      const t0 = performance.now();
      let reason: RunOutcome['reason'] = mode === 'step' ? 'stepped' : 'finished';
      while (eng.cycle <= last) {
        const { stats, samples, evalSamples } = await eng.runCycle();
        send({ type: 'cycle', stats, samples, evalSamples });
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
      const seconds = Math.round((performance.now() - t0) / 100) / 10;
      return { reason, nextCycle: eng.cycle, seconds, tensors: tf.memory().numTensors };
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
  reset(): { tensors: number } {
    if (busy) throw new Error('cannot reset while a cycle is running (the page restarts the worker instead)');
    disposeRun();
    return { tensors: tf.memory().numTensors };
  },

  /** The backend in use (null before init). */
  backend(): BackendName | null {
    return backend;
  },
};

export type TrainerApi = typeof api;

Comlink.expose(api);
