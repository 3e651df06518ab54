/**
 * A CLI run directory (`raftlab run --run-dir DIR`, halo-forge style), everything a run needs to be read or resumed:
 *
 *   DIR/config.json               {format, config, link, baseModel, created}
 *   DIR/stats.jsonl               one line per finished cycle (CycleStats)
 *   DIR/samples/cycle-N.jsonl     cycle N's samples: training ones ({split: "train", kept, ...}) then eval ones
 *   DIR/samples/kept-cycle-N.jsonl  the kept training samples as TRL-style {"prompt", "completion"} lines
 *   DIR/checkpoints/cycle-N.ckpt  the engine state after cycle N (checkpoint.ts encoding); the two newest are kept
 *
 * Every file of a cycle is written synchronously and atomically (a temporary file, then rename), samples and
 * checkpoint before the stats line, so a signal or a crash between two cycles loses nothing finished and never
 * leaves half a file. On resume the newest checkpoint that decodes is the truth: stats.jsonl is rewritten from its
 * history and later sample files are removed.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { completeConfig, type RunConfig } from '../core/config/schema';
import type { EngineState } from '../core/raft/engine-state';
import { decodeCheckpoint, encodeCheckpoint } from '../core/store/checkpoint';

export const RUN_DIR_FORMAT = 'raftlab-run-dir/1';
const KEEP_CHECKPOINTS = 2;

export interface RunDirConfig {
  format: string;
  config: RunConfig;
  link: string;
  baseModel: string;
  created: string;
}

/** A sample as written to samples/cycle-N.jsonl (image samples without their pixels). */
export interface SampleLine {
  split: 'train' | 'eval';
  promptIndex: number;
  prompt: string;
  completion?: string;
  seed?: number;
  reward: number;
  breakdown?: Record<string, unknown>;
  kept: boolean;
}

export class RunDirError extends Error {}

function writeAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

const jsonl = (rows: readonly unknown[]) => rows.map((r) => `${JSON.stringify(r)}\n`).join('');

export class RunDir {
  private constructor(
    readonly dir: string,
    readonly meta: RunDirConfig,
  ) {}

  /** A new run directory; refuses one that already holds a run (resume it, or choose another folder). */
  static create(dir: string, config: RunConfig, link: string, baseModel: string): RunDir {
    if (existsSync(join(dir, 'config.json'))) {
      throw new RunDirError(`${dir} already holds a run: resume it with "raftlab run --resume ${dir}", or choose another --run-dir`);
    }
    mkdirSync(join(dir, 'samples'), { recursive: true });
    mkdirSync(join(dir, 'checkpoints'), { recursive: true });
    const meta: RunDirConfig = { format: RUN_DIR_FORMAT, config, link, baseModel, created: new Date().toISOString() };
    writeAtomic(join(dir, 'config.json'), `${JSON.stringify(meta, null, 2)}\n`);
    writeAtomic(join(dir, 'stats.jsonl'), '');
    return new RunDir(dir, meta);
  }

  /** An existing run directory (its config.json read and checked). */
  static open(dir: string): RunDir {
    let meta: RunDirConfig;
    try {
      meta = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as RunDirConfig;
    } catch (e) {
      throw new RunDirError(`${dir} is not a run directory (config.json: ${(e as Error).message})`);
    }
    if (!meta || meta.format !== RUN_DIR_FORMAT || typeof meta.config !== 'object' || meta.config === null) {
      throw new RunDirError(`${dir}/config.json is not a RAFT Lab run directory of format ${RUN_DIR_FORMAT}`);
    }
    return new RunDir(dir, { ...meta, config: completeConfig(meta.config) });
  }

  /** Write a finished cycle: its samples, the checkpoint after it (the two newest kept), then its stats line. */
  recordCycle(cycle: number, stats: unknown, samples: readonly SampleLine[], state: EngineState): void {
    writeAtomic(join(this.dir, 'samples', `cycle-${cycle}.jsonl`), jsonl(samples));
    const kept = samples.filter((s) => s.split === 'train' && s.kept && s.completion !== undefined);
    if (samples.some((s) => s.split === 'train')) {
      writeAtomic(join(this.dir, 'samples', `kept-cycle-${cycle}.jsonl`), jsonl(kept.map((s) => ({ prompt: s.prompt, completion: s.completion }))));
    }
    writeAtomic(join(this.dir, 'checkpoints', `cycle-${cycle}.ckpt`), encodeCheckpoint(state, { config: this.meta.config, baseModel: this.meta.baseModel }));
    for (const old of this.checkpointCycles().slice(KEEP_CHECKPOINTS)) rmSync(join(this.dir, 'checkpoints', `cycle-${old}.ckpt`), { force: true });
    writeAtomic(join(this.dir, 'stats.jsonl'), readFileSync(join(this.dir, 'stats.jsonl'), 'utf8') + `${JSON.stringify(stats)}\n`);
  }

  /** Cycles with a checkpoint file, newest first. */
  checkpointCycles(): number[] {
    const dir = join(this.dir, 'checkpoints');
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .map((f) => /^cycle-(\d+)\.ckpt$/.exec(f)?.[1])
      .filter((c): c is string => c !== undefined)
      .map(Number)
      .sort((a, b) => b - a);
  }

  /**
   * The newest checkpoint that decodes and belongs to `baseModel`, with notes on the ones skipped; null when there is
   * none (the run starts again from cycle 0).
   */
  latestState(baseModel: string): { state: EngineState | null; notes: string[] } {
    const notes: string[] = [];
    for (const cycle of this.checkpointCycles()) {
      try {
        const { state, meta } = decodeCheckpoint(new Uint8Array(readFileSync(join(this.dir, 'checkpoints', `cycle-${cycle}.ckpt`))));
        if (meta.baseModel !== baseModel) {
          notes.push(`the checkpoint of cycle ${cycle} belongs to another base model (${meta.baseModel}); skipped`);
          continue;
        }
        return { state, notes };
      } catch (e) {
        notes.push(`the checkpoint of cycle ${cycle} is damaged (${(e as Error).message}); using an earlier one`);
      }
    }
    return { state: null, notes };
  }

  /** After a resume from `state`: stats.jsonl holds exactly its history, and files of later cycles are gone. */
  rewindTo(history: readonly unknown[], nextCycle: number): void {
    writeAtomic(join(this.dir, 'stats.jsonl'), jsonl(history));
    const samples = join(this.dir, 'samples');
    for (const f of existsSync(samples) ? readdirSync(samples) : []) {
      const c = /^(?:kept-)?cycle-(\d+)\.jsonl$/.exec(f)?.[1];
      if (c !== undefined && Number(c) >= nextCycle) rmSync(join(samples, f), { force: true });
    }
    for (const c of this.checkpointCycles()) if (c >= nextCycle) rmSync(join(this.dir, 'checkpoints', `cycle-${c}.ckpt`), { force: true });
  }
}
