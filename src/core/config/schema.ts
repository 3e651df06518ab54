/**
 * The one run-configuration schema of RAFT Lab.
 *
 * `CONFIG_FIELDS` is the single table (in the spirit of TensorFlow Playground's state.ts) from which
 * everything else is derived: the defaults, strict parsing of raw strings, CLI flags (cli.ts),
 * URL hash keys (url.ts) and the lab's controls (src/app/config-controls.ts). Add a setting by adding a field to `RunConfig`
 * and one row to the table; the compile-time check at the bottom of the table catches a missing row.
 *
 * Raw values are only ever treated as data: they are matched against patterns and ranges, never evaluated.
 */

/** Tasks the lab can train on. Add a task id here (and its implementation elsewhere) to offer it. */
export const TASKS = ['sentiment', 'arithmetic', 'c-programs', 'python-functions', 'answer-key', 'shapes', 'custom'] as const;
export type TaskName = (typeof TASKS)[number];

/** Tasks that run on the diffusion engine (images) instead of a language model. */
export const IMAGE_TASKS: readonly TaskName[] = ['shapes'];

export function isImageTaskName(task: string): boolean {
  return (IMAGE_TASKS as readonly string[]).includes(task);
}

// selection modes and LoRA targets are defined where they are implemented
import { LORA_TARGETS, type LoraTarget } from '../lm/lora-config';
import { SELECT_MODES, type SelectMode } from '../raft/select';
import { IMAGE_REWARD_NAMES, type ImageRewardName } from '../diffusion/rewards';
import { SHAPES_RAFT, SHAPES_SAMPLER } from '../diffusion/shapes-recipe';
import { decodeTaskLink, encodeTaskLink } from './task-link';
import { parseTaskDocument, taskDocumentJson } from '../tasks/custom/document';
export { LORA_TARGETS, SELECT_MODES, type LoraTarget, type SelectMode };

/** Tasks without a model of their own: `model: embedded` is this shared embedded model (public/models/<name>). */
export const TASK_SHARED_MODEL: Readonly<Partial<Record<TaskName, 'generalist'>>> = { 'answer-key': 'generalist' };

/** Built-in language tasks a run can measure as general capability (the `general` setting). */
export const GENERAL_TASKS = ['sentiment', 'arithmetic', 'python-functions', 'c-programs', 'answer-key'] as const;

/** Alignment methods the lab compares. */
export const METHODS = ['raft', 'uft', 'sft', 'best-of-k', 'ppo', 'grpo', 'rloo', 'online-dpo', 'domain-raft'] as const;
export type Method = (typeof METHODS)[number];

export interface RunConfig {
  task: TaskName;
  /**
   * Task `custom`: the task document (tasks/custom/document.ts) as canonical JSON; '' for the built-in tasks. Links
   * and CLI arguments carry it deflated and base64url-encoded (config/task-link.ts).
   */
  taskDoc: string;
  /**
   * Language tasks: the model to fine-tune: `embedded` (the task's shipped model), a Hub id `org/name[@revision]`,
   * an http(s) URL of a folder in the Hub's layout, or (CLI) a local folder. The Hub endpoint is a setting of the
   * machine, never part of the run (core/hub/source.ts).
   */
  model: string;
  /** Language tasks on a Hub Instruct model: wrap each prompt in the model's chat template. */
  chatTemplate: boolean;
  seed: number;
  cycles: number;
  promptsPerCycle: number;
  /** K: completions sampled per prompt. */
  samplesPerPrompt: number;
  select: SelectMode;
  /** Alignment method: RAFT, UFT, plain SFT on the corpus, or best-of-K at inference (no training). */
  method: Method;
  /** RSO soft selection: accept a sample with probability exp((r - r_max) / softBeta). */
  softBeta: number;
  /** DART-style quotas: extra sampling rounds for prompts with no sample at or above rewardThreshold (0 = off). */
  quotaTrials: number;
  /** UFT: beta of the implicit reward r = beta * (log pi - log pi_ref). */
  uftBeta: number;
  /** UFT: demonstrations per scored sample in a cycle's training data. */
  uftDemoRatio: number;
  /** UFT: train on all scored samples or only the selected ones. */
  uftScored: 'all' | 'selected';
  /** GRPO: beta of the k3 KL penalty to the reference (TRL's `beta`). */
  grpoBeta: number;
  /** GRPO: the clip range of the policy ratio (TRL's `epsilon`). */
  epsilon: number;
  /** GRPO: how advantages are scaled (TRL's `scale_rewards`). */
  scaleRewards: 'group' | 'batch' | 'none';
  /** RLOO: beta of the KL to the reference folded into the reward (TRL's `beta`). */
  rlooBeta: number;
  /** Online DPO: beta of the DPO loss (TRL's `beta`). */
  dpoBeta: number;
  /** PPO (TRL's names): passes over a cycle's samples, discount, GAE lambda, clip ranges, value-loss weight. */
  ppoEpochs: number;
  gamma: number;
  lam: number;
  cliprange: number;
  cliprangeValue: number;
  vfCoef: number;
  /** PPO: the KL penalty's first coefficient and the adaptive controller (TRL's init_kl_coef, target, horizon, adap_kl_ctrl). */
  initKlCoef: number;
  klTarget: number;
  klHorizon: number;
  adapKlCtrl: boolean;
  /**
   * Domain-RAFT (methods/domain-raft.ts), each part switchable for ablation: rewriting the references in the model's
   * own words, keeping only rewrites that agree with the reference, answer-conditioned on-policy distillation over the
   * teacher's top K tokens at temperature drTau, and EMA balancing of the SFT and distillation losses.
   */
  drRewrite: boolean;
  drFilter: boolean;
  drDistill: boolean;
  drTopK: number;
  drTau: number;
  drBalance: 'ema' | 'fixed';
  drEmaDecay: number;
  /** Other tasks evaluated on the same model every cycle (general capability: forgetting); '' = none. */
  general: string;
  keepPerPrompt: number;
  keepTopPercent: number;
  rewardThreshold: number;
  minKept: number;
  temperature: number;
  /** 0 = off. */
  topK: number;
  topP: number;
  maxNewTokens: number;
  lr: number;
  /** Multiplier applied to lr after each cycle. */
  lrDecay: number;
  /** Learning rate used instead of lr when LoRA is on. */
  loraLr: number;
  epochsPerCycle: number;
  batchSize: number;
  /** Global-norm gradient clipping; 0 = off. */
  gradClip: number;
  /** LoRA rank; 0 = full fine-tuning. */
  lora: number;
  loraAlpha: number;
  /** Comma list, subset of LORA_TARGETS, canonical order, e.g. "q,k,v,o" or "c_attn" (lm/lora-config.ts). */
  loraTargets: string;
  evalPrompts: number;
  evalSamplesPerPrompt: number;
  /** Held-out reference texts perplexity is measured on. */
  evalTexts: number;
  earlyStop: boolean;
  /** Early stop: cycles in a row without an improvement of the best eval reward by more than minDelta. */
  patience: number;
  /** Early stop: the least rise of the eval reward over the best so far that counts as an improvement. */
  minDelta: number;
  /** Image tasks (`shapes`): the reward computed from the pixels. */
  imageReward: ImageRewardName;
  /** Image tasks: DDIM sampling steps for training samples and evaluation. */
  ddimSteps: number;
  /** Image tasks: classifier-free guidance scale (1 = plain conditional sampling). */
  guidance: number;
  /** Image tasks: how often each kept image is drawn per epoch, each time with a fresh timestep and noise. */
  noiseDraws: number;
  /** Language tasks: samples handed to a batched reward (a verifier pool) at once. */
  rewardChunk: number;
  /** Language tasks: rows generated in one batched forward pass (memory bound). */
  genBatch: number;
}

export type ConfigKey = keyof RunConfig;
export type ConfigValue = RunConfig[ConfigKey];
export type FieldType = 'int' | 'number' | 'boolean' | 'choice' | 'list' | 'model' | 'task';
export type ConfigGroup = 'run' | 'sampling' | 'selection' | 'training' | 'lora' | 'eval';

export const CONFIG_GROUPS: readonly ConfigGroup[] = ['run', 'sampling', 'selection', 'training', 'lora', 'eval'];

export interface ConfigField<K extends ConfigKey = ConfigKey> {
  key: K;
  type: FieldType;
  default: RunConfig[K];
  /** Inclusive bounds, for 'int' and 'number'. */
  min?: number;
  max?: number;
  /** Allowed values for 'choice'; allowed items for 'list'. */
  choices?: readonly string[];
  /** 'list': the empty list is allowed (written '' or none). */
  emptyOk?: boolean;
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

/** Language tasks (a GPT writes text) or image tasks (a denoiser draws pictures). */
export type FieldScope = 'language' | 'image';

/** Whether a setting does anything for this task. */
export function fieldApplies(field: { scope?: FieldScope }, task: string): boolean {
  return field.scope === undefined || field.scope === (isImageTaskName(task) ? 'image' : 'language');
}

/** A field of any key, discriminated by `key` (so `default` has the right type per row). */
export type AnyConfigField = { [K in ConfigKey]: ConfigField<K> }[ConfigKey];

const MAX_SEED = 2 ** 31 - 1;

const FIELDS = [
  // run
  {
    key: 'task', type: 'choice', default: 'sentiment', choices: TASKS, urlKey: 'task', cliFlag: '--task',
    label: 'Task', help: 'Which task (prompts plus reward function) to fine-tune the model on; custom is your own task document.', group: 'run',
  },
  {
    key: 'taskDoc', type: 'task', default: '', urlKey: 'td', cliFlag: '--task-doc',
    label: 'Your task', help: 'The custom task\'s document: prompts, reward and generation defaults (JSON, or its link form; the CLI\'s --task-file reads it from a file).', group: 'run', scope: 'language',
  },
  {
    key: 'model', type: 'model', default: 'embedded', urlKey: 'model', cliFlag: '--model',
    label: 'Model', help: 'The language model to fine-tune: embedded (the task\'s own small model), generalist (one small model of all four language tasks), a Hugging Face Hub id such as distilgpt2, HuggingFaceTB/SmolLM2-135M or Qwen/Qwen3-0.6B (GPT-2, Llama, Qwen2 and Qwen3 models; optionally @revision), or the URL of a folder in the Hub\'s layout.', group: 'run', scope: 'language',
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
    label: 'Method', help: 'RAFT fine-tunes on the best samples; UFT trains on all scored samples and demonstrations with one loss; SFT trains on the corpus only; best-of-K trains nothing and keeps the best of K samples at evaluation; PPO (with a value head and a KL penalty), GRPO and RLOO push up samples that beat what was expected of them (policy gradients); online DPO prefers each prompt\'s best sample over its worst.', group: 'run',
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
    label: 'GRPO clip range', help: 'GRPO: how far the probability of a sampled token may move from when it was sampled before its update stops counting.', group: 'training', scope: 'language',
  },
  {
    key: 'scaleRewards', type: 'choice', default: 'group', choices: ['group', 'batch', 'none'], urlKey: 'gsr', cliFlag: '--scale-rewards',
    label: 'GRPO reward scaling', help: 'GRPO: a sample\'s advantage is its reward minus its prompt\'s mean, divided by the standard deviation of its prompt\'s rewards (group), of the whole batch (batch), or not divided (none).', group: 'training', scope: 'language',
  },
  {
    key: 'rlooBeta', type: 'number', default: 0.05, min: 0, max: 10, urlKey: 'rlb', cliFlag: '--rloo-beta',
    label: 'RLOO beta', help: 'RLOO: the KL to the base model, times this, is taken off each sample\'s reward (0 turns it off).', group: 'training', scope: 'language',
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
    label: 'LoRA rank', help: 'Train small low-rank adapters of this rank instead of all weights (0 fine-tunes all weights).', group: 'lora',
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
    label: 'Perplexity texts', help: 'How many held-out texts of the pre-training corpus perplexity is measured on (the alignment tax).', group: 'eval',
  },
  {
    key: 'general', type: 'list', default: '', emptyOk: true, choices: GENERAL_TASKS, urlKey: 'gen', cliFlag: '--general',
    label: 'General tasks', help: 'Other tasks measured on the same model every cycle (their reward, pass rate and perplexity), to see what fine-tuning on this task costs them: forgetting. Most useful on the generalist model.', group: 'eval', scope: 'language',
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
    key: 'imageReward', type: 'choice', default: 'redness', choices: IMAGE_REWARD_NAMES, urlKey: 'rw', cliFlag: '--reward',
    label: 'Image reward', help: 'Image tasks only: what the reward measures in the pixels (redness, left-right symmetry, brightness, contrast, shape count matching the prompt, or red and symmetric half and half).', group: 'run', scope: 'image',
  },
  {
    key: 'ddimSteps', type: 'int', default: SHAPES_SAMPLER.steps, min: 1, max: 200, urlKey: 'ddim', cliFlag: '--ddim-steps',
    label: 'DDIM steps', help: 'Image tasks: denoising steps per image; fewer are faster and rougher.', group: 'sampling', scope: 'image',
  },
  {
    key: 'guidance', type: 'number', default: SHAPES_SAMPLER.guidance, min: 1, max: 10, urlKey: 'cfg', cliFlag: '--guidance',
    label: 'Guidance scale', help: 'Image tasks: how strongly the picture follows its label (classifier-free guidance; 1 = plain conditional sampling).', group: 'sampling', scope: 'image',
  },
  {
    key: 'noiseDraws', type: 'int', default: SHAPES_RAFT.noiseDraws, min: 1, max: 64, urlKey: 'nd', cliFlag: '--noise-draws',
    label: 'Noise draws per kept image', help: 'Image tasks: each epoch trains on every kept image this many times, each with a fresh noise level and noise.', group: 'training', scope: 'image',
  },
  {
    key: 'rewardChunk', type: 'int', default: 32, min: 1, max: 1024, urlKey: 'rc', cliFlag: '--reward-chunk',
    label: 'Reward chunk', help: 'Code tasks: how many samples go to the verifiers at once (a failing call fails its chunk).', group: 'sampling', scope: 'language',
  },
  {
    key: 'genBatch', type: 'int', default: 64, min: 1, max: 512, urlKey: 'gb', cliFlag: '--gen-batch',
    label: 'Generation batch', help: 'How many completions are written in one batched pass (larger is faster and needs more memory).', group: 'sampling', scope: 'language',
  },
] as const satisfies readonly AnyConfigField[];

// Compile-time check: every RunConfig key has a row in the table.
type MissingRows = Exclude<ConfigKey, (typeof FIELDS)[number]['key']>;
const _everyKeyHasARow: [MissingRows] extends [never] ? true : MissingRows = true;
void _everyKeyHasARow;

/** The single table of settings, in display order. */
export const CONFIG_FIELDS: readonly AnyConfigField[] = FIELDS;

/** Lookups by key, URL key and CLI flag (Maps, so names like `__proto__` are just unknown keys). */
export const FIELD_BY_KEY: ReadonlyMap<string, AnyConfigField> = new Map(CONFIG_FIELDS.map((f) => [f.key, f]));
export const FIELD_BY_URL_KEY: ReadonlyMap<string, AnyConfigField> = new Map(CONFIG_FIELDS.map((f) => [f.urlKey, f]));
export const FIELD_BY_CLI_FLAG: ReadonlyMap<string, AnyConfigField> = new Map(CONFIG_FIELDS.map((f) => [f.cliFlag, f]));

export function fieldOf<K extends ConfigKey>(key: K): ConfigField<K> {
  return FIELD_BY_KEY.get(key) as unknown as ConfigField<K>;
}

export const DEFAULT_CONFIG: RunConfig = Object.freeze(
  Object.fromEntries(CONFIG_FIELDS.map((f) => [f.key, f.default])) as unknown as RunConfig,
) as RunConfig;

/**
 * A configuration read back from storage (a saved run, a run file, a run directory) with every setting it lacks at
 * its default: a run saved before a setting existed ran with the value that is now its default (DDIM steps, reward
 * chunk, ...), so it resumes, exports and shares as it ran.
 */
export function completeConfig(stored: Partial<RunConfig>): RunConfig {
  const out = { ...DEFAULT_CONFIG } as Record<string, ConfigValue>;
  for (const f of CONFIG_FIELDS) {
    const v = (stored as Record<string, ConfigValue | undefined>)[f.key];
    if (v !== undefined) out[f.key] = v;
  }
  return out as unknown as RunConfig;
}

/** A fresh, mutable copy of the defaults. */
export function defaultConfig(): RunConfig {
  return { ...DEFAULT_CONFIG };
}

/**
 * Settings a task recommends over the global defaults: its defaults are DEFAULT_CONFIG with these on top (URLs and
 * CLI argument lists omit values equal to their task's defaults). Verifier tasks keep only fully correct samples
 * (threshold 1, no floor): per-prompt selection would also keep each prompt's best failure and teach "runs but
 * wrong". Set from measured runs; see the README's task sections.
 */
export const TASK_DEFAULTS: Readonly<Partial<Record<TaskName, Readonly<Partial<RunConfig>>>>> = {
  // binary reward: train only on right answers (per-prompt would keep each prompt's best wrong answer); 128 prompts x 8
  // samples a cycle (a cycle takes ~10 s), every eval prompt (128 x 4 samples)
  // (measured, seed 1: pass .379 -> .754 in 5 cycles; 32 x 6 gave .398 -> .559, lr 1e-3 stayed flat; see README)
  arithmetic: { select: 'threshold', rewardThreshold: 1, minKept: 0, promptsPerCycle: 128, samplesPerPrompt: 8, evalPrompts: 128 },
  // DART-style extra rounds for prompts with no passing sample help most (measured: pass .141 -> .293 in 5 cycles)
  'python-functions': { select: 'threshold', rewardThreshold: 1, minKept: 0, promptsPerCycle: 64, samplesPerPrompt: 8, quotaTrials: 4 },
  // only correct programs, a small rate with more steps, 64 x 8 samples; 32 eval prompts keep 5 cycles near 15 min on
  // 2 cores (measured, seed 1: pass .164 -> .305; per-prompt selection or lr 1e-3 lower it, see c-programs/index.ts)
  'c-programs': {
    select: 'threshold', rewardThreshold: 1, minKept: 1, promptsPerCycle: 64, samplesPerPrompt: 8, lr: 2e-4, epochsPerCycle: 4,
    batchSize: 32, evalPrompts: 32,
  },
  // image task: a cycle uses each of the 7 labels once; global selection of the reddest fifth and a small LoRA rate
  // (measured, seed 1: eval redness .085 -> .256 in 4 cycles, held-out denoising loss +17%; the language defaults,
  // per-prompt at 3e-3, pay more fidelity for the same reward)
  shapes: { select: 'global', loraLr: 0.00025, promptsPerCycle: 7, evalPrompts: 7 },
  // the domain-RAFT experiment on the generalist: like arithmetic (only right answers for RAFT), and the general
  // tasks whose metrics show forgetting measured every cycle
  'answer-key': { select: 'threshold', rewardThreshold: 1, minKept: 0, promptsPerCycle: 128, samplesPerPrompt: 8, evalPrompts: 128, general: 'sentiment,python-functions,c-programs' },
};

/**
 * What a Hub model changes in the defaults: LoRA (rank 8) instead of full fine-tuning, since a real model's weights,
 * gradients and Adam moments rarely fit a browser tab. A run that sets `lora` keeps its value.
 */
export const HUB_MODEL_DEFAULTS: Readonly<Partial<RunConfig>> = { lora: 8 };

/** The defaults of a task on a model: DEFAULT_CONFIG, TASK_DEFAULTS[task], and HUB_MODEL_DEFAULTS for a Hub model. */
export function runDefaults(task: TaskName, model = 'embedded'): RunConfig {
  return { ...DEFAULT_CONFIG, ...(TASK_DEFAULTS[task] ?? {}), ...(isEmbeddedModel(model) ? {} : HUB_MODEL_DEFAULTS), task, model };
}

/** `embedded` (the task's shipped model) and `generalist` (the shared model of the language tasks) are shipped models, not Hub ids. */
export function isEmbeddedModel(model: string): boolean {
  return model === 'embedded' || model === 'generalist';
}

/** The defaults of one task (DEFAULT_CONFIG plus TASK_DEFAULTS[task]) on the embedded model. */
export function taskDefaults(task: TaskName): RunConfig {
  return runDefaults(task);
}

/** `config` with the fields still at `from`'s defaults moved to `to`'s; fields the user changed keep their values. */
function rebase(config: RunConfig, from: RunConfig, to: RunConfig, key: 'task' | 'model'): RunConfig {
  const next = { ...config, [key]: to[key] } as Record<ConfigKey, ConfigValue>;
  for (const field of CONFIG_FIELDS) {
    if (field.key === 'task' || field.key === 'model') continue;
    if (sameValue(field, config[field.key], from[field.key])) next[field.key] = to[field.key];
  }
  return next as unknown as RunConfig;
}

/**
 * The config switched to another task: fields still at the old task's defaults take the new task's defaults; fields
 * the user changed keep their values.
 */
export function withTask(config: RunConfig, task: TaskName): RunConfig {
  return rebase(config, runDefaults(config.task, config.model), runDefaults(task, config.model), 'task');
}

/** The config switched to another model, the same way (a Hub model brings LoRA with it, unless lora was set). */
export function withModel(config: RunConfig, model: string): RunConfig {
  return rebase(config, runDefaults(config.task, config.model), runDefaults(config.task, model), 'model');
}

export interface ConfigProblem {
  /** Field key, or the unknown key / flag / URL key as given. */
  key: string;
  /** The raw value as given (data only; escape it before showing it in HTML). */
  value: string;
  message: string;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; message: string };

const INT_RE = /^[+-]?\d+$/;
const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The raw value quoted for a message: JSON-escaped, long values shortened. */
export function quoteRaw(raw: string, max = 60): string {
  return JSON.stringify(raw.length > max ? `${raw.slice(0, max)}…` : raw);
}

/** The canonical string form of a value, as written to URLs and CLI flags. */
export function formatFieldValue(field: AnyConfigField, value: ConfigValue): string {
  if (field.type === 'task' && value !== '') return encodeTaskLink(String(value));
  return String(value);
}

/** Human-readable description of what a field accepts, e.g. "integer 1..64" or "per-prompt|global|threshold". */
export function describeFieldRange(field: AnyConfigField): string {
  switch (field.type) {
    case 'int':
      return `integer ${field.min}..${field.max}`;
    case 'number':
      return `number ${field.min}..${field.max}`;
    case 'boolean':
      return 'true|false';
    case 'choice':
      return (field.choices ?? []).join('|');
    case 'list':
      return `comma list of ${(field.choices ?? []).join(',')}`;
    case 'model':
      return 'embedded|generalist|org/name[@revision]|https://folder/|DIR';
    case 'task':
      return 'a task document (JSON, or its link form z...)';
  }
}

/**
 * A model setting: `embedded`, a Hub id with an optional revision, an http(s) URL, or a local folder path (the
 * CLI tells a folder from an id by whether it exists). Only the form is checked here: printable, at most 300
 * characters, no spaces.
 */
const MODEL_RE = /^[\w.~:/@%+=-]{1,300}$/;

/** Parse a raw string for one field, strictly. Never throws. */
export function parseFieldValue<K extends ConfigKey>(field: ConfigField<K>, raw: string): ParseResult<RunConfig[K]>;
export function parseFieldValue(field: AnyConfigField, raw: string): ParseResult<ConfigValue>;
export function parseFieldValue(field: ConfigField, raw: string): ParseResult<ConfigValue> {
  const got = `(got ${quoteRaw(raw)})`;
  const min = field.min ?? -Infinity;
  const max = field.max ?? Infinity;
  switch (field.type) {
    case 'int': {
      const n = INT_RE.test(raw) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(n) || n < min || n > max) {
        return { ok: false, message: `${field.key} must be an integer between ${min} and ${max} ${got}` };
      }
      return { ok: true, value: n === 0 ? 0 : n }; // no -0
    }
    case 'number': {
      const n = NUMBER_RE.test(raw) ? Number(raw) : NaN;
      if (!Number.isFinite(n) || n < min || n > max) {
        return { ok: false, message: `${field.key} must be a number between ${min} and ${max} ${got}` };
      }
      return { ok: true, value: n === 0 ? 0 : n };
    }
    case 'boolean': {
      if (raw === 'true' || raw === '1') return { ok: true, value: true };
      if (raw === 'false' || raw === '0') return { ok: true, value: false };
      return { ok: false, message: `${field.key} must be true or false (or 1 or 0) ${got}` };
    }
    case 'choice': {
      const choices = field.choices ?? [];
      if (choices.includes(raw)) return { ok: true, value: raw };
      return { ok: false, message: `${field.key} must be one of ${choices.join(', ')} ${got}` };
    }
    case 'list': {
      const allowed = field.choices ?? [];
      const expected = `${field.key} must be a non-empty comma-separated list of ${allowed.join(', ')} without repeats`;
      if (field.emptyOk && (raw.trim() === '' || raw.trim() === 'none')) return { ok: true, value: '' };
      const items = raw.split(',').map((s) => s.trim());
      if (raw.trim() === '') return { ok: false, message: `${expected} ${got}` };
      const seen = new Set<string>();
      for (const item of items) {
        if (item === '') return { ok: false, message: `${expected}; it has an empty item ${got}` };
        if (!allowed.includes(item)) return { ok: false, message: `${expected}; ${quoteRaw(item, 20)} is not one of them ${got}` };
        if (seen.has(item)) return { ok: false, message: `${expected}; ${quoteRaw(item, 20)} appears twice ${got}` };
        seen.add(item);
      }
      // Canonical order, so equal sets give equal strings (and equal URLs).
      return { ok: true, value: allowed.filter((a) => seen.has(a)).join(',') };
    }
    case 'model': {
      if (!MODEL_RE.test(raw) || raw.includes('..@') || /^[@/]*$/.test(raw)) {
        return { ok: false, message: `${field.key} must be embedded, a Hub id org/name[@revision], an http(s) URL or a folder ${got}` };
      }
      return { ok: true, value: raw };
    }
    case 'task': {
      if (raw === '') return { ok: true, value: '' };
      let json = raw;
      if (!raw.trimStart().startsWith('{')) {
        const decoded = decodeTaskLink(raw);
        if (!decoded.ok) return { ok: false, message: `${field.key}: ${decoded.message}` };
        json = decoded.json;
      }
      try {
        return { ok: true, value: taskDocumentJson(parseTaskDocument(json)) };
      } catch (e) {
        return { ok: false, message: `${field.key}: ${(e as Error).message}` };
      }
    }
  }
}

function setField(config: RunConfig, field: AnyConfigField, value: ConfigValue): void {
  (config as unknown as Record<string, ConfigValue>)[field.key] = value;
}

/**
 * Build a config from raw `[key, value]` entries, keyed by CLI flag (`--samples-per-prompt`) or URL key (`k`).
 * Starts from `base` (defaults unless given); later entries override earlier ones. Unknown keys and bad values
 * become problems and leave the base value in place. Cross-field checks are separate: see `checkConfig`.
 */
export function resolveConfig(
  entries: ReadonlyArray<readonly [key: string, raw: string]>,
  keyOf: 'cliFlag' | 'urlKey',
  base: RunConfig = DEFAULT_CONFIG,
): { config: RunConfig; problems: ConfigProblem[] } {
  const lookup = keyOf === 'cliFlag' ? FIELD_BY_CLI_FLAG : FIELD_BY_URL_KEY;
  let config: RunConfig = { ...base };
  const problems: ConfigProblem[] = [];
  // the task, then the model first: their defaults are the base that the other entries change
  const rank = (key: string) => ({ task: 0, model: 1 })[lookup.get(key)?.key as 'task' | 'model'] ?? 2;
  const ordered = [...entries].sort((a, b) => rank(a[0]) - rank(b[0]));
  for (const [key, raw] of ordered) {
    const field = lookup.get(key);
    if (!field) {
      const what = keyOf === 'cliFlag' ? 'flag' : 'URL key';
      problems.push({ key, value: raw, message: `unknown ${what} ${quoteRaw(key, 40)}` });
      continue;
    }
    const parsed = parseFieldValue(field, raw);
    if (parsed.ok && field.key === 'task') config = withTask(config, parsed.value as TaskName);
    else if (parsed.ok && field.key === 'model') config = withModel(config, parsed.value as string);
    else if (parsed.ok) setField(config, field, parsed.value);
    else problems.push({ key: field.key, value: raw, message: parsed.message });
  }
  return { config, problems };
}

/** Checks that involve more than one field. Each field is assumed to be individually valid. */
export function checkConfig(config: RunConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (key: ConfigKey, message: string) => problems.push({ key, value: String(config[key]), message });
  if (config.select === 'per-prompt' && config.keepPerPrompt > config.samplesPerPrompt) {
    add(
      'keepPerPrompt',
      `keepPerPrompt (${config.keepPerPrompt}) must be at most samplesPerPrompt (${config.samplesPerPrompt}): a prompt cannot keep more samples than it has`,
    );
  }
  if (config.topK === 1 && config.samplesPerPrompt > 1) {
    add(
      'topK',
      `topK = 1 always picks the most likely token, so all ${config.samplesPerPrompt} samples of a prompt would be identical and ranking them is pointless; use 0 (off) or at least 2`,
    );
  }
  const total = config.promptsPerCycle * config.samplesPerPrompt;
  if (config.minKept > total) {
    add(
      'minKept',
      `minKept (${config.minKept}) is more than the ${total} samples a cycle draws (promptsPerCycle × samplesPerPrompt), so threshold selection would always keep every sample`,
    );
  }
  if (isImageTaskName(config.task) && config.model !== 'embedded') {
    add('model', `image tasks (${config.task}) train the embedded denoiser; model ${config.model} is for language tasks`);
  }
  if (isImageTaskName(config.task) && config.method !== 'raft') {
    add('method', `image tasks (${config.task}) run RAFT only; method ${config.method} is for language tasks`);
  }
  if (config.task === 'custom' && config.taskDoc === '') {
    add('taskDoc', 'task custom needs a task document (the lab\'s "Your task" editor; the CLI\'s --task-file, or --prompts with --reward-py)');
  }
  if (config.task !== 'custom' && config.taskDoc !== '') add('taskDoc', `a task document is for task custom, not ${config.task}`);
  const parsedTargets = parseFieldValue(fieldOf('loraTargets'), config.loraTargets);
  if (!parsedTargets.ok) add('loraTargets', parsedTargets.message);
  return problems;
}

function sameValue(field: AnyConfigField, a: ConfigValue, b: ConfigValue): boolean {
  if (field.type === 'list' && typeof a === 'string' && typeof b === 'string') {
    const pa = parseFieldValue(field, a);
    const pb = parseFieldValue(field, b);
    if (pa.ok && pb.ok) return pa.value === pb.value;
  }
  return a === b;
}

/** Fields whose value differs from its task's defaults (the task from the global default), in table order. */
export function configDiff(config: RunConfig): Array<[AnyConfigField, ConfigValue]> {
  const diff: Array<[AnyConfigField, ConfigValue]> = [];
  const defaults = runDefaults(config.task, config.model);
  for (const field of CONFIG_FIELDS) {
    const value = config[field.key];
    const base = field.key === 'task' || field.key === 'model' ? field.default : defaults[field.key];
    if (!sameValue(field, value, base)) diff.push([field, value]);
  }
  return diff;
}
