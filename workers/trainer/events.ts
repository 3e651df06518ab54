/**
 * What the trainer worker tells the page: the event types, the one sink they go to (a comlink-proxied callback the
 * page subscribes), and the throttle of progress events.
 */
import type { Phase, SampleRecord } from '../../src/core/raft/types';
import type { CycleStats } from '../../src/core/raft/stats';
import type { ImageCycleStats } from '../../src/core/diffusion/stats';
import type { ImageSampleRecord } from '../../src/browser/image-samples';
import type { VerifierLoadProgress } from '../../src/browser/verify/index';
import type { MemoryEstimate } from '../../src/core/hub/memory';

export type TrainerEvent =
  | { type: 'status'; message: string }
  | { type: 'loaded'; task: string; params: number; backend: string; meta: Record<string, string | number | boolean> }
  | { type: 'progress'; cycle: number; phase: Phase; done: number; total: number }
  | { type: 'cycle'; stats: CycleStats; samples: SampleRecord[]; evalSamples: SampleRecord[]; tokenViews?: TokenView[] }
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
  | { type: 'verifier'; progress: VerifierLoadProgress }
  /** A Hub model's file: bytes so far (from the cache at once). */
  | { type: 'download'; file: string; loaded: number; total: number | null; fromCache: boolean }
  /** What a run on a Hub model needs in memory, known from its config.json before the weights are fetched. */
  | { type: 'model-estimate'; model: string; estimate: MemoryEstimate }
  /** The Hub resolved the model's revision to a commit: the run is recorded (and shared) with it. */
  | { type: 'pinned'; asGiven: string; pinned: string };

/** What training changed in a held-out sample, token by token (RaftEngine.tokenChanges). */
export interface TokenView {
  prompt: string;
  tokens: Array<{ id: number; text: string; now: number; base: number }>;
}

export type EventSink = (event: TrainerEvent) => void | Promise<void>;

/** Progress events are sent at most this often (plus at every phase change and at the start and end of a phase). */
const PROGRESS_INTERVAL_MS = 100;

let sink: EventSink = () => undefined;

export function subscribe(onEvent: EventSink): void {
  sink = onEvent;
}

export function send(e: TrainerEvent): void {
  void Promise.resolve(sink(e)).catch(() => undefined);
}

/**
 * Progress events, at most every PROGRESS_INTERVAL_MS within a (sub-)phase, always at its start and end (evaluation
 * restarts at 0/1 for the perplexity pass).
 */
export function progressSender(): (p: { cycle: number; phase: Phase; done: number; total: number }) => void {
  let last = { key: '', at: 0 };
  return (p) => {
    const now = performance.now();
    const k = `${p.cycle}/${p.phase}`;
    if (k === last.key && p.done > 0 && p.done < p.total && now - last.at < PROGRESS_INTERVAL_MS) return;
    last = { key: k, at: now };
    send({ type: 'progress', ...p });
  };
}

export function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
