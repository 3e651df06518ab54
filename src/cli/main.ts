/**
 * The headless RAFT Lab CLI: `raftlab run --task sentiment --cycles 4 --seed 1 [...] [--out FILE.json]`.
 * Prints one line per cycle and writes `{config, cycles: [stats...]}` as JSON. Bad flags exit with code 2.
 * Code tasks (`taskNeedsVerifier`) get Node verifiers (Pyodide, clang in worker threads), disposed at the end.
 * `raftlab verify` (src/cli/verify.ts) scores one program.
 */
import { writeFileSync } from 'node:fs';
import { cliHelp, parseCliArgs } from '../core/config/cli';
import { forgettingRows, forgettingTable, generalTasksOf } from '../core/forgetting';
import { METHOD_CATALOG, methodLabel } from '../core/raft/methods/catalog';
import type { RunConfig } from '../core/config/schema';
import { decodeConfigHash, migrateLegacyLink } from '../core/config/url';
import { RaftEngine, RewardFailureError } from '../core/raft/engine';
import { tableHeader, tableRow, type CycleStats } from '../core/raft/stats';
import { createGeneralTasks, createRunTask, runNeedsClassifier, runNeedsVerifier, runTaskDocument } from '../core/tasks/run-task';
import { checkCustomTask } from '../core/tasks/custom/task';
import { TaskDocumentError, taskDocumentJson } from '../core/tasks/custom/document';
import { taskDocumentFromFiles } from '../node/task-files';
import { nodeClassifierLoader } from '../node/reward-model';
import { withTask } from '../core/config/schema';
import type { Verifier } from '../core/verify/types';
import { initNodeBackend, type NodeBackend } from '../node/backend';
import { saveAdapterFolder, saveModelFolder } from '../node/hub-save';
import { loadRunModel, type RunModel } from '../node/run-model';
import { HubModelError } from '../core/hub/errors';
import { LoraTargetError } from '../core/lm/lora-config';
import { SafetensorsError } from '../core/hub/safetensors';
import { join, resolve } from 'node:path';
import { createNodeVerifiers } from '../node/verify/index';
import { verifyCommand } from './verify';
import { sweepCommand } from './sweep';
import { scoreCommand } from './score';
import { denoiseCommand } from './denoise';
import { exitOnInterrupt, interruptMessage, labLink, prepareRunDir, runCycles, type RunPlace } from './run-loop';
import { RunDir, RunDirError } from '../node/run-dir';
import { runImageCommand } from './image-run';
import { isImageTask } from '../core/tasks/registry';

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
  let loaded: RunModel;
  let task;
  let general;
  try {
    // a custom task's reward is checked before anything runs: Python that does not compile, a missing label
    const doc = runTaskDocument(asGiven);
    if (doc) await checkCustomTask(doc, ctx);
    task = createRunTask(asGiven, ctx);
    general = createGeneralTasks(asGiven, ctx);
    loaded = await loadRunModel(asGiven, endpoint);
  } catch (e) {
    stopWatching();
    throw e;
  }
  const { model, tokenizer } = loaded;
  // the run (its link, run directory, output) names the model pinned to the commit the Hub resolved
  const config = { ...asGiven, model: loaded.linkModel };
  const url = labLink(config);
  if (config.task === 'custom') log(`task: ${task.description}; ${task.trainPrompts.length} train and ${task.evalPrompts.length} eval prompts`);
  log(`raftlab run: task ${config.task}, method ${config.method}, model ${loaded.label} (${model.architecture}, ${model.numParams()} params), backend ${backend}`);
  log(`link: ${url}`);
  const t0 = performance.now();
  try {
    engine = new RaftEngine({ model, tokenizer, task, general, config });
  } catch (e) {
    stopWatching();
    model.dispose();
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

export async function main(argv: string[]): Promise<number> {
  // `verify` has flags of its own (not the run configuration's)
  if (argv.find((a) => !a.startsWith('-')) === 'verify') return verifyCommand(argv.filter((a, i) => i !== argv.indexOf('verify')));
  if (argv.find((a) => !a.startsWith('-')) === 'score') return scoreCommand(argv.filter((_a, i) => i !== argv.indexOf('score')));
  if (argv.find((a) => !a.startsWith('-')) === 'denoise') return denoiseCommand(argv.filter((_a, i) => i !== argv.indexOf('denoise')));
  const parsed = parseCliArgs(argv);
  if (parsed.options.help || parsed.command === null) {
    console.log(cliHelp());
    return parsed.command === null && !parsed.options.help ? 2 : 0;
  }
  if (parsed.command === 'config') return configCommand(parsed.options.url, parsed.errors);
  if (parsed.command === 'compare' && isImageTask(parsed.config.task)) parsed.errors.push(`compare is for language tasks; use run --task ${parsed.config.task}`);
  if (parsed.options.images !== undefined && !isImageTask(parsed.config.task)) parsed.errors.push('--images is for image tasks (--task shapes)');
  let config = parsed.config;
  try {
    const doc = taskDocumentFromFiles(parsed.options);
    if (doc) {
      // the task's generation defaults apply unless the flags set them
      config = { ...withTask(config, 'custom'), taskDoc: taskDocumentJson(doc) };
      if (!parsed.configFlags.includes('--max-new-tokens')) config.maxNewTokens = doc.generation.maxNewTokens;
    }
  } catch (e) {
    if (!(e instanceof TaskDocumentError)) throw e;
    parsed.errors.push(e.message);
  }
  if (parsed.command === 'compare' && parsed.errors.length === 0) {
    return compareCommand(config, parsed.options.methods ?? ['raft', 'uft', 'sft', 'best-of-k'], parsed.options.out, parsed.options.ablations === true);
  }
  if (parsed.command === 'sweep') {
    const { grid, seeds, out, methods } = parsed.options;
    if (out === undefined) parsed.errors.push('sweep needs --out FILE.json (where its runs and summary go; running it again resumes it)');
    if (seeds === undefined) parsed.errors.push('sweep needs --seeds, e.g. --seeds 1,2,3');
    if (isImageTask(config.task)) parsed.errors.push('sweep is for language tasks');
    if (parsed.errors.length === 0) {
      try {
        return await sweepCommand(config, methods ?? ['raft'], grid ?? '', seeds!, out!, (line) => console.log(line));
      } catch (e) {
        if (!(e instanceof Error) || !/^--grid|not a sweep file|summary row/.test(e.message)) throw e;
        parsed.errors.push(e.message);
      }
    }
  }
  const { resume, runDir } = parsed.options;
  if (resume !== undefined) {
    if (runDir !== undefined) parsed.errors.push('--resume DIR continues the run in DIR: give it without --run-dir');
    if (parsed.configFlags.length > 0) parsed.errors.push(`--resume keeps the run's own settings (${resume}/config.json); drop ${parsed.configFlags.join(', ')}`);
    if (parsed.command !== 'run') parsed.errors.push('--resume is for raftlab run');
    if (parsed.errors.length === 0) {
      try {
        config = RunDir.open(resume).meta.config;
      } catch (e) {
        if (!(e instanceof RunDirError)) throw e;
        parsed.errors.push(e.message);
      }
    }
  }
  if (parsed.options.save !== undefined) {
    if (isImageTask(config.task)) parsed.errors.push('--save is for language tasks (an image run keeps its adapters in its checkpoints)');
    else if (parsed.options.merge && config.lora === 0) parsed.errors.push('--merge is for LoRA runs (a full fine-tuning run saves the whole model anyway)');
  } else if (parsed.options.merge) parsed.errors.push('--merge goes with --save DIR');
  if (parsed.errors.length > 0) {
    for (const e of parsed.errors) console.error(`raftlab: ${e}`);
    console.error('run "raftlab run --help" for the list of flags');
    return 2;
  }
  const place: RunPlace = {
    ...(resume !== undefined ? { runDir: resume, resume: true } : runDir !== undefined ? { runDir } : {}),
    ...(parsed.options.save !== undefined ? { save: parsed.options.save, merge: parsed.options.merge === true } : {}),
    ...(parsed.options.hfEndpoint !== undefined ? { hfEndpoint: parsed.options.hfEndpoint } : {}),
  };
  let out;
  try {
    out = isImageTask(config.task)
      ? await runImageCommand(config, (line) => console.log(line), parsed.options.images, place)
      : await runCommand(config, (line) => console.log(line), undefined, place);
  } catch (e) {
    if (e instanceof RewardFailureError) {
      console.error(`raftlab: ${e.message}`);
      if (place.runDir) console.error(`resume with: npx raftlab run --resume ${place.runDir}`);
      return 1;
    }
    if (!(e instanceof RunDirError || e instanceof HubModelError || e instanceof SafetensorsError || e instanceof LoraTargetError || e instanceof TaskDocumentError)) throw e;
    console.error(`raftlab: ${e.message}`);
    return 2;
  }
  if (parsed.options.out) {
    writeFileSync(parsed.options.out, JSON.stringify({ config: out.config, cycles: out.cycles, meta: out.meta }, null, 2) + '\n');
    console.log(`wrote ${parsed.options.out}`);
  }
  return 0;
}

/** `raftlab config --url URL`: the resolved configuration and the problems found, as JSON; exit 2 if any. */
function configCommand(url: string | undefined, errors: string[]): number {
  const other = errors.filter((e) => !e.startsWith('--url: '));
  if (url === undefined) other.push('config needs --url URL (a lab link or its #hash)');
  if (other.length > 0) {
    for (const e of other) console.error(`raftlab: ${e}`);
    return 2;
  }
  const { config, problems } = decodeConfigHash(migrateLegacyLink(url!).hash);
  console.log(JSON.stringify({ config, problems }, null, 2));
  return problems.length > 0 ? 2 : 0;
}

/** The general tasks' metrics of a cycle, on a line under its row ('' when the run measures none). */
function generalLine(s: CycleStats): string {
  const parts = Object.entries(s.general ?? {}).map(([t, g]) => `${t} reward ${g.reward.toFixed(3)}${g.passRate === null ? '' : ` pass ${g.passRate.toFixed(3)}`} ppl ${g.perplexity.toFixed(3)}`);
  return parts.length ? `\n      general: ${parts.join('; ')}` : '';
}


/** The runs of a comparison: each method with the base settings; with `ablations`, each method's declared ablations too (domain-raft: each part off). */
function compareRuns(base: RunConfig, methods: RunConfig['method'][], ablations: boolean): RunConfig[] {
  return methods.flatMap((method) => {
    const config = { ...base, method };
    const declared = ablations ? METHOD_CATALOG[method].ablations ?? [] : [];
    return [config, ...declared.map((a) => ({ ...config, ...a.change }))];
  });
}

/** `raftlab compare`: each method on the same task, seed and settings; a table of the final cycles. */
async function compareCommand(base: RunConfig, methods: RunConfig['method'][], out: string | undefined, ablations = false): Promise<number> {
  const runs: Array<{ method: string; label: string; config: RunConfig; cycles: CycleStats[] }> = [];
  // one set of verifiers for every method of a code task (Pyodide and clang load once)
  const verifier = runNeedsVerifier(base) ? createNodeVerifiers() : undefined;
  try {
    for (const config of compareRuns(base, methods, ablations)) {
      console.log(`\n== ${methodLabel(config)}`);
      const r = await runCommand(config, (line) => console.log(line), verifier);
      runs.push({ method: config.method, label: methodLabel(config), config, cycles: r.cycles });
    }
  } finally {
    await verifier?.dispose();
  }
  const last = base.cycles;
  console.log(`\nfinal cycle (${last}) per method, task ${base.task}, seed ${base.seed}:`);
  const width = Math.max(28, ...runs.map((r) => r.label.length + 1));
  console.log(['method'.padEnd(width), 'evalR'.padStart(7), 'pass'.padStart(6), 'ppl'.padStart(7), 'KL'.padStart(7), 'KLmax'.padStart(7), 'dist2'.padStart(7), 'len'.padStart(6), 'errs'.padStart(5), 'gen'.padStart(6), 'genTok'.padStart(7), 'bwdTok'.padStart(8)].join(' '));
  // what the whole run's training spent (cycle budgets summed): generated samples and tokens, tokens through backward
  const total = (r: (typeof runs)[number], k: 'samplesGenerated' | 'tokensGenerated' | 'backwardTokens') => r.cycles.reduce((n, c) => n + (c.budget?.[k] ?? 0), 0);
  const num = (v: number | null | undefined, digits: number, width: number) => (v === null || v === undefined ? '-' : v.toFixed(digits)).padStart(width);
  for (const r of runs) {
    const s = r.cycles.at(-1)!;
    console.log([
      r.label.padEnd(width), num(s.evalReward, 3, 7), num(s.evalPassRate, 3, 6), num(s.perplexity, 3, 7), num(s.klToRef, 3, 7),
      num(s.klBound, 3, 7), num(s.distinct2, 3, 7), num(s.meanLength, 1, 6), String(s.rewardErrors ?? 0).padStart(5),
      String(total(r, 'samplesGenerated')).padStart(6), String(total(r, 'tokensGenerated')).padStart(7), String(total(r, 'backwardTokens')).padStart(8),
    ].join(' '));
  }
  // the forgetting report: every cycle's domain accuracy and general metrics, as changes from the base model
  const forgetting = runs.flatMap((r) => forgettingRows(r.label, r.cycles));
  const general = generalTasksOf(forgetting);
  if (general.length > 0) {
    console.log(`\nforgetting: domain accuracy and the general tasks (${general.join(', ')}) per method and cycle, changes from the base model (cycle 0):`);
    for (const line of forgettingTable(forgetting)) console.log(line);
  }
  if (out) {
    writeFileSync(out, JSON.stringify({ runs: runs.map(({ method, label, config, cycles }) => ({ method, label, config, cycles })), ...(general.length ? { forgetting } : {}) }, null, 2) + '\n');
    console.log(`wrote ${out}`);
  }
  return 0;
}
