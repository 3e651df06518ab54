/**
 * `raftlab run` on a language task: the run set up (core/run/prepare.ts, with the model files from this machine:
 * node/run-model.ts), its cycles printed one line each (run-loop.ts), optionally recorded in a run directory and saved
 * as a PEFT adapter or a Hub-layout model at the end. Code tasks get Node verifiers (Pyodide, clang in worker threads).
 */
import { resolve } from 'node:path';
import type { RunConfig } from '../core/config/schema';
import { RaftEngine } from '../core/raft/engine';
import { tableHeader, tableRow, type CycleStats } from '../core/raft/stats';
import { runNeedsClassifier, runNeedsVerifier } from '../core/tasks/run-task';
import { createRunEngine, prepareRun, type PreparedRun } from '../core/run/prepare';
import type { Verifier } from '../core/verify/types';
import { initNodeBackend, type NodeBackend } from '../node/backend';
import { saveAdapterFolder, saveModelFolder } from '../node/hub-save';
import { nodeClassifierLoader } from '../node/reward-model';
import { loadRunModel, type RunModel } from '../node/run-model';
import { createNodeVerifiers } from '../node/verify/index';
import { exitOnInterrupt, interruptMessage, labLink, prepareRunDir, runCycles, type RunPlace } from './run-loop';

export interface RunOutput {
  config: RunConfig;
  cycles: CycleStats[];
  meta: { backend: string; model: Record<string, unknown>; url: string; seconds: number; runDir?: string };
}

/**
 * Run RAFT (or the configured method) as configured; `log` receives the printed lines. A code task uses `verifier`
 * when given (the caller disposes it), else verifiers of its own, disposed at the end (also on error). With a run
 * directory every finished cycle is recorded there, and `resume` continues the run recorded in it.
 */
export async function runCommand(config: RunConfig, log: (line: string) => void, verifier?: Verifier, place: RunPlace = {}): Promise<RunOutput> {
  const own = !verifier && runNeedsVerifier(config) ? createNodeVerifiers() : undefined;
  try {
    return await runWith(config, log, verifier ?? own, place);
  } finally {
    await own?.dispose();
  }
}

async function runWith(asGiven: RunConfig, log: (line: string) => void, verifier: Verifier | undefined, place: RunPlace): Promise<RunOutput> {
  let engine: RaftEngine | null = null;
  const stopWatching = exitOnInterrupt(() => interruptMessage(engine, place.runDir), log);
  const backend = await initNodeBackend((process.env.RAFTLAB_BACKEND as NodeBackend) ?? 'wasm');
  const endpoint = place.hfEndpoint ?? process.env.HF_ENDPOINT;
  const ctx = { verifier, ...(runNeedsClassifier(asGiven) ? { classifier: nodeClassifierLoader(endpoint, log) } : {}) };
  let run: PreparedRun<RunModel>;
  try {
    run = await prepareRun(asGiven, ctx, (c) => loadRunModel(c, endpoint));
  } catch (e) {
    stopWatching();
    throw e;
  }
  // the run (its link, run directory, output) names the model pinned to the commit the Hub resolved
  const { config, task, base: loaded } = run;
  const { model } = loaded;
  const url = labLink(config);
  if (config.task === 'custom') log(`task: ${task.description}; ${task.trainPrompts.length} train and ${task.evalPrompts.length} eval prompts`);
  log(`raftlab run: task ${config.task}, method ${config.method}, model ${loaded.label} (${model.architecture}, ${model.numParams()} params), backend ${backend}`);
  log(`link: ${url}`);
  const t0 = performance.now();
  try {
    engine = createRunEngine(run);
  } catch (e) {
    stopWatching();
    throw e;
  }
  try {
    const runDir = prepareRunDir(place, config, loaded.baseId, engine, log);
    await runCycles(engine, {
      runDir,
      log,
      header: tableHeader(),
      // a cycle with reward errors names its first one (message and traceback) under its row
      row: (s) => tableRow(s) + generalLine(s) + (s.rewardErrors ? `\n      reward errors: ${s.rewardErrors}; first: ${(s.rewardError ?? '').split('\n').join('\n      ')}` : ''),
      samplesOf: (r) => [
        ...r.samples.map((s) => ({ split: 'train' as const, ...s })),
        ...r.evalSamples.map((s) => ({ split: 'eval' as const, ...s })),
      ],
    });
    if (place.save) await saveTrained(place.save, loaded, config, url, place.merge === true, log);
  } finally {
    stopWatching();
    engine.dispose();
    model.dispose();
  }
  const seconds = Math.round((performance.now() - t0) / 100) / 10;
  log(`done in ${seconds} s${place.runDir ? `; the run is in ${place.runDir}` : ''}`);
  return { config, cycles: engine.history, meta: { backend, model: loaded.meta, url, seconds, ...(place.runDir ? { runDir: place.runDir } : {}) } };
}

/**
 * `--save DIR`: a LoRA run writes its adapters in PEFT's format (an embedded model's base goes to DIR/base, since it
 * is not on the Hub); a full fine-tuning run, or --merge, the whole model in the Hub's layout.
 */
async function saveTrained(dir: string, loaded: RunModel, config: RunConfig, url: string, merge: boolean, log: (line: string) => void): Promise<void> {
  const { model, origin } = loaded;
  const metadata = { raftlab_link: url };
  if (config.lora > 0 && !merge) {
    let base = loaded.hubName;
    if (base === null) {
      base = resolve(dir, 'base');
      await saveModelFolder(base, model, origin, metadata, 'drop');
    }
    await saveAdapterFolder(dir, model, base, loaded.revision, origin, metadata);
    log(`saved the LoRA adapters in PEFT's format to ${dir} (base model: ${base}${loaded.revision ? `, revision ${loaded.revision}` : ''})`);
    return;
  }
  await saveModelFolder(dir, model, origin, metadata);
  log(`saved the model in the Hugging Face layout to ${dir}${config.lora > 0 ? ' (LoRA adapters merged)' : ''}`);
}

/** The general tasks' metrics of a cycle, on a line under its row ('' when the run measures none). */
function generalLine(s: CycleStats): string {
  const parts = Object.entries(s.general ?? {}).map(([t, g]) => `${t} reward ${g.reward.toFixed(3)}${g.passRate === null ? '' : ` pass ${g.passRate.toFixed(3)}`} ppl ${g.perplexity.toFixed(3)}`);
  return parts.length ? `\n      general: ${parts.join('; ')}` : '';
}
