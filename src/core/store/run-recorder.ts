/**
 * Ties a RAFT engine to the run store: a new run is created when it starts, every finished cycle is saved with a
 * checkpoint (atomically), and an interrupted run (reload, crash, lost GPU device) resumes from its newest valid
 * checkpoint, so its remaining cycles equal those of an uninterrupted run with the same seed and backend.
 */
import type { RunConfig } from '../config/schema';
import type { RaftEngine, SampleRecord } from '../raft/engine';
import { encodeCheckpoint } from './checkpoint';
import type { EngineState } from '../raft/engine-state';
import type { CycleRecord, RunRecord, RunStorage, SaveResult } from './records';

/** What a checkpoint is taken from and restored into: the language RaftEngine or the diffusion engine. */
export interface CheckpointedEngine {
  readonly config: RunConfig;
  cycle: number;
  stopped: boolean;
  exportState(): Promise<EngineState>;
  restoreState(state: EngineState): void;
}

/** A finished cycle as it is recorded (a language engine's CycleResult or an image cycle with thumbnails). */
export interface RecordedCycle {
  stats: CycleRecord['stats'];
  samples: SampleRecord[];
  evalSamples: SampleRecord[];
}

export interface ResumeResult<E extends CheckpointedEngine = RaftEngine> {
  engine: E;
  run: RunRecord;
  /** Cycles already finished, from the store (0 .. engine.cycle - 1). */
  cycles: CycleRecord[];
  /** Messages for the user (damaged checkpoints skipped, starting over, ...). */
  notes: string[];
}

export class RunRecorder {
  constructor(
    readonly store: RunStorage,
    /** Identifies the base model (task + pre-training facts); a checkpoint of another base model is refused. */
    readonly baseModel: string,
  ) {}

  async start(config: RunConfig, name?: string): Promise<RunRecord> {
    return this.store.createRun(config, name);
  }

  /**
   * Save a finished cycle: its stats, kept samples, eval samples and a checkpoint of the engine. Image (diffusion)
   * runs pass ImageCycleStats and samples that carry their RGBA pictures at the run's image size (ImageSampleRecord of
   * src/browser/image-samples.ts, 1-9 kB of pixels); their checkpoint holds the LoRA adapters, Adam moments, RNG streams
   * and prompt position.
   */
  async record(runId: string, engine: CheckpointedEngine, result: RecordedCycle): Promise<SaveResult> {
    const checkpoint = encodeCheckpoint(await engine.exportState(), { config: engine.config, baseModel: this.baseModel });
    const saved = await this.store.saveCycle(
      runId,
      { cycle: result.stats.cycle, stats: result.stats, kept: result.samples.filter((s) => s.kept), evalSamples: result.evalSamples },
      checkpoint,
    );
    const done = engine.cycle > engine.config.cycles || engine.stopped;
    if (done) await this.store.setStatus(runId, 'done');
    return saved;
  }

  /**
   * Rebuild the engine of an interrupted run. `makeEngine` creates a fresh engine on the base model for a config.
   * The newest checkpoint that decodes is restored; without one the run starts again from cycle 0.
   */
  async resume<E extends CheckpointedEngine = RaftEngine>(runId: string, makeEngine: (config: RunConfig) => Promise<E>): Promise<ResumeResult<E>> {
    const run = await this.store.getRun(runId);
    if (!run) throw new Error(`no saved run ${runId}`);
    const notes: string[] = [];
    const { found, skipped } = await this.store.latestCheckpoint(runId);
    for (const s of skipped) notes.push(`The checkpoint of cycle ${s.cycle} is damaged (${s.error}); using an earlier one.`);
    const engine = await makeEngine(run.config);
    if (found && found.meta.baseModel !== this.baseModel) {
      notes.push(`The saved checkpoint belongs to another base model (${found.meta.baseModel}); starting the run again.`);
    } else if (found) {
      engine.restoreState(found.state);
    } else {
      notes.push('No usable checkpoint was found; starting the run again from cycle 0.');
    }
    const cycles = (await this.store.getCycles(runId)).filter((c) => c.cycle < engine.cycle);
    await this.store.setStatus(runId, 'running');
    return { engine, run, cycles, notes };
  }
}

/** Runs whose last session ended before they finished (to offer resuming). */
export async function interruptedRuns(store: RunStorage): Promise<RunRecord[]> {
  return (await store.listRuns()).filter((r) => r.status === 'running' || r.status === 'interrupted');
}
