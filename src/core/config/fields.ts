/**
 * The field table: the one list of every setting that changes a run (in the spirit of TensorFlow Playground's
 * state.ts). `RunConfig` is derived from it, so a setting is added by adding one row: its default, range, URL key,
 * CLI flag (cli.ts), URL hash key (url.ts) and the lab's control (src/app/config-controls.ts) all come from the row.
 *
 * This is the lowest layer of the config: it imports only plain data (the task catalogue and the choice lists of
 * the modules that implement them). Parsing (values.ts, parse.ts), defaults and presets (defaults.ts) and cross-field
 * checks (checks.ts) build on it; schema.ts is the public entry.
 */
import { GENERAL_TASKS, METHODS, TASKS, isImageTaskName } from '../tasks/catalogue';
import { imageDocumentModel } from '../tasks/run-kind';
import { LORA_TARGETS } from '../lm/lora-config';
import { SELECT_MODES } from '../raft/select';
import { LOSS_TYPES } from '../raft/loss-types';
import { IMAGE_REWARD_NAMES, IMAGE_REWARD_PARTS } from '../diffusion/rewards';
import { LEARNED_IMAGE_REWARDS } from '../rewards/image-reward-names';
import { DEFAULT_UNET_LORA_TARGETS, UNET_LORA_TARGETS } from '../diffusers/unet2d/lora-targets';
import { SHAPES_RAFT, SHAPES_SAMPLER } from '../diffusion/shapes-recipe';

/** How a row's raw string is read: its kind decides the value's type in RunConfig. */
export type FieldType = 'int' | 'number' | 'boolean' | 'choice' | 'list' | 'model' | 'task' | 'text';
export type ConfigGroup = 'run' | 'sampling' | 'selection' | 'training' | 'lora' | 'eval';

export const CONFIG_GROUPS: readonly ConfigGroup[] = ['run', 'sampling', 'selection', 'training', 'lora', 'eval'];

/** Language tasks (a GPT writes text) or image tasks (a denoiser draws pictures). */
export type FieldScope = 'language' | 'image';

/** A row of the table before its key is known to be a RunConfig key (the table defines the keys). */
interface FieldRow {
  key: string;
  type: FieldType;
  default: string | number | boolean;
  /** Inclusive bounds, for 'int' and 'number'. */
  min?: number;
  max?: number;
  /** Allowed values for 'choice'; allowed items for 'list'. */
  choices?: readonly string[];
  /**
   * 'choice': a value may also be a weighted mix of these names, `name:weight,name:weight` (weights positive
   * numbers, each name once), e.g. the image reward `fidelity:0.7,clip-score:0.3`.
   */
  mixOf?: readonly string[];
  /** 'list': the empty list is allowed (written '' or none). */
  emptyOk?: boolean;
  /** 'text': the longest value (200 when not given). */
  maxLength?: number;
  /** Short key in the URL hash: unique, [a-z0-9]+, never 'v' (the version key). */
  urlKey: string;
  /** Kebab-case CLI flag including the leading dashes. */
  cliFlag: string;
  /** Short label for UI controls. */
  label: string;
  /** One sentence a student understands. */
  help: string;
  group: ConfigGroup;
  /** The kind of task the setting applies to; undefined = every task. The page hides settings that do not apply. */
  scope?: FieldScope;
}

const MAX_SEED = 2 ** 31 - 1;

/**
 * The rows, in display order. Notes on values the help does not say:
 * - `taskDoc`: task `custom`'s document (tasks/custom/document.ts) as canonical JSON, '' for the built-in tasks;
 *   links and CLI arguments carry it deflated and base64url-encoded (config/task-link.ts).
 * - `model`: `embedded`, a Hub id `org/name[@revision]`, an http(s) URL of a folder in the Hub's layout, or (CLI) a
 *   local folder; the Hub endpoint is a setting of the machine, never part of the run (core/hub/source.ts).
 * - `loraTargets`: a comma list, subset of LORA_TARGETS in canonical order, e.g. "q,k,v,o" (lm/lora-config.ts).
 * - Parameters of the methods keep TRL's names where TRL has them (`epsilon`, `cliprange`, `init_kl_coef`, ...).
 */
const FIELDS = [
  // run
  {
    key: 'task', type: 'choice', default: 'sentiment', choices: TASKS, urlKey: 'task', cliFlag: '--task',
    label: 'Task', help: 'Which task (prompts plus reward function) to fine-tune the model on; custom is your own task document.', group: 'run',
  },
  {
    key: 'taskDoc', type: 'task', default: '', urlKey: 'td', cliFlag: '--task-doc',
    label: 'Your task', help: 'The custom task\'s document: prompts, reward and generation defaults, or (kind image) prompts, weighted image rewards and the embedded image model (JSON, or its link form; the CLI\'s --task-file reads it from a file).', group: 'run',
  },
  {
    key: 'model', type: 'model', default: 'embedded', urlKey: 'model', cliFlag: '--model',
    label: 'Model', help: 'The model to fine-tune: embedded (the task\'s own small model), generalist (one small model of all four language tasks), a Hugging Face Hub id such as distilgpt2, HuggingFaceTB/SmolLM2-135M or Qwen/Qwen3-0.6B (GPT-2, Llama, Qwen2 and Qwen3 models; for image tasks a diffusers UNet2DModel pipeline such as google/ddpm-cifar10-32; optionally @revision), or the URL of a folder in the Hub\'s layout.', group: 'run',
  },
  {
    key: 'chatTemplate', type: 'boolean', default: false, urlKey: 'chat', cliFlag: '--chat-template',
    label: 'Chat template', help: 'Instruct models: wrap each prompt as a user turn in the model\'s chat template, so it answers as an assistant.', group: 'sampling', scope: 'language',
  },
  {
    key: 'seed', type: 'int', default: 1, min: 0, max: MAX_SEED, urlKey: 'seed', cliFlag: '--seed',
    label: 'Seed', help: 'Random seed; the same seed and settings give the same run.', group: 'run',
  },
  {
    key: 'cycles', type: 'int', default: 4, min: 0, max: 200, urlKey: 'c', cliFlag: '--cycles',
    label: 'Cycles', help: 'How many sample-rank-fine-tune rounds to run (0 only evaluates the base model).', group: 'run',
  },
  {
    key: 'promptsPerCycle', type: 'int', default: 32, min: 1, max: 512, urlKey: 'p', cliFlag: '--prompts-per-cycle',
    label: 'Prompts per cycle', help: 'How many training prompts are used in each cycle.', group: 'run',
  },
  // sampling
  {
    key: 'samplesPerPrompt', type: 'int', default: 6, min: 1, max: 64, urlKey: 'k', cliFlag: '--samples-per-prompt',
    label: 'Samples per prompt (K)', help: 'How many completions the model writes for each prompt before they are ranked.', group: 'sampling',
  },
  {
    key: 'temperature', type: 'number', default: 1, min: 0.05, max: 2, urlKey: 'temp', cliFlag: '--temperature',
    label: 'Temperature', help: 'Higher values make sampling more random, lower values make it more predictable.', group: 'sampling', scope: 'language',
  },
  {
    key: 'topK', type: 'int', default: 0, min: 0, max: 4096, urlKey: 'topk', cliFlag: '--top-k',
    label: 'Top-k', help: 'Sample only from the k most likely next tokens (0 turns this off).', group: 'sampling', scope: 'language',
  },
  {
    key: 'topP', type: 'number', default: 1, min: 0.05, max: 1, urlKey: 'topp', cliFlag: '--top-p',
    label: 'Top-p', help: 'Sample only from the most likely tokens whose probabilities add up to p (1 turns this off).', group: 'sampling', scope: 'language',
  },
  {
    key: 'maxNewTokens', type: 'int', default: 48, min: 1, max: 256, urlKey: 'len', cliFlag: '--max-new-tokens',
    label: 'Max new tokens', help: 'The longest completion, in tokens, the model may write for a prompt.', group: 'sampling', scope: 'language',
  },
  // method
  {
    key: 'method', type: 'choice', default: 'raft', choices: METHODS, urlKey: 'm', cliFlag: '--method',
    label: 'Method', help: 'RAFT fine-tunes on the best samples; UFT trains on all scored samples and demonstrations with one loss; SFT trains on the corpus only; best-of-K trains nothing and keeps the best of K samples at evaluation; PPO (with a value head and a KL penalty), GRPO, RLOO and Reinforce-Rej push up samples that beat what was expected of them (policy gradients); RAFT++ trains on RAFT\'s samples with importance ratios and clipping; online DPO prefers each prompt\'s best sample over its worst.', group: 'run',
  },
  {
    key: 'uftBeta', type: 'number', default: 0.01, min: 0.0001, max: 10, urlKey: 'ub', cliFlag: '--uft-beta',
    label: 'UFT beta', help: 'UFT scales the log-probability gap to the reference model by beta before the sigmoid: larger beta moves the model more per unit of reward.', group: 'training', scope: 'language',
  },
  {
    key: 'uftDemoRatio', type: 'number', default: 1, min: 0, max: 10, urlKey: 'ud', cliFlag: '--uft-demo-ratio',
    label: 'UFT demonstrations per sample', help: 'How many demonstrations from the task corpus (score 1) UFT mixes in per scored sample.', group: 'training', scope: 'language',
  },
  {
    key: 'uftScored', type: 'choice', default: 'all', choices: ['all', 'selected'], urlKey: 'us', cliFlag: '--uft-scored',
    label: 'UFT scored samples', help: 'Whether UFT trains on every scored sample (with its reward as score) or only on the ones selection kept.', group: 'training', scope: 'language',
  },
  {
    key: 'grpoBeta', type: 'number', default: 0.04, min: 0, max: 10, urlKey: 'grb', cliFlag: '--grpo-beta',
    label: 'GRPO beta', help: 'GRPO: how strongly the model is held near the base model (a KL penalty per token; 0 turns it off).', group: 'training', scope: 'language',
  },
  {
    key: 'epsilon', type: 'number', default: 0.2, min: 0.01, max: 1, urlKey: 'eps', cliFlag: '--epsilon',
    label: 'Clip range (epsilon)', help: 'GRPO, RAFT++ and Reinforce-Rej: how far below its probability at sampling a token\'s probability may fall before its update stops counting (and above it, unless Clip range high is set).', group: 'training', scope: 'language',
  },
  {
    key: 'epsilonHigh', type: 'number', default: 0, min: 0, max: 10, urlKey: 'epsh', cliFlag: '--epsilon-high',
    label: 'Clip range high', help: 'GRPO, RAFT++ and Reinforce-Rej: the upper clip range (clip-higher, DAPO recommends 0.28), so a rare good token can grow more than a common one may shrink; 0 = the same as epsilon.', group: 'training', scope: 'language',
  },
  {
    key: 'scaleRewards', type: 'choice', default: 'group', choices: ['group', 'batch', 'none'], urlKey: 'gsr', cliFlag: '--scale-rewards',
    label: 'GRPO reward scaling', help: 'GRPO: a sample\'s advantage is its reward minus its prompt\'s mean, divided by the standard deviation of its prompt\'s rewards (group), of the whole batch (batch), or not divided (none).', group: 'training', scope: 'language',
  },
  {
    key: 'lossType', type: 'choice', default: 'grpo', choices: LOSS_TYPES, urlKey: 'glt', cliFlag: '--loss-type',
    label: 'GRPO loss type', help: 'GRPO: how token losses are averaged: each completion\'s mean, then over completions (grpo); over all tokens of the batch (bnpo); over batch size x max new tokens (dr_grpo); over all tokens the cycle trains on (dapo, TRL\'s default).', group: 'training', scope: 'language',
  },
  {
    key: 'maskTruncatedCompletions', type: 'boolean', default: false, urlKey: 'mtc', cliFlag: '--mask-truncated-completions',
    label: 'GRPO: mask truncated', help: 'GRPO: completions cut off at max new tokens (no end-of-sequence, no stop string) get no loss.', group: 'training', scope: 'language',
  },
  {
    key: 'filterGroups', type: 'boolean', default: false, urlKey: 'fg', cliFlag: '--filter-groups',
    label: 'GRPO: filter groups', help: 'GRPO dynamic sampling: drop prompts whose samples all scored the same (no signal) and draw more prompts until the cycle has Prompts per cycle prompts with signal or the extra draws run out.', group: 'training', scope: 'language',
  },
  {
    key: 'filterGroupsMaxDraws', type: 'int', default: 3, min: 0, max: 50, urlKey: 'fgd', cliFlag: '--filter-groups-max-draws',
    label: 'GRPO: extra draws', help: 'GRPO with filter groups: at most this many extra draws of prompts a cycle (each draws as many prompts as are still missing, K samples each; every sample counts in the budget).', group: 'training', scope: 'language',
  },
  {
    key: 'rlooBeta', type: 'number', default: 0.05, min: 0, max: 10, urlKey: 'rlb', cliFlag: '--rloo-beta',
    label: 'RLOO beta', help: 'RLOO: the KL to the base model, times this, is taken off each sample\'s reward (0 turns it off).', group: 'training', scope: 'language',
  },
  {
    key: 'rlooEpochs', type: 'int', default: 1, min: 1, max: 50, urlKey: 'rle', cliFlag: '--rloo-epochs',
    label: 'RLOO epochs', help: 'RLOO: passes over a cycle\'s samples (TRL\'s num_iterations, 1 by default). Its REINFORCE loss has no ratio or clipping, so a second pass pushes on samples the model has already moved away from; at 2 it diverged in 2 of 3 sentiment seeds (docs/methods.md).', group: 'training', scope: 'language',
  },
  {
    key: 'dpoBeta', type: 'number', default: 0.1, min: 0.001, max: 10, urlKey: 'dpb', cliFlag: '--dpo-beta',
    label: 'DPO beta', help: 'Online DPO: how sharply the model is pushed to prefer the best over the worst sample of a prompt, relative to the base model.', group: 'training', scope: 'language',
  },
  {
    key: 'ppoEpochs', type: 'int', default: 4, min: 1, max: 50, urlKey: 'ppe', cliFlag: '--ppo-epochs',
    label: 'PPO epochs', help: 'PPO: how many passes over a cycle\'s samples the update makes (TRL\'s ppo_epochs; PPO uses it instead of Epochs per cycle).', group: 'training', scope: 'language',
  },
  {
    key: 'gamma', type: 'number', default: 1, min: 0, max: 1, urlKey: 'gam', cliFlag: '--gamma',
    label: 'PPO gamma', help: 'PPO: the discount of later rewards within a completion (1 = none).', group: 'training', scope: 'language',
  },
  {
    key: 'lam', type: 'number', default: 0.95, min: 0, max: 1, urlKey: 'lam', cliFlag: '--lam',
    label: 'PPO GAE lambda', help: 'PPO: how far advantages look ahead (GAE): 0 trusts the value head, 1 the rewards.', group: 'training', scope: 'language',
  },
  {
    key: 'cliprange', type: 'number', default: 0.2, min: 0.01, max: 1, urlKey: 'cr', cliFlag: '--cliprange',
    label: 'PPO clip range', help: 'PPO: how far a token\'s probability may move from when it was sampled before its update stops counting.', group: 'training', scope: 'language',
  },
  {
    key: 'cliprangeValue', type: 'number', default: 0.2, min: 0.01, max: 10, urlKey: 'crv', cliFlag: '--cliprange-value',
    label: 'PPO value clip range', help: 'PPO: how far the value head\'s estimate may move in one cycle.', group: 'training', scope: 'language',
  },
  {
    key: 'vfCoef', type: 'number', default: 0.1, min: 0, max: 10, urlKey: 'vfc', cliFlag: '--vf-coef',
    label: 'PPO value-loss weight', help: 'PPO: the weight of the value head\'s loss beside the policy\'s.', group: 'training', scope: 'language',
  },
  {
    key: 'initKlCoef', type: 'number', default: 0.2, min: 0, max: 10, urlKey: 'ikl', cliFlag: '--init-kl-coef',
    label: 'PPO KL coefficient', help: 'PPO: the first weight of the per-token KL penalty to the base model in the reward (TRL\'s init_kl_coef).', group: 'training', scope: 'language',
  },
  {
    key: 'klTarget', type: 'number', default: 6, min: 0.01, max: 1000, urlKey: 'klt', cliFlag: '--kl-target',
    label: 'PPO KL target', help: 'PPO with the adaptive controller: the KL per sample the coefficient steers toward (TRL\'s target).', group: 'training', scope: 'language',
  },
  {
    key: 'klHorizon', type: 'number', default: 10000, min: 1, max: 10000000, urlKey: 'klh', cliFlag: '--kl-horizon',
    label: 'PPO KL horizon', help: 'PPO with the adaptive controller: how slowly the coefficient moves (TRL\'s horizon, in samples).', group: 'training', scope: 'language',
  },
  {
    key: 'adapKlCtrl', type: 'boolean', default: true, urlKey: 'akl', cliFlag: '--adap-kl-ctrl',
    label: 'PPO adaptive KL', help: 'PPO: adjust the KL coefficient after each cycle toward the KL target (off: it stays at its first value).', group: 'training', scope: 'language',
  },
  {
    key: 'drRewrite', type: 'boolean', default: true, urlKey: 'drw', cliFlag: '--dr-rewrite',
    label: 'Domain-RAFT: rewrite', help: 'Domain-RAFT: the base model, shown the reference answer as a hint, rewrites each reference in its own words, and those rewrites are trained on.', group: 'training', scope: 'language',
  },
  {
    key: 'drFilter', type: 'boolean', default: true, urlKey: 'drf', cliFlag: '--dr-filter',
    label: 'Domain-RAFT: filter', help: 'Domain-RAFT: keep a rewrite only when it reaches the reference\'s answer; otherwise train on the reference itself.', group: 'training', scope: 'language',
  },
  {
    key: 'drDistill', type: 'boolean', default: true, urlKey: 'drd', cliFlag: '--dr-distill',
    label: 'Domain-RAFT: distill', help: 'Domain-RAFT: the model also learns, on its own samples, to predict what the base model would write if it were shown the answer.', group: 'training', scope: 'language',
  },
  {
    key: 'drTopK', type: 'int', default: 8, min: 0, max: 100000, urlKey: 'drk', cliFlag: '--dr-top-k',
    label: 'Domain-RAFT: top K', help: 'Domain-RAFT distillation: match the teacher only on its K most likely next tokens (0: on every token).', group: 'training', scope: 'language',
  },
  {
    key: 'drTau', type: 'number', default: 1, min: 0.05, max: 20, urlKey: 'drt', cliFlag: '--dr-tau',
    label: 'Domain-RAFT: temperature', help: 'Domain-RAFT distillation: both distributions are softened by this temperature before they are compared (the loss is scaled by its square).', group: 'training', scope: 'language',
  },
  {
    key: 'drBalance', type: 'choice', default: 'ema', choices: ['ema', 'fixed'], urlKey: 'drb', cliFlag: '--dr-balance',
    label: 'Domain-RAFT: balance', help: 'Domain-RAFT: weigh the SFT and distillation losses so that each contributes alike, from running averages of their sizes (ema), or half and half (fixed).', group: 'training', scope: 'language',
  },
  {
    key: 'drEmaDecay', type: 'number', default: 0.9, min: 0, max: 0.9999, urlKey: 'dre', cliFlag: '--dr-ema-decay',
    label: 'Domain-RAFT: EMA decay', help: 'Domain-RAFT with EMA balance: how slowly the running averages of the two losses follow each step (0: only the last step counts).', group: 'training', scope: 'language',
  },
  // selection
  {
    key: 'select', type: 'choice', default: 'per-prompt', choices: SELECT_MODES, urlKey: 'sel', cliFlag: '--select',
    label: 'Selection', help: 'How samples are kept: the best of each prompt, the best overall, or all above a reward threshold.', group: 'selection',
  },
  {
    key: 'softBeta', type: 'number', default: 0.1, min: 0.001, max: 10, urlKey: 'sb', cliFlag: '--soft-beta',
    label: 'Soft selection beta', help: 'With soft selection (RSO), a sample is kept with probability exp((reward - best reward of its prompt) / beta): small beta keeps only near-best samples.', group: 'selection',
  },
  {
    key: 'quotaTrials', type: 'int', default: 0, min: 0, max: 16, urlKey: 'qt', cliFlag: '--quota-trials',
    label: 'Quota trials', help: 'DART-style quotas: prompts with no sample at or above the reward threshold get up to this many extra rounds of K samples (0 turns this off).', group: 'selection', scope: 'language',
  },
  {
    key: 'keepPerPrompt', type: 'int', default: 1, min: 1, max: 64, urlKey: 'keep', cliFlag: '--keep-per-prompt',
    label: 'Keep per prompt', help: 'With per-prompt selection, how many of the best samples of each prompt are kept.', group: 'selection',
  },
  {
    key: 'keepTopPercent', type: 'number', default: 20, min: 0.1, max: 100, urlKey: 'pct', cliFlag: '--keep-top-percent',
    label: 'Keep top %', help: 'With global selection, the percentage of all samples (highest reward first) that is kept.', group: 'selection',
  },
  {
    key: 'rewardThreshold', type: 'number', default: 0.7, min: 0, max: 1, urlKey: 'thr', cliFlag: '--reward-threshold',
    label: 'Reward threshold', help: 'With threshold selection, samples whose reward is at least this value are kept.', group: 'selection',
  },
  {
    key: 'minKept', type: 'int', default: 4, min: 0, max: 4096, urlKey: 'min', cliFlag: '--min-kept',
    label: 'Min kept', help: 'With threshold selection, a floor: if fewer samples pass the threshold, the best ones below it are added up to this many.', group: 'selection',
  },
  // training
  {
    key: 'lr', type: 'number', default: 3e-4, min: 1e-6, max: 1, urlKey: 'lr', cliFlag: '--lr',
    label: 'Learning rate', help: 'How big each step of full fine-tuning is (LoRA runs use the LoRA learning rate); too high makes training unstable.', group: 'training', scope: 'language',
  },
  {
    key: 'lrDecay', type: 'number', default: 1, min: 0.1, max: 1, urlKey: 'decay', cliFlag: '--lr-decay',
    label: 'LR decay', help: 'The learning rate is multiplied by this after every cycle (1 keeps it constant).', group: 'training',
  },
  {
    key: 'epochsPerCycle', type: 'int', default: 2, min: 1, max: 50, urlKey: 'ep', cliFlag: '--epochs-per-cycle',
    label: 'Epochs per cycle', help: 'How many passes over the kept samples are made in each cycle.', group: 'training',
  },
  {
    key: 'batchSize', type: 'int', default: 16, min: 1, max: 256, urlKey: 'bs', cliFlag: '--batch-size',
    label: 'Batch size', help: 'How many kept samples are averaged into each fine-tuning step.', group: 'training',
  },
  {
    key: 'gradClip', type: 'number', default: 1, min: 0, max: 100, urlKey: 'clip', cliFlag: '--grad-clip',
    label: 'Gradient clip', help: 'Gradients whose overall size exceeds this are scaled down to it (0 turns this off).', group: 'training',
  },
  // lora
  {
    key: 'lora', type: 'int', default: 0, min: 0, max: 64, urlKey: 'lora', cliFlag: '--lora',
    label: 'LoRA rank', help: 'Train small low-rank adapters of this rank instead of all weights (0 fine-tunes all weights; image tasks then use the image LoRA rank).', group: 'lora',
  },
  {
    key: 'loraLr', type: 'number', default: 3e-3, min: 1e-6, max: 1, urlKey: 'llr', cliFlag: '--lora-lr',
    label: 'LoRA learning rate', help: 'How big each fine-tuning step of the adapters is; adapters need a larger one than full fine-tuning.', group: 'lora',
  },
  {
    key: 'loraAlpha', type: 'number', default: 16, min: 0.1, max: 1024, urlKey: 'alpha', cliFlag: '--lora-alpha',
    label: 'LoRA alpha', help: 'Scales the adapters\' output by alpha divided by rank.', group: 'lora',
  },
  {
    key: 'loraTargets', type: 'list', default: 'q,k,v,o', choices: LORA_TARGETS, urlKey: 'tgt', cliFlag: '--lora-targets',
    label: 'LoRA targets', help: 'Which layers get adapters: attention q, k, v, o and MLP up, down (gate on Llama and Qwen models), or the Hub\'s module names (GPT-2: c_attn, c_proj, c_fc; Llama, Qwen2, Qwen3: q_proj ... down_proj).', group: 'lora', scope: 'language',
  },
  // eval
  {
    key: 'evalPrompts', type: 'int', default: 64, min: 1, max: 1024, urlKey: 'ev', cliFlag: '--eval-prompts',
    label: 'Eval prompts', help: 'How many held-out prompts (never trained on) are used to measure reward.', group: 'eval',
  },
  {
    key: 'evalSamplesPerPrompt', type: 'int', default: 4, min: 1, max: 16, urlKey: 'evk', cliFlag: '--eval-samples-per-prompt',
    label: 'Eval samples per prompt', help: 'How many completions are sampled for each held-out prompt during evaluation.', group: 'eval',
  },
  {
    key: 'evalTexts', type: 'int', default: 256, min: 1, max: 4096, urlKey: 'evt', cliFlag: '--eval-texts',
    label: 'Perplexity texts', help: 'How many held-out texts of the pre-training corpus perplexity is measured on (the alignment tax).', group: 'eval', scope: 'language',
  },
  {
    key: 'general', type: 'list', default: '', emptyOk: true, choices: GENERAL_TASKS, urlKey: 'gen', cliFlag: '--general',
    label: 'General tasks', help: 'Other tasks measured on the same model every cycle (their reward, pass rate and perplexity), to see what fine-tuning on this task costs them: forgetting. Most useful on the generalist model.', group: 'eval', scope: 'language',
  },
  {
    key: 'generalPrompts', type: 'int', default: 32, min: 1, max: 1024, urlKey: 'gp', cliFlag: '--general-prompts',
    label: 'General prompts', help: 'With general tasks: how many of each general task\'s held-out prompts are measured every cycle.', group: 'eval', scope: 'language',
  },
  {
    key: 'generalSamplesPerPrompt', type: 'int', default: 2, min: 1, max: 16, urlKey: 'gk', cliFlag: '--general-samples-per-prompt',
    label: 'General samples per prompt', help: 'With general tasks: how many completions are sampled for each general prompt (each task\'s own generation length).', group: 'eval', scope: 'language',
  },
  {
    key: 'generalTexts', type: 'int', default: 128, min: 1, max: 4096, urlKey: 'gt', cliFlag: '--general-texts',
    label: 'General perplexity texts', help: 'With general tasks: how many held-out texts of each general task\'s corpus its perplexity is measured on.', group: 'eval', scope: 'language',
  },
  {
    key: 'earlyStop', type: 'boolean', default: false, urlKey: 'es', cliFlag: '--early-stop',
    label: 'Early stop', help: 'Stop the run when the eval reward has not beaten its best by more than the minimum change for patience cycles in a row.', group: 'eval',
  },
  {
    key: 'patience', type: 'int', default: 1, min: 1, max: 50, urlKey: 'pat', cliFlag: '--patience',
    label: 'Early-stop patience', help: 'With early stop: how many cycles in a row may fail to improve the best eval reward before the run stops.', group: 'eval',
  },
  {
    key: 'minDelta', type: 'number', default: 0, min: 0, max: 1, urlKey: 'md', cliFlag: '--min-delta',
    label: 'Early-stop minimum change', help: 'With early stop: a cycle improves only if its eval reward beats the best so far by more than this.', group: 'eval',
  },
  // image tasks
  {
    key: 'imageReward', type: 'choice', default: 'redness', choices: [...IMAGE_REWARD_NAMES, ...LEARNED_IMAGE_REWARDS], mixOf: IMAGE_REWARD_PARTS, urlKey: 'rw', cliFlag: '--reward',
    label: 'Image reward', help: 'Image tasks only: what the reward measures: in the pixels (redness, left-right symmetry, brightness, contrast, shape count matching the prompt, or red and symmetric half and half; on task scenes fidelity: how much of the prompt a detector finds in the image, scored per attribute), or by a learned model (clip-score: how well the image matches the reward target text, by a Hub CLIP; on task scenes, how well it matches its own prompt by the task\'s own small CLIP, trained on the world\'s images and captions, blind spots included; class-prob: an image classifier\'s probability of the target class; aesthetic: an aesthetic head on CLIP embeddings). Or a weighted mix of the parts, their weighted mean: e.g. fidelity:0.7,clip-score:0.3 on task scenes.', group: 'run', scope: 'image',
  },
  {
    key: 'imageRewardModel', type: 'model', default: 'Xenova/clip-vit-base-patch32', urlKey: 'rwm', cliFlag: '--reward-model',
    label: 'Image reward model', help: 'Image tasks with a learned reward: the Hub model that scores the images (a CLIP model for clip-score, an image classifier for class-prob, an aesthetic head for aesthetic; optionally @revision). Task scenes: embedded, its own shipped CLIP.', group: 'run', scope: 'image',
  },
  {
    key: 'imageRewardTarget', type: 'text', default: '', urlKey: 'rwt', cliFlag: '--reward-target',
    label: 'Image reward target', help: 'Image tasks with clip-score: the text the images should match (e.g. a photo of a red car; not on task scenes, where each image is matched with its own prompt); with class-prob: the class whose probability is the reward.', group: 'run', scope: 'image',
  },
  {
    key: 'scenePrompts', type: 'text', default: '', maxLength: 2000, urlKey: 'sp', cliFlag: '--scene-prompts',
    label: 'Scene prompts', help: 'Task scenes: your prompts in the scenes grammar, separated by semicolons (e.g. two small yellow triangles at the top; a red circle left of a blue square); a word outside the grammar is refused by name. Empty: the task\'s 48 prompts (seen, held-out and relation prompts).', group: 'run', scope: 'image',
  },
  {
    key: 'imageSize', type: 'int', default: 32, min: 16, max: 64, urlKey: 'isz', cliFlag: '--image-size',
    label: 'Image size', help: 'Task scenes: the side of the images the denoiser draws and is trained on, in pixels (32 is the size it was pre-trained at; 48 is the resolution-adaptation experiment); a multiple of 16.', group: 'sampling', scope: 'image',
  },
  {
    key: 'ddimSteps', type: 'int', default: SHAPES_SAMPLER.steps, min: 1, max: 200, urlKey: 'ddim', cliFlag: '--ddim-steps',
    label: 'DDIM steps', help: 'Image tasks: denoising steps per image; fewer are faster and rougher.', group: 'sampling', scope: 'image',
  },
  {
    key: 'guidance', type: 'number', default: SHAPES_SAMPLER.guidance, min: 1, max: 10, urlKey: 'cfg', cliFlag: '--guidance',
    label: 'Guidance scale', help: 'The shapes task: how strongly the picture follows its label (classifier-free guidance; 1 = plain conditional sampling). A Hub UNet has no guidance.', group: 'sampling', scope: 'image',
  },
  {
    key: 'noiseDraws', type: 'int', default: SHAPES_RAFT.noiseDraws, min: 1, max: 64, urlKey: 'nd', cliFlag: '--noise-draws',
    label: 'Noise draws per kept image', help: 'Image tasks: each epoch trains on every kept image this many times, each with a fresh noise level and noise.', group: 'training', scope: 'image',
  },
  {
    key: 'evalImages', type: 'int', default: 256, min: 1, max: 256, urlKey: 'evi', cliFlag: '--eval-images',
    label: 'Held-out images', help: 'Image tasks: how many held-out images the denoising loss is measured on (the alignment tax): real images of the shapes task, or (hub-images) at most 16 of the base model\'s own samples.', group: 'eval', scope: 'image',
  },
  {
    key: 'imageLoraTargets', type: 'list', default: DEFAULT_UNET_LORA_TARGETS.join(','), choices: UNET_LORA_TARGETS, urlKey: 'itgt', cliFlag: '--image-lora-targets',
    label: 'UNet LoRA targets', help: 'Image tasks on a Hub diffusers UNet: which layers get adapters, by diffusers\' module names (the attention projections, and optionally the resnets\' convolutions conv1, conv2).', group: 'lora', scope: 'image',
  },
  {
    key: 'imageInitAdapter', type: 'text', default: '', urlKey: 'iad', cliFlag: '--init-adapter',
    label: 'Start from adapter', help: 'Image tasks on a Hub UNet: a PEFT LoRA adapter (a Hub id, or on the command line a folder) the run\'s adapters start from instead of fresh ones, to continue from an adapter a run saved or the lab downloaded; empty starts fresh.', group: 'lora', scope: 'image',
  },
  {
    key: 'imageLoraRank', type: 'int', default: SHAPES_RAFT.loraRank, min: 1, max: 64, urlKey: 'ilr', cliFlag: '--image-lora-rank',
    label: 'Image LoRA rank', help: 'Image tasks always train LoRA adapters on the denoiser: this is their rank when LoRA rank is 0 (a LoRA rank above 0 is used as it is).', group: 'lora', scope: 'image',
  },
  {
    key: 'rewardChunk', type: 'int', default: 32, min: 1, max: 1024, urlKey: 'rc', cliFlag: '--reward-chunk',
    label: 'Reward chunk', help: 'Code tasks: how many samples go to the verifiers at once (a failing call fails its chunk).', group: 'sampling', scope: 'language',
  },
  {
    key: 'genBatch', type: 'int', default: 64, min: 1, max: 512, urlKey: 'gb', cliFlag: '--gen-batch',
    label: 'Generation batch', help: 'How many completions are written in one batched pass (larger is faster and needs more memory).', group: 'sampling', scope: 'language',
  },
  {
    key: 'rewardFailureLimit', type: 'number', default: 0.5, min: 0, max: 1, urlKey: 'rfl', cliFlag: '--reward-failure-limit',
    label: 'Reward failure limit', help: 'A cycle in which more than this share of the rewards failed (threw, or gave no number in 0..1) stops the run, which can resume from its last finished cycle (1 never stops).', group: 'sampling', scope: 'language',
  },
] as const satisfies readonly FieldRow[];

type Row = (typeof FIELDS)[number];

/** The value type of a row, from its kind: numbers, booleans, one of the choices, or a string. */
type ValueOfRow<R extends Row> = R extends { type: 'int' | 'number' }
  ? number
  : R extends { type: 'boolean' }
    ? boolean
    : R extends { type: 'choice'; mixOf: readonly string[] }
      ? string
      : R extends { type: 'choice'; choices: readonly (infer C extends string)[] }
      ? C
      : string;

/** A run's whole configuration: one property per row of the table, typed by the row's kind. */
export type RunConfig = { -readonly [R in Row as R['key']]: ValueOfRow<R> };

export type ConfigKey = keyof RunConfig;
export type ConfigValue = RunConfig[ConfigKey];

// Compile-time check: every row's default has its kind's type.
type WrongDefaults = keyof { [R in Row as R['default'] extends ValueOfRow<R> ? never : R['key']]: R };
const _defaultsFitTheirKind: [WrongDefaults] extends [never] ? true : WrongDefaults = true;
void _defaultsFitTheirKind;

/** One row of the table, typed by its key. */
export interface ConfigField<K extends ConfigKey = ConfigKey> extends Omit<FieldRow, 'key' | 'default'> {
  key: K;
  default: RunConfig[K];
}

/** A field of any key, discriminated by `key` (so `default` has the right type per row). */
export type AnyConfigField = { [K in ConfigKey]: ConfigField<K> }[ConfigKey];

/** The single table of settings, in display order. */
export const CONFIG_FIELDS: readonly AnyConfigField[] = FIELDS;

/** Lookups by key, URL key and CLI flag (Maps, so names like `__proto__` are just unknown keys). */
export const FIELD_BY_KEY: ReadonlyMap<string, AnyConfigField> = new Map(CONFIG_FIELDS.map((f) => [f.key, f]));
export const FIELD_BY_URL_KEY: ReadonlyMap<string, AnyConfigField> = new Map(CONFIG_FIELDS.map((f) => [f.urlKey, f]));
export const FIELD_BY_CLI_FLAG: ReadonlyMap<string, AnyConfigField> = new Map(CONFIG_FIELDS.map((f) => [f.cliFlag, f]));

export function fieldOf<K extends ConfigKey>(key: K): ConfigField<K> {
  return FIELD_BY_KEY.get(key) as unknown as ConfigField<K>;
}

/**
 * The settings an image task document (a custom task of `"kind": "image"`) decides itself: its reward, prompts and
 * image size. A run on such a document leaves them at their defaults (checks.ts refuses other values).
 */
export const IMAGE_DOCUMENT_SETTINGS: readonly ConfigKey[] = ['imageReward', 'imageRewardModel', 'imageRewardTarget', 'scenePrompts', 'imageSize'];

/**
 * Whether a setting does anything for this task: a custom task with an image document (`taskDoc`) takes the image
 * settings but those its document decides (IMAGE_DOCUMENT_SETTINGS).
 */
export function fieldApplies(field: { key?: string; scope?: FieldScope }, task: string, taskDoc = ''): boolean {
  const imageDoc = task === 'custom' && imageDocumentModel(taskDoc) !== null;
  if (imageDoc && (IMAGE_DOCUMENT_SETTINGS as readonly string[]).includes(field.key ?? '')) return false;
  return field.scope === undefined || field.scope === (imageDoc || isImageTaskName(task) ? 'image' : 'language');
}
