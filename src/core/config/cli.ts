/**
 * Command-line parsing for `raftlab run ...`, driven entirely by the config schema table.
 *
 * Every schema field is a flag (`--samples-per-prompt 8` or `--samples-per-prompt=8`); `--out`, `--url` and
 * `--help`/`-h` are CLI-only options. `--url` loads a share link's hash first, and explicit flags override it.
 * Nothing here throws on bad input: unknown flags, missing or bad values and stray arguments become `errors`.
 */
import {
  CONFIG_FIELDS,
  CONFIG_GROUPS,
  checkConfig,
  configDiff,
  DEFAULT_CONFIG,
  TASK_DEFAULTS,
  type ConfigValue,
  describeFieldRange,
  FIELD_BY_CLI_FLAG,
  FIELD_BY_KEY,
  fieldOf,
  formatFieldValue,
  METHODS,
  quoteRaw,
  resolveConfig,
  type Method,
  type ConfigGroup,
  type ConfigProblem,
  type RunConfig,
  type AnyConfigField,
  type ConfigKey,
} from './schema';
import { migrateLegacyLink, splitConfigHash } from './url';
import { TaskDocumentError } from '../tasks/custom/document';
import { METHOD_DECLARATIONS, METHOD_SETTINGS } from '../raft/methods/catalog';

/** Commands the CLI knows. */
export const CLI_COMMANDS = ['run', 'config', 'compare', 'sweep', 'verify', 'score', 'denoise'] as const;

export interface CliOptions {
  /** Where to write the run's JSON results. */
  out?: string;
  /** A share link (or bare hash) whose settings are loaded before the flags. */
  url?: string;
  /** `compare`: the methods to run on the same task and seed. */
  methods?: Method[];
  /** Image tasks: a folder for PNG grids of each cycle's images. */
  images?: string;
  /** A new run directory: config, stats.jsonl, samples per cycle, the two newest checkpoints. */
  runDir?: string;
  /** A run directory whose run continues from its newest checkpoint. */
  resume?: string;
  /** Language tasks: save the trained model in the Hub's layout (GPT-2) here at the end. */
  save?: string;
  /** With --save on a LoRA run: merge the adapters into the weights. */
  merge?: boolean;
  /** `compare` with domain-raft: also run domain-raft with each of its parts off. */
  ablations?: boolean;
  /** Where Hub models come from (a mirror or a local server); else $HF_ENDPOINT, else the Hub. Never part of a run. */
  hfEndpoint?: string;
  /** `sweep`: the grid (`lr=1e-4,3e-4;loraLr=...`) and the seeds. */
  grid?: string;
  seeds?: number[];
  /** A task document (JSON file): runs task custom with it. */
  taskFile?: string;
  /** The shortcut for a task: prompts (JSONL or text lines), a Python reward file, optional held-out prompts. */
  promptsFile?: string;
  rewardPy?: string;
  evalPromptsFile?: string;
  help: boolean;
}

export interface CliParseResult {
  command: string | null;
  config: RunConfig;
  options: CliOptions;
  /** The configuration flags given (not the CLI-only options), as typed. */
  configFlags: string[];
  errors: string[];
}

const SEE_HELP = '(see raftlab run --help)';
const BOOLEAN_WORDS = new Set(['true', 'false', '1', '0']);
const CLI_OPTION_FLAGS = new Set(['--out', '--url', '--methods', '--images', '--run-dir', '--resume', '--save', '--merge', '--ablations', '--hf-endpoint', '--task-file', '--prompts', '--reward-py', '--grid', '--seeds']);
const FILE_OPTIONS: Record<string, 'taskFile' | 'promptsFile' | 'rewardPy'> = { '--task-file': 'taskFile', '--prompts': 'promptsFile', '--reward-py': 'rewardPy' };

function looksLikeFlag(token: string): boolean {
  return token.startsWith('--') || token === '-h';
}

/**
 * Parse CLI arguments (without `node` and the script path, i.e. `process.argv.slice(2)`).
 * The first positional argument is the command; later positionals are errors. `taskFiles` reads the task the file
 * options name (--task-file, or --prompts with --reward-py: src/node/task-files.ts) as a document's JSON, or null
 * when they name none, and throws TaskDocumentError naming the file; the task is task custom with that document,
 * applied before the flags, so flags set on top of the document's defaults and are checked against it.
 */
export function parseCliArgs(argv: readonly string[], taskFiles?: (options: CliOptions) => string | null): CliParseResult {
  const errors: string[] = [];
  const options: CliOptions = { help: false };
  let command: string | null = null;
  const flagEntries: Array<[string, string]> = [];
  const given = new Set<string>();

  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] ?? '';
    if (token === '--help' || token === '-h') {
      options.help = true;
      continue;
    }
    if (token.startsWith('--')) {
      const eq = token.indexOf('=');
      const flag = eq < 0 ? token : token.slice(0, eq);
      let inline: string | undefined = eq < 0 ? undefined : token.slice(eq + 1);
      const field = FIELD_BY_CLI_FLAG.get(flag);
      if (flag === '--help') {
        errors.push(`--help takes no value (got ${quoteRaw(inline ?? '')})`);
        continue;
      }
      if (!field && !CLI_OPTION_FLAGS.has(flag)) {
        errors.push(`unknown flag ${quoteFlag(flag)} ${SEE_HELP}`);
        continue;
      }
      if (given.has(flag)) errors.push(`${flag} is given more than once ${SEE_HELP}`);
      given.add(flag);

      if (flag === '--merge' || flag === '--ablations') {
        if (inline !== undefined) errors.push(`${flag} takes no value (got ${quoteRaw(inline)})`);
        else if (flag === '--merge') options.merge = true;
        else options.ablations = true;
        continue;
      }
      let value: string | undefined = inline;
      if (value === undefined) {
        const next = argv[i + 1];
        if (field?.type === 'boolean') {
          // `--early-stop` alone means true; `--early-stop false` is also accepted.
          if (next !== undefined && BOOLEAN_WORDS.has(next)) {
            value = next;
            i++;
          } else {
            value = 'true';
          }
        } else if (next !== undefined && !looksLikeFlag(next)) {
          value = next;
          i++;
        }
      }
      if (value === undefined) {
        const expects = field ? describeFieldRange(field) : flag === '--out' ? 'a file path' : flag === '--images' || flag === '--run-dir' || flag === '--resume' || flag === '--save' ? 'a folder' : flag === '--hf-endpoint' ? 'an http(s) URL' : flag in FILE_OPTIONS ? 'a file path' : flag === '--methods' ? `a comma list of ${METHODS.join(', ')}` : 'a URL';
        errors.push(`missing value for ${flag} (expects ${expects}) ${SEE_HELP}`);
        continue;
      }
      if (flag === '--methods') {
        const methods = value.split(',').map((m) => m.trim());
        const bad = methods.filter((m) => !(METHODS as readonly string[]).includes(m));
        if (bad.length || methods.length === 0) errors.push(`--methods: unknown method ${quoteRaw(bad.join(',') || value)} (expected a comma list of ${METHODS.join(', ')})`);
        else if (new Set(methods).size !== methods.length) errors.push('--methods: a method is listed twice');
        else options.methods = methods as Method[];
        continue;
      }
      if (flag === '--grid') {
        options.grid = value;
        continue;
      }
      if (flag === '--seeds') {
        const seeds = value.split(',').map((x) => x.trim());
        if (seeds.length === 0 || !seeds.every((x) => /^\d{1,10}$/.test(x) && Number(x) <= 2 ** 31 - 1)) errors.push(`--seeds must be a comma list of seeds (integers 0..2147483647; got ${quoteRaw(value)})`);
        else if (new Set(seeds).size !== seeds.length) errors.push('--seeds: a seed is listed twice');
        else options.seeds = seeds.map(Number);
        continue;
      }
      if (flag in FILE_OPTIONS) {
        if (value === '') errors.push(`${flag} needs a file path`);
        else options[FILE_OPTIONS[flag]!] = value;
        continue;
      }
      // --eval-prompts N is a count; --eval-prompts FILE (with --prompts) is the held-out prompts file
      if (flag === '--eval-prompts' && !/^[+-]?\d+$/.test(value)) {
        options.evalPromptsFile = value;
        continue;
      }
      if (flag === '--hf-endpoint') {
        if (!/^https?:\/\/[^\s]+$/.test(value)) errors.push(`--hf-endpoint must be an http(s) URL (got ${quoteRaw(value)})`);
        else options.hfEndpoint = value;
        continue;
      }
      if (flag === '--out' || flag === '--url' || flag === '--images' || flag === '--run-dir' || flag === '--resume' || flag === '--save') {
        if (value === '') errors.push(`${flag} needs a non-empty value`);
        else if (flag === '--out') options.out = value;
        else if (flag === '--images') options.images = value;
        else if (flag === '--run-dir') options.runDir = value;
        else if (flag === '--resume') options.resume = value;
        else if (flag === '--save') options.save = value;
        else options.url = value;
        continue;
      }
      flagEntries.push([flag, value]);
      continue;
    }
    if (token.startsWith('-') && token.length > 1) {
      errors.push(`unknown flag ${quoteFlag(token)} ${SEE_HELP}`);
      continue;
    }
    if (command === null) {
      command = token;
      if (!(CLI_COMMANDS as readonly string[]).includes(token)) {
        errors.push(`unknown command ${quoteRaw(token, 40)} (expected one of: ${CLI_COMMANDS.join(', ')})`);
      }
    } else {
      errors.push(`unexpected argument ${quoteRaw(token, 60)}: values go after a flag, e.g. --cycles 4 ${SEE_HELP}`);
    }
  }

  let base: RunConfig = DEFAULT_CONFIG;
  if (options.url !== undefined) {
    const split = splitConfigHash(migrateLegacyLink(options.url).hash);
    const fromUrl = resolveConfig(split.entries, 'urlKey');
    for (const p of [...split.problems, ...fromUrl.problems]) errors.push(`--url: ${p.message}`);
    base = fromUrl.config;
  }
  const resolved = resolveConfig(withTaskFile(flagEntries, options, taskFiles, errors), 'cliFlag', base);
  for (const p of resolved.problems) errors.push(problemToCliError(p));
  for (const p of checkConfig(resolved.config)) errors.push(problemToCliError(p));

  if (options.taskFile !== undefined && (options.promptsFile !== undefined || options.rewardPy !== undefined)) errors.push('--task-file is a whole task: give it without --prompts and --reward-py');
  if ((options.promptsFile === undefined) !== (options.rewardPy === undefined)) errors.push('--prompts FILE and --reward-py FILE go together (or use --task-file)');
  if (options.evalPromptsFile !== undefined && options.promptsFile === undefined) errors.push(`--eval-prompts ${quoteRaw(options.evalPromptsFile)} is a file, which goes with --prompts (a count of eval prompts is an integer)`);
  const fileFlags = (['taskFile', 'promptsFile', 'rewardPy', 'evalPromptsFile'] as const).filter((k) => options[k] !== undefined).map((k) => ({ taskFile: '--task-file', promptsFile: '--prompts', rewardPy: '--reward-py', evalPromptsFile: '--eval-prompts' })[k]);
  return { command, config: resolved.config, options, configFlags: flagEntries.map(([f]) => f).concat(options.url !== undefined ? ['--url'] : [], fileFlags), errors };
}

/** The flag entries with the task files' document as `--task custom --task-doc JSON` in front (see parseCliArgs). */
function withTaskFile(entries: Array<[string, string]>, options: CliOptions, taskFiles: ((o: CliOptions) => string | null) | undefined, errors: string[]): Array<[string, string]> {
  let json: string | null = null;
  try {
    json = taskFiles?.(options) ?? null;
  } catch (e) {
    if (!(e instanceof TaskDocumentError)) throw e;
    errors.push(e.message);
  }
  if (json === null) return entries;
  const task = entries.find(([f]) => f === '--task')?.[1];
  if (task !== undefined && task !== 'custom') errors.push(`--task ${quoteRaw(task, 40)}: a task file is task custom (drop --task)`);
  if (entries.some(([f]) => f === '--task-doc')) errors.push('--task-doc and a task file are two tasks: give one of them');
  return [['--task', 'custom'], ['--task-doc', json], ...entries.filter(([f]) => f !== '--task' && f !== '--task-doc')];
}

function quoteFlag(flag: string): string {
  // Plain flags print as-is; anything odd is quoted so it reads as data.
  return /^-{1,2}[a-z0-9-]*$/i.test(flag) && flag.length <= 60 ? flag : quoteRaw(flag, 60);
}

function problemToCliError(p: ConfigProblem): string {
  const field = FIELD_BY_KEY.get(p.key);
  return field ? `${field.cliFlag}: ${p.message}` : p.message;
}

/** CLI arguments that reproduce a config: `--seed` always, then every non-default field. */
export function configToCliArgs(config: RunConfig): string[] {
  const seed = fieldOf('seed');
  const args = [seed.cliFlag, formatFieldValue(seed, config.seed)];
  for (const [field, value] of configDiff(config)) {
    if (field.key !== 'seed') args.push(field.cliFlag, formatFieldValue(field, value));
  }
  return args;
}

const GROUP_TITLES: Record<ConfigGroup, string> = {
  run: 'Run',
  sampling: 'Sampling',
  selection: 'Selection (which samples are kept)',
  training: 'Fine-tuning',
  lora: 'LoRA',
  eval: 'Evaluation',
};

/** Help text for `raftlab run`, generated from the schema table. */
export function cliHelp(): string {
  const lines: string[] = [
    'Usage: raftlab run [options]',
    '       raftlab config --url URL    print the configuration of a lab link as JSON, with its problems (exit 2 if any)',
    `       raftlab compare --methods ${METHODS.join(',')} [options]    run each method with the same settings and seed`,
    '                                   with --general TASKS: a forgetting report (each general task\'s change from the base model); --ablations: domain-raft with each part off too',
    "       raftlab sweep --methods raft,ppo --grid 'lr=1e-4,3e-4,1e-3' --seeds 1,2,3 --out sweep.json [options]",
    '                                   every method x grid point x seed (resumable: runs in --out are kept); per point and cycle the mean and a 95% interval over seeds',
    '       raftlab verify --lang c|python --code FILE [--stdin FILE] [--expect FILE] [--tests FILE] [--timeout-ms N]',
    '                                   score one program as a code task would; prints {reward, breakdown} (see verify --help)',
    '       raftlab score --model DIR (--text TEXT | --ids 1,2,3)',
    '                                   log-probs of a text under a Hub-layout model folder (gpt2, llama, qwen2, qwen3) as JSON',
    '       raftlab denoise --model DIR --noise IN.safetensors [--steps N] [--eta E] [--class-labels 0,1] --out OUT.safetensors',
    '                                   a diffusers UNet2DModel\'s scheduler from given noise (or --timesteps with --sample: its outputs); see denoise --help',
    '',
    'RAFT (reward-ranked fine-tuning): each cycle samples K completions per prompt, keeps the',
    'highest-reward ones, and fine-tunes the model on them. Flags accept "--flag value" or "--flag=value".',
    '',
    'Options:',
    '  --out FILE.json',
    '      Write the run\'s results as JSON to this file.',
    '  --images DIR',
    '      Image tasks (shapes): write PNG grids of each cycle\'s eval images (same prompts and seeds every cycle) and training images to DIR.',
    '  --run-dir DIR',
    '      Record the run in DIR: config.json, stats.jsonl (a line per cycle), samples/cycle-N.jsonl (every sample with its reward and breakdown, kept ones marked), samples/kept-cycle-N.jsonl (kept samples as {"prompt","completion"}) and the two newest checkpoints. Ctrl-C ends the run with exit code 130; finished cycles stay.',
    '  --resume DIR',
    '      Continue the run recorded in DIR from its newest checkpoint, with its own settings (no other settings flags); it ends with the stats of an uninterrupted run.',
    '  --save DIR [--merge]',
    '      Language tasks: at the end, save what was trained for the Python ecosystem. A LoRA run writes a PEFT adapter (adapter_config.json, adapter_model.safetensors; PeftModel.from_pretrained opens it on its base model); a full fine-tuning run, or --merge, writes the whole model in the Hugging Face layout (config.json, model.safetensors, tokenizer files), which transformers and raftlab score open.',
    '  --hf-endpoint URL',
    '      Where Hub models (--model org/name) are downloaded from: a mirror or a local server in the Hub\'s layout. Default: $HF_ENDPOINT, else https://huggingface.co. Files are cached in $RAFTLAB_CACHE (default ~/.cache/raftlab); a cached model needs no network.',
    '  --task-file TASK.json',
    '      Run your own task (task custom): a task document with prompts, reward and generation defaults, or of kind image: an embedded image model (scenes, shapes), its prompts and weighted image rewards, which then decide --reward, --scene-prompts and --image-size (see docs/tasks.md, "Your own task").',
    '  --prompts FILE.jsonl --reward-py FILE.py [--eval-prompts FILE.jsonl]',
    '      The shortcut for a task: prompts as JSONL rows with a "prompt" field (other fields go to the reward) or text lines, and a Python reward with TRL\'s signature, reward(prompts, completions, **kwargs) -> list[float] (or reward(prompt, completion, **row) -> float); without --eval-prompts a fifth of the prompts is held out.',
    '  --url URL',
    '      Start from the settings of a RAFT Lab share link (#v=2&...; older links are migrated); flags given here override them.',
    '  -h, --help',
    '      Show this help.',
  ];
  const flagLines = (f: AnyConfigField, indent: string) => {
    const spec = f.type === 'boolean' ? `${f.cliFlag} [true|false]` : `${f.cliFlag} <${describeFieldRange(f)}>`;
    return [`${indent}${spec}  (default: ${formatFieldValue(f, f.default)})`, `${indent}    ${f.help}`];
  };
  // the common settings by group; each method's own settings (its declaration) under the method, listed once
  for (const group of CONFIG_GROUPS) {
    const fields = CONFIG_FIELDS.filter((f) => f.group === group && !METHOD_SETTINGS.has(f.key));
    if (fields.length === 0) continue;
    lines.push('', `${GROUP_TITLES[group]}:`);
    for (const f of fields) lines.push(...flagLines(f, '  '));
  }
  lines.push('', 'Methods (--method) and their own settings:');
  const listed = new Set<ConfigKey>();
  for (const d of METHOD_DECLARATIONS) {
    const tasks = d.tasks.join(' and ') + ' tasks' + (d.needs ? `, ${d.needs.why}` : '');
    lines.push(`  ${d.name}: ${d.summary} (${tasks})`);
    const shared = d.settings.filter((k) => listed.has(k));
    for (const k of d.settings.filter((k) => !listed.has(k))) lines.push(...flagLines(FIELD_BY_KEY.get(k)!, '    '));
    if (shared.length) lines.push(`    also: ${shared.map((k) => fieldOf(k).cliFlag).join(', ')} (listed above)`);
    for (const k of d.settings) listed.add(k);
  }
  const taskLines = Object.entries(TASK_DEFAULTS).map(([task, over]) => {
    const flags = CONFIG_FIELDS.filter((f) => over && f.key in over).map((f) => `${f.cliFlag} ${formatFieldValue(f, (over as Record<string, ConfigValue>)[f.key]!)}`);
    return `  ${task}: ${flags.join(' ')}`;
  });
  if (taskLines.length > 0) {
    lines.push('', 'Task defaults (a task brings these unless the flags or the link say otherwise):', ...taskLines);
  }
  lines.push('', 'Example:', '  raftlab run --task sentiment --cycles 4 --seed 1 --samples-per-prompt 8 --select global --out run.json');
  return lines.join('\n');
}
