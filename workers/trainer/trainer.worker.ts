/**
 * The trainer worker: the only place in the page that imports TF.js. Exposed with comlink:
 * - init({preferred, page, task, remembered}) starts a backend: the preferred one, or automatically the fastest of
 *   those that start, measured on the task's model (backend.ts); any run in memory is reset (its tensors live on the
 *   old backend). A lost WebGPU device is sent as 'device-lost'.
 * - measure({page, task, includeSoftware}) times a training step on each backend (backend.ts); the page calls it in
 *   a worker of its own, never in the one that holds a run
 * - subscribe(onEvent) sets the comlink-proxied callback that receives progress, stats and samples (events.ts)
 * - run(config, 'run' | 'step', settings), pause(), reset(), resume(runId, settings), markRun(runId): the run in
 *   memory (run-session.ts); settings are this machine's (the Hub endpoint, a memory budget), never the run's;
 *   every finished cycle saved in IndexedDB before it is sent. Stopping inside a cycle is done by the page
 *   terminating this worker.
 */
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs';
import type { RunConfig } from '../../src/core/config/schema';
import { onClassifierProgress, onVerifierProgress } from '../../src/browser/verify/task-context';
import { initBackend, measureBackends, type BackendName, type InitOptions, type InitResult, type MeasureOptions } from './backend';
import { message, send, subscribe, type EventSink } from './events';
import { scoreWithHubModel, tryReward } from './probes';
import { RunSession, type MachineSettings, type ResumeInfo, type RunOutcome } from './run-session';

export type { BackendName, InitOptions, InitResult, MeasureOptions } from './backend';
export type { EventSink, TrainerEvent } from './events';
export type { MachineSettings, ResumeInfo, RunOutcome } from './run-session';

let backend: BackendName | null = null;
let busy = false;
let session = new RunSession(self.location.href);

onVerifierProgress((progress) => send({ type: 'verifier', progress }));
// a learned reward's model downloads like a Hub model: the page shows its progress
onClassifierProgress((p) => send({ type: 'download', file: `${p.model}/${p.file}`, loaded: p.loaded, total: p.total || null, fromCache: false }));

/** Watch the WebGPU device: when it is lost the run cannot go on in this worker. */
function watchDevice(): void {
  const dev = (tf.backend() as unknown as { device?: { lost?: Promise<{ message?: string; reason?: string }> } }).device;
  void dev?.lost?.then((info) => {
    if (tf.getBackend() !== 'webgpu') return;
    send({ type: 'device-lost', message: `The GPU device was lost (${info?.reason ?? 'unknown'}${info?.message ? `: ${info.message}` : ''}).` });
  });
}

/** Commands that must not overlap: one at a time, others are refused. */
async function exclusive<T>(what: string, f: () => Promise<T>): Promise<T> {
  if (busy) throw new Error(`${what}: a run is in progress`);
  busy = true;
  try {
    return await f();
  } finally {
    busy = false;
  }
}

const api = {
  async init(opts: InitOptions): Promise<InitResult> {
    if (busy) throw new Error('cannot change the backend while a run is in progress');
    session.dispose();
    session = new RunSession(opts.page);
    const r = await initBackend(opts);
    backend = r.backend;
    if (r.backend === 'webgpu') watchDevice();
    return r;
  },

  /** Time a step on every backend (switches this worker's backend: call it in a worker that holds no run). */
  measure(opts: MeasureOptions) {
    if (busy || session.runId) throw new Error('cannot measure in a worker that holds a run');
    return measureBackends(opts);
  },

  subscribe(onEvent: EventSink): void {
    subscribe(onEvent);
  },

  /** 'run': cycles until `config.cycles` (or a pause); 'step': exactly one cycle. Errors are thrown and also sent. */
  async run(config: RunConfig, mode: 'run' | 'step', settings: MachineSettings = {}): Promise<RunOutcome> {
    if (!backend) throw new Error('no backend has been started (init first)');
    return exclusive('run', async () => {
      try {
        return await session.run(config, mode, settings);
      } catch (e) {
        send({ type: 'error', message: message(e) });
        throw e;
      }
    });
  },

  /** End the current run command after the cycle in progress. */
  pause(): void {
    session.pause();
  },

  /** Dispose the engine and the model: the next run starts again from the base model at cycle 0. */
  async reset(): Promise<{ tensors: number }> {
    if (busy) throw new Error('cannot reset while a cycle is running (the page restarts the worker instead)');
    if (session.runId) await session.markRun(session.runId);
    session.dispose();
    return { tensors: tf.memory().numTensors };
  },

  /** A run left by the user (Reset) stays resumable from the Saved runs panel, unless it had finished. */
  markRun(id: string): Promise<void> {
    return session.markRun(id);
  },

  /** Resume a saved run from its newest valid checkpoint; run() then continues it. */
  resume(id: string, settings: MachineSettings = {}): Promise<ResumeInfo> {
    if (!backend) throw new Error('no backend has been started (init first)');
    return exclusive('resume', () => session.resume(id, settings));
  },

  /** Score a text or token ids with a Hub model (the conformance probe): log-probs, nll and perplexity. */
  score(model: string, input: { text?: string; ids?: number[] }, settings: MachineSettings = {}) {
    if (!backend) throw new Error('no backend has been started (init first)');
    return exclusive('score', () => scoreWithHubModel(session.pageUrl, model, input, settings));
  },

  /** The trained model of the run in memory as a zip (PEFT adapter, or the merged model in the Hub's layout). */
  async exportModel(kind: 'adapter' | 'merged'): Promise<{ name: string; zip: Uint8Array }> {
    const out = await exclusive('download', () => session.exportModel(kind));
    return Comlink.transfer(out, [out.zip.buffer as ArrayBuffer]);
  },

  /** Check a task's reward and score one sample with it (the task editor's "Try the reward"). */
  tryReward(taskDoc: string, sample: { prompt: string; completion: string; row?: Record<string, unknown> }, settings: MachineSettings = {}) {
    return tryReward(session.pageUrl, taskDoc, sample, settings);
  },

  /** The backend in use (null before init). */
  backend(): BackendName | null {
    return backend;
  },
};

export type TrainerApi = typeof api;

Comlink.expose(api);
