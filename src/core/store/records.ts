/**
 * What a saved run is made of (runs, cycles, checkpoints) and what the core needs of a store of them (`RunStorage`):
 * the recorder and the run files are written against this interface, and the IndexedDB store
 * (src/browser/store/run-store.ts) implements it. No storage API here: the core stays free of browser APIs.
 */
import type { RunConfig } from '../config/schema';
import type { EngineState } from '../raft/engine-state';
import type { SampleRecord } from '../raft/types';
import type { CycleStats } from '../raft/stats';
import type { ImageCycleStats } from '../diffusion/stats';
import type { CheckpointMeta } from './checkpoint';

export type RunStatus = 'running' | 'paused' | 'done' | 'interrupted';

export interface RunRecord {
  id: string;
  name: string;
  task: string;
  config: RunConfig;
  createdAt: number;
  updatedAt: number;
  /** Finished cycles, cycle 0 included. */
  cyclesDone: number;
  bestReward: number | null;
  status: RunStatus;
  /** Bytes of the checkpoints kept. */
  checkpointBytes: number;
  /** Cycles that have a checkpoint. */
  checkpointCycles: number[];
}

export interface CycleRecord {
  runId: string;
  cycle: number;
  /** Image (diffusion) runs store ImageCycleStats (heldOutLoss in place of perplexity). */
  stats: CycleStats | ImageCycleStats;
  /** Image runs: ImageSampleRecord (src/browser/image-samples.ts), each with its RGBA picture at the run's image size (1-9 kB). */
  kept: SampleRecord[];
  evalSamples: SampleRecord[];
}

export class StoreError extends Error {
  constructor(message: string, readonly kind: 'quota' | 'missing' | 'other') {
    super(message);
  }
}

export interface LoadedCheckpoint {
  /** The cycle after which it was taken. */
  cycle: number;
  state: EngineState;
  meta: CheckpointMeta;
}

export interface SaveResult {
  checkpointSaved: boolean;
  /** Said to the user when something could not be saved. */
  warning?: string;
}

/** The store operations the core uses (RunRecorder, run files); RunStore implements them on IndexedDB. */
export interface RunStorage {
  createRun(config: RunConfig, name?: string): Promise<RunRecord>;
  saveCycle(runId: string, record: Omit<CycleRecord, 'runId'>, checkpoint?: Uint8Array): Promise<SaveResult>;
  setStatus(runId: string, status: RunStatus): Promise<void>;
  listRuns(): Promise<RunRecord[]>;
  getRun(runId: string): Promise<RunRecord | undefined>;
  getCycles(runId: string): Promise<CycleRecord[]>;
  latestCheckpoint(runId: string): Promise<{ found: LoadedCheckpoint | null; skipped: Array<{ cycle: number; error: string }> }>;
  checkpointBytes(runId: string, cycle: number): Promise<Uint8Array | undefined>;
  putWholeRun(run: RunRecord, cycles: CycleRecord[], checkpoint?: { cycle: number; bytes: Uint8Array }): Promise<void>;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
