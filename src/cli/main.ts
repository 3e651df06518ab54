/**
 * The headless RAFT Lab CLI: `raftlab run --task sentiment --cycles 4 --seed 1 [...] [--out FILE.json]`.
 * Reads the command line, refuses bad flags (exit code 2) and hands the command to its module: run.ts (a language
 * run), image-run.ts, compare.ts, sweep.ts, score.ts, denoise.ts (a diffusers model's sampler), verify.ts (`raftlab
 * verify` scores one program).
 * Writes `{config, cycles: [stats...]}` as JSON with --out.
 */
import { writeFileSync } from 'node:fs';
import { cliHelp, parseCliArgs } from '../core/config/cli';
import { decodeConfigHash, migrateLegacyLink } from '../core/config/url';
import { HubModelError } from '../core/hub/errors';
import { SafetensorsError } from '../core/hub/safetensors';
import { LoraTargetError } from '../core/lm/lora-config';
import { RewardFailureError } from '../core/raft/engine';
import { anyTaskDocumentJson } from '../core/tasks/custom/any-document';
import { TaskDocumentError } from '../core/tasks/custom/document';
import { imageTaskOf, isImageRun } from '../core/tasks/run-kind';
import { runTaskDocument } from '../core/tasks/run-task';
import { RunDir, RunDirError } from '../node/run-dir';
import { taskDocumentFromFiles } from '../node/task-files';
import { compareCommand } from './compare';
import { runImageCommand } from './image-run';
import { runCommand } from './run';
import type { RunPlace } from './run-loop';
import { scoreCommand } from './score';
import { denoiseCommand } from './denoise';
import { sweepCommand } from './sweep';
import { verifyCommand } from './verify';

export async function main(argv: string[]): Promise<number> {
  // `verify` has flags of its own (not the run configuration's)
  if (argv.find((a) => !a.startsWith('-')) === 'verify') return verifyCommand(argv.filter((a, i) => i !== argv.indexOf('verify')));
  if (argv.find((a) => !a.startsWith('-')) === 'score') return scoreCommand(argv.filter((_a, i) => i !== argv.indexOf('score')));
  if (argv.find((a) => !a.startsWith('-')) === 'denoise') return denoiseCommand(argv.filter((_a, i) => i !== argv.indexOf('denoise')));
  // a task file (--task-file, or --prompts with --reward-py) is task custom with its document, before the flags
  const parsed = parseCliArgs(argv, (o) => {
    const doc = taskDocumentFromFiles(o);
    return doc ? anyTaskDocumentJson(doc) : null;
  });
  if (parsed.options.help || parsed.command === null) {
    console.log(cliHelp());
    return parsed.command === null && !parsed.options.help ? 2 : 0;
  }
  if (parsed.command === 'config') return configCommand(parsed.options.url, parsed.errors);
  if (parsed.command === 'compare' && isImageRun(parsed.config)) parsed.errors.push(`compare is for language tasks; use run --task ${parsed.config.task}`);
  if (parsed.options.images !== undefined && !isImageRun(parsed.config)) parsed.errors.push('--images is for image tasks (--task shapes, scenes, hub-images, or a task file of kind image)');
  let config = parsed.config;
  const fromFiles = parsed.options.taskFile !== undefined || parsed.options.promptsFile !== undefined;
  if (fromFiles && parsed.errors.length === 0 && !parsed.configFlags.includes('--max-new-tokens')) {
    // a text task's generation default applies unless the flags set it
    const doc = runTaskDocument(config);
    if (doc) config = { ...config, maxNewTokens: doc.generation.maxNewTokens };
  }
  if (parsed.command === 'compare' && parsed.errors.length === 0) {
    return compareCommand(config, parsed.options.methods ?? ['raft', 'uft', 'sft', 'best-of-k'], parsed.options.out, parsed.options.ablations === true);
  }
  if (parsed.command === 'sweep') {
    const { grid, seeds, out, methods } = parsed.options;
    if (out === undefined) parsed.errors.push('sweep needs --out FILE.json (where its runs and summary go; running it again resumes it)');
    if (seeds === undefined) parsed.errors.push('sweep needs --seeds, e.g. --seeds 1,2,3');
    if (isImageRun(config)) parsed.errors.push('sweep is for language tasks');
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
    const image = imageTaskOf(config);
    if (image === 'shapes' || image === 'scenes') parsed.errors.push(`--save is for language tasks and hub-images (a ${image} run keeps its adapters in its checkpoints)`);
    else if (parsed.options.merge && config.lora === 0 && image === null) parsed.errors.push('--merge is for LoRA runs (a full fine-tuning run saves the whole model anyway)');
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
    out = isImageRun(config)
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

