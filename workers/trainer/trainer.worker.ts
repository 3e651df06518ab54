/**
 * The trainer worker: the only place in the page that imports TF.js. Exposed with comlink:
 * - init(preferred?, pageUrl?) picks a backend (WebGPU when an adapter exists, else WebGL, WASM, CPU)
 * - start(config, onEvent) loads the task and its embedded model and runs cycles 0..config.cycles with RaftEngine,
 *   streaming progress, per-cycle stats and a few kept samples through the comlink-proxied callback
 * - stop() ends the run after the current cycle.
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

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
export const BACKENDS: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

export interface InitResult {
  backend: BackendName;
  /** Why a backend earlier in the order (or the preferred one) was not used. */
  fellBackBecause?: string;
}

/** How many kept (or, for cycle 0, evaluation) samples each cycle event carries. */
const SAMPLES_PER_EVENT = 4;
/** Progress events are sent at most this often (plus at every phase change and at the start and end of a phase). */
const PROGRESS_INTERVAL_MS = 100;

export type TrainerEvent =
  | { type: 'status'; message: string }
  | { type: 'loaded'; task: string; params: number; backend: string; meta: Record<string, string | number | boolean> }
  | { type: 'progress'; cycle: number; phase: Phase; done: number; total: number }
  | { type: 'cycle'; stats: CycleStats; samples: SampleRecord[] }
  | { type: 'done'; reason: 'finished' | 'stopped' | 'early-stop'; cycles: number; seconds: number; tensors: number }
  | { type: 'error'; message: string };

export type EventSink = (event: TrainerEvent) => void | Promise<void>;

let backend: BackendName | null = null;
let pageUrl: string = self.location.href;
let running = false;
let stopRequested = false;

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Yield to the event loop so that stop() messages are handled between cycles. */
function tick(): Promise<void> {
  return new Promise((r) => setTimeout(r, 0));
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

const api = {
  /**
   * Pick the TF.js backend: `preferred` first (when given), then WebGPU, WebGL, WASM, CPU in that order.
   * `pageUrl` is the page's base URL (document.baseURI), against which models/<task>/ is fetched.
   */
  async init(preferred?: BackendName, page?: string): Promise<InitResult> {
    if (page) pageUrl = page;
    if (running) throw new Error('cannot change the backend while a run is in progress');
    const order = preferred && BACKENDS.includes(preferred) ? [preferred, ...BACKENDS.filter((b) => b !== preferred)] : [...BACKENDS];
    const reasons: string[] = [];
    for (const name of order) {
      const reason = await tryBackend(name);
      if (reason === null) {
        backend = name;
        return reasons.length ? { backend: name, fellBackBecause: reasons.join('; ') } : { backend: name };
      }
      reasons.push(reason);
    }
    throw new Error(`no TF.js backend could be started: ${reasons.join('; ')}`);
  },

  /** Run cycles 0..config.cycles; resolves when the run has ended (events say how). Errors are thrown and also sent as an event. */
  async start(config: RunConfig, onEvent: EventSink): Promise<void> {
    if (running) throw new Error('a run is already in progress');
    running = true;
    stopRequested = false;
    const send = (e: TrainerEvent) => void Promise.resolve(onEvent(e)).catch(() => undefined);
    let engine: RaftEngine | null = null;
    let model: { dispose(): void } | null = null;
    try {
      const problems = checkConfig(config);
      if (problems.length) throw new Error(problems.map((p) => p.message).join('; '));
      if (!backend) await api.init();
      send({ type: 'status', message: `loading task "${config.task}" and its model` });
      const task = createTask(config.task);
      const loaded = await loadEmbeddedModelFromUrl(config.task, pageUrl);
      model = loaded.model;
      send({ type: 'loaded', task: task.name, params: loaded.model.numParams(), backend: tf.getBackend(), meta: loaded.manifest.meta });

      let last = { phase: '', at: 0 };
      engine = new RaftEngine({
        model: loaded.model,
        tokenizer: loaded.tokenizer,
        task,
        config,
        onProgress: (p) => {
          const now = performance.now();
          const key = `${p.cycle}/${p.phase}`;
          // always send the start and end of a (sub-)phase: evaluation restarts at 0/1 for the perplexity pass
          if (key === last.phase && p.done > 0 && p.done < p.total && now - last.at < PROGRESS_INTERVAL_MS) return;
          last = { phase: key, at: now };
          send({ type: 'progress', ...p });
        },
      });
      const t0 = performance.now();
      let reason: 'finished' | 'stopped' | 'early-stop' = 'finished';
      for (let c = 0; c <= config.cycles; c++) {
        const { stats, samples, evalSamples } = await engine.runCycle();
        const shown = c === 0 ? evalSamples : samples.filter((s) => s.kept);
        send({ type: 'cycle', stats, samples: shown.slice(0, SAMPLES_PER_EVENT) });
        if (engine.stopped) {
          reason = 'early-stop';
          break;
        }
        await tick();
        if (stopRequested && c < config.cycles) {
          reason = 'stopped';
          break;
        }
      }
      const seconds = Math.round((performance.now() - t0) / 100) / 10;
      const cycles = engine.history.length;
      engine.dispose();
      engine = null;
      model.dispose();
      model = null;
      send({ type: 'done', reason, cycles, seconds, tensors: tf.memory().numTensors });
    } catch (e) {
      send({ type: 'error', message: message(e) });
      throw e;
    } finally {
      engine?.dispose();
      model?.dispose();
      running = false;
    }
  },

  /** Stop after the current cycle. */
  stop(): void {
    stopRequested = true;
  },

  /** The backend in use (null before init). */
  backend(): BackendName | null {
    return backend;
  },
};

export type TrainerApi = typeof api;

Comlink.expose(api);
