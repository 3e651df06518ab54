/**
 * What a task gives the RAFT loop: prompts (train and held-out), a reward, held-out reference text for perplexity,
 * and the pre-training corpus of its embedded base model.
 */

/** A reward in [0, 1] and, where the reward has parts, why. */
export interface RewardResult {
  reward: number;
  breakdown?: Record<string, string | number | boolean | null>;
  /** The reward failed for this sample (custom tasks: the function raised, timed out, gave no number in [0, 1]). */
  error?: string;
}

/** How a task puts a reference answer in front of a prompt, and whether a completion agrees with it (domain-RAFT). */
export interface ReferenceHint {
  /** The prompt with the reference as a hint (what the teacher and the rewriter see). */
  hint(prompt: string, reference: string): string;
  /** Does a completion reach the reference's answer (semantic filtering)? */
  agrees(prompt: string, completion: string, reference: string): boolean;
}

/** A prompt's row: its other fields (custom tasks: the JSONL row's fields besides `prompt`), passed to the reward. */
export type PromptRow = Readonly<Record<string, unknown>>;

/** One sample handed to a reward. */
export interface RewardItem {
  prompt: string;
  completion: string;
  /** The prompt's row, for tasks with rows. */
  row?: PromptRow;
}

export interface Task {
  /** Task id as used in the config (`sentiment`, ...). */
  readonly name: string;
  /** One line for people. */
  readonly description: string;
  /** Prompts RAFT samples from, in a fixed order (the loop shuffles them with the run's seed). */
  readonly trainPrompts: readonly string[];
  /** Held-out prompts for evaluation; never trained on. */
  readonly evalPrompts: readonly string[];
  /** Held-out documents of the pre-training distribution, for perplexity (the "alignment tax"). */
  readonly heldOutText: readonly string[];
  /** Demonstrations from the task's corpus (prompt + reference completion), for UFT and SFT. */
  readonly demonstrations?: ReadonlyArray<{ prompt: string; completion: string }>;
  /** A reward at or above this counts as a pass (verifier tasks); undefined = the task has no pass notion. */
  readonly passThreshold?: number;
  /** Rows of the train and eval prompts (same order), for tasks whose rewards read more than the prompt. */
  readonly trainRows?: readonly PromptRow[];
  readonly evalRows?: readonly PromptRow[];
  /** Generation stops after any of these strings (the completion keeps it). */
  readonly stop?: readonly string[];
  /** How the task shows a reference answer as a hint and checks agreement with it (domain-RAFT); absent = it cannot. */
  readonly referenceHint?: ReferenceHint;
  /** Score one completion of one prompt. */
  reward(prompt: string, completion: string, row?: PromptRow): RewardResult | Promise<RewardResult>;
  /**
   * Score a batch at once (verifier tasks: the samples go to a worker pool concurrently). Results in item order.
   * The engine uses it when present, else calls `reward` per item.
   */
  rewardMany?(items: ReadonlyArray<RewardItem>): Promise<RewardResult[]>;
}

/**
 * What the environment gives a task when it is created: the verifiers of code tasks (Node: worker threads,
 * browser: Web Workers). Tasks that do not run code ignore it; a code task without a verifier throws on creation.
 */
export interface TaskContext {
  verifier?: import('../verify/types').Verifier;
  /** Custom tasks with a learned reward: loads a Hub text classifier (Node and browser each have theirs). */
  classifier?: ClassifierLoader;
}

/** A text classifier: for each text, each label's probability. */
export interface TextClassifier {
  classify(texts: readonly string[]): Promise<Array<Record<string, number>>>;
  /** Its labels (config.json id2label), for checking a task's label before a run. */
  readonly labels: readonly string[];
  dispose(): Promise<void>;
}

export type ClassifierLoader = (model: string, revision: string) => Promise<TextClassifier>;

/** Text <-> token ids. Implementations wrap a `tokenizer.json` loaded by @huggingface/transformers. */
export interface Tokenizer {
  readonly vocabSize: number;
  /** Id of the end-of-sequence token, which also separates documents in pre-training. */
  readonly eosId: number;
  /** Token ids of a text, with no special tokens added. */
  encode(text: string): number[];
  /** Text of token ids; special tokens are dropped. */
  decode(ids: readonly number[]): string;
  /**
   * Ids a prompt is generated from; default: the end-of-sequence token (as document start) and the text. A Hub
   * tokenizer starts with its own BOS token and, with `chat`, applies the model's chat template (a user turn and
   * the assistant's generation prompt). Throws when `chat` is asked of a tokenizer without a template.
   */
  encodePrompt?(text: string, chat: boolean): number[];
}

/** The ids a prompt is generated from (see Tokenizer.encodePrompt). */
export function promptIds(tokenizer: Tokenizer, text: string, chat = false): number[] {
  if (tokenizer.encodePrompt) return tokenizer.encodePrompt(text, chat);
  if (chat) throw new Error('this model\'s tokenizer has no chat template');
  return [tokenizer.eosId, ...tokenizer.encode(text)];
}
