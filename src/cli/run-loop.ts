/**
 * The CLI's cycle loop, shared by language and image runs: runs the engine's cycles up to `config.cycles` (or an
 * early stop), prints a row per cycle, and with a run directory records each finished cycle (samples, checkpoint,
 * stats line) before the next starts. SIGINT / SIGTERM end the process at once with exit code 130 and the command
 * that resumes the run: what is finished is on disk (a cycle's files are written synchronously, so a signal can only
 * land between two cycles' writes), the cycle in progress is lost and runs again on resume.
 */
import type { RunConfig } from '../core/config/schema';
import type { EngineState } from '../core/raft/engine-state';
import { encodeConfigHash } from '../core/config/url';
import { RunDir, RunDirError, type SampleLine } from '../node/run-dir';

export interface LoopEngine<R extends { stats: S }, S extends { cycle: number }> {
  readonly config: RunConfig;
  readonly cycle: number;
  readonly stopped: boolean;
  /** Cycles already run (a resumed run's restored ones). */
  readonly history: readonly S[];
  runCycle(): Promise<R>;
  exportState(): Promise<EngineState>;
}

export interface LoopOptions<R, S> {
  runDir?: RunDir;
  log: (line: string) => void;
  /** The table's header line and the printed row of a cycle's stats. */
  header: string;
  row: (stats: S) => string;
  /** A cycle's samples as run-directory lines. */
  samplesOf: (result: R) => SampleLine[];
  /** Called after each cycle is printed and recorded (e.g. PNG grids). */
  onCycle?: (result: R) => void;
}

/** Where a run is recorded: a new run directory, or an existing one to resume. */
export interface RunPlace {
  runDir?: string;
  resume?: boolean;
  /** Save what was trained here at the end (language tasks): a PEFT adapter, or with `merge` the whole model. */
  save?: string;
  merge?: boolean;
  /** Where Hub models are downloaded from (--hf-endpoint; else $HF_ENDPOINT, else the Hub). */
  hfEndpoint?: string;
}

/** The lab link of a configuration (RAFTLAB_LAB_URL, default the dev server). */
export function labLink(config: RunConfig): string {
  return `${process.env.RAFTLAB_LAB_URL ?? 'http://localhost:5173/'}#${encodeConfigHash(config)}`;
}

/** Open or create the run directory of a run, and restore the engine from its newest valid checkpoint on resume. */
export function prepareRunDir(
  place: RunPlace,
  config: RunConfig,
  baseModel: string,
  engine: { restoreState(s: EngineState): void; cycle: number; readonly history: readonly unknown[] },
  log: (line: string) => void,
): RunDir | undefined {
  if (!place.runDir) return undefined;
  if (!place.resume) return RunDir.create(place.runDir, config, labLink(config), baseModel);
  const dir = RunDir.open(place.runDir);
  if (dir.meta.baseModel !== baseModel) {
    // other weights under the same name (a retrained embedded model, a changed folder, another Hub commit)
    throw new RunDirError(`the run in ${place.runDir} was made on base model ${dir.meta.baseModel}, and the model now loaded is ${baseModel}: its checkpoints do not apply (resume with the same model files)`);
  }
  const { state, notes } = dir.latestState(baseModel);
  for (const n of notes) log(`note: ${n}`);
  if (state) engine.restoreState(state);
  else log('note: no usable checkpoint; the run starts again from cycle 0');
  dir.rewindTo(engine.history, engine.cycle);
  log(`resuming ${place.runDir} at cycle ${engine.cycle}`);
  return dir;
}

/** Exit code of a run ended by SIGINT or SIGTERM (128 + SIGINT, what shells report for Ctrl-C). */
export const INTERRUPTED_EXIT_CODE = 130;

/**
 * Until the returned function is called, SIGINT and SIGTERM print where the run stands and exit 130; `cleanup` runs
 * first (it may not finish: the exit does not wait for promises).
 */
export function exitOnInterrupt(describe: () => string, log: (line: string) => void, cleanup?: () => void): () => void {
  const handler = (signal: NodeJS.Signals) => {
    log(`\nraftlab: ${signal}: ${describe()}`);
    try {
      cleanup?.();
    } finally {
      process.exit(INTERRUPTED_EXIT_CODE);
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/** Print the table header and the cycles already run, then run the rest (see the file comment). */
export async function runCycles<R extends { stats: S }, S extends { cycle: number }>(engine: LoopEngine<R, S>, opts: LoopOptions<R, S>): Promise<void> {
  opts.log(opts.header);
  for (const h of engine.history) opts.log(opts.row(h));
  while (engine.cycle <= engine.config.cycles && !engine.stopped) {
    const result = await engine.runCycle();
    const { stats } = result;
    opts.log(opts.row(stats));
    if (opts.runDir) opts.runDir.recordCycle(stats.cycle, stats, opts.samplesOf(result), await engine.exportState());
    opts.onCycle?.(result);
    if (engine.stopped) opts.log(`early stop: the eval reward did not improve for ${engine.config.patience} cycle(s) (at cycle ${stats.cycle})`);
  }
}

/** What a SIGINT says: where the finished cycles are and how to resume, or that nothing was saved. */
export function interruptMessage(engine: { cycle: number } | null, runDir: string | undefined): string {
  const at = engine ? `interrupted in cycle ${engine.cycle}` : 'interrupted before the first cycle';
  if (!runDir) return `${at}; nothing was saved (run with --run-dir DIR to make a run resumable)`;
  const done = engine && engine.cycle > 0 ? `cycles 0-${engine.cycle - 1} are saved in ${runDir}` : `no cycle had finished`;
  return `${at}; ${done}. Resume with:\n  npx raftlab run --resume ${shellQuote(runDir)}`;
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
