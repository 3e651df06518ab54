/**
 * The UI side of the trainer worker: starts workers/trainer/trainer.worker.ts as an ES-module worker and wraps it
 * with comlink. Only types are imported from the worker module, so TF.js never loads on the UI thread.
 */
import * as Comlink from 'comlink';
import type { RunConfig } from '../core/config/schema';
import type { BackendName, EventSink, InitResult, MachineSettings, ResumeInfo, RunOutcome, TrainerApi, TrainerEvent } from '../../workers/trainer/trainer.worker';
import type { Measurement } from '../browser/backend-figures';

export type { BackendName, InitResult, MachineSettings, ResumeInfo, RunOutcome, TrainerEvent };

export { BACKENDS as BACKEND_NAMES } from '../browser/backend-figures';

export interface TrainerClient {
  /** Start a backend: `preferred`, or automatic (measured on `task`'s model unless `remembered` fits this device). */
  init(preferred: BackendName | undefined, task: string, remembered?: Measurement | null): Promise<InitResult>;
  /** Time a training step of `task`'s model on each backend (software WebGPU only with `includeSoftware`). */
  measure(task: string, includeSoftware: boolean): Promise<Measurement>;
  subscribe(onEvent: EventSink): Promise<void>;
  /** Resolves when the command has ended (how: RunOutcome); rejects with the run's error. */
  run(config: RunConfig, mode: 'run' | 'step', settings?: MachineSettings): Promise<RunOutcome>;
  pause(): Promise<void>;
  reset(): Promise<void>;
  /** Restore a saved run's newest valid checkpoint; run() then continues it. */
  resume(runId: string, settings?: MachineSettings): Promise<ResumeInfo>;
  /** Mark a saved run as left by the user (resumable later, unless finished). */
  markRun(runId: string): Promise<void>;
  /** The run's trained model as a zip: its PEFT adapter, or the whole model merged. */
  exportModel(kind: 'adapter' | 'merged'): Promise<{ name: string; zip: Uint8Array }>;
  /** Score a text or token ids with a Hub model in the worker. */
  score(model: string, input: { text?: string; ids?: number[] }, settings?: MachineSettings): Promise<ScoreOutput>;
  /** Check a task document's reward and score one sample with it. */
  tryReward(taskDoc: string, sample: { prompt: string; completion: string; row?: Record<string, unknown> }, settings?: MachineSettings): Promise<RewardOutput>;
  terminate(): void;
}

export interface RewardOutput {
  reward: number;
  breakdown?: Record<string, string | number | boolean | null>;
  error?: string;
}

export interface ScoreOutput {
  ids: number[];
  logprobs: number[];
  nll: number;
  perplexity: number;
  architecture: string;
  pinned: string;
}

/** `onCrash` is called when the worker dies of an uncaught error (its run is lost; the store keeps its cycles). */
export function createTrainer(onCrash?: (message: string) => void): TrainerClient {
  const worker = new Worker(new URL('../../workers/trainer/trainer.worker.ts', import.meta.url), { type: 'module', name: 'raftlab-trainer' });
  worker.addEventListener('error', (e) => onCrash?.(e.message || 'the trainer worker stopped'));
  const api = Comlink.wrap<TrainerApi>(worker);
  return {
    init: (preferred, task, remembered) => api.init({ page: document.baseURI, task, ...(preferred ? { preferred } : {}), remembered: remembered ?? null }),
    measure: (task, includeSoftware) => api.measure({ page: document.baseURI, task, includeSoftware }),
    subscribe: (onEvent) => api.subscribe(Comlink.proxy(onEvent)),
    // the config is copied to a plain object: reactive proxies cannot be structured-cloned
    run: (config, mode, settings) => api.run({ ...config }, mode, { ...settings }),
    pause: () => api.pause(),
    reset: async () => void (await api.reset()),
    resume: (runId, settings) => api.resume(runId, { ...settings }),
    markRun: (runId) => api.markRun(runId),
    exportModel: (kind) => api.exportModel(kind),
    score: (model, input, settings) => api.score(model, { ...input, ...(input.ids ? { ids: [...input.ids] } : {}) }, { ...settings }),
    tryReward: (taskDoc, sample, settings) => api.tryReward(taskDoc, { ...sample, ...(sample.row ? { row: { ...sample.row } } : {}) }, { ...settings }),
    terminate: () => {
      api[Comlink.releaseProxy]();
      worker.terminate();
    },
  };
}

/** `?backend=wasm` in the page's query string forces a backend (handy for comparisons and headless checks). */
export function preferredBackendFromQuery(search: string): BackendName | undefined {
  const b = new URLSearchParams(search).get('backend');
  return b === 'webgpu' || b === 'webgl' || b === 'wasm' || b === 'cpu' ? b : undefined;
}
