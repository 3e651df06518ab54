/**
 * Methods as plug-ins. The cycle (prompts -> generate -> score -> select or weight -> update -> evaluate) is written
 * once, in the engine (engine.ts); a method is one module with its update step, given the engine's services as a
 * `CycleContext`: the next prompts, sampling and scoring (K per prompt, the reward, quotas), selection, the training
 * loop (epochs of shuffled batches, progress, the budget), log-probabilities under the policy and the reference.
 * A method is a folder `<name>/`: `index.ts`, its update step (this interface), and `declaration.ts`, what it
 * declares TF-free (its settings, labels, task kinds; declaration.ts here); catalog.ts says how to add one.
 */
import type * as tf from '@tensorflow/tfjs';
import type { RunConfig } from '../../config/schema';
import type { Generation } from '../../lm/generate';
import type { LanguageModel } from '../../lm/language-model';
import type { Adam } from '../../lm/adam';
import type { Batch, Sequence } from '../../lm/train';
import type { ReferenceHint, RewardResult } from '../../tasks/types';
import type { SampleRecord } from '../types';
import { mean, type CycleStats } from '../stats';

/** A generated sample with its reward. */
export interface Scored {
  promptIndex: number;
  promptTokens: number[];
  gen: Generation;
  completion: string;
  result: RewardResult;
}

/** The training fields of a cycle's stats (the clip shares from the methods that clip). */
export type TrainStats = Pick<CycleStats, 'rewardMean' | 'rewardMeanKept' | 'rewardMax' | 'keptCount' | 'keptFraction' | 'trainLoss' | 'lr'> & Partial<Pick<CycleStats, 'clipRatio' | 'clipLow' | 'clipHigh'>>;

export const NO_TRAINING: TrainStats = { rewardMean: null, rewardMeanKept: null, rewardMax: null, keptCount: 0, keptFraction: null, trainLoss: null, lr: null };

export interface MethodUpdate {
  /** The cycle's training samples, those the update used marked `kept`. */
  samples: SampleRecord[];
  stats: TrainStats;
}

/** What the engine lends a method for one cycle's update. */
export interface CycleContext {
  readonly config: RunConfig;
  readonly model: LanguageModel;
  readonly optimizer: Adam;
  /** This cycle's learning rate (the LoRA rate with LoRA, decayed per cycle). */
  readonly lr: number;
  readonly eosId: number;
  /** The next n (default promptsPerCycle) train-prompt indices (a seeded shuffle, redrawn each pass). */
  nextPrompts(n?: number): number[];
  /**
   * K samples per prompt, scored (and quota rounds when configured); counts the budget and measures the samples
   * (the sampling policy's entropy, prompts whose rewards tie, truncated completions: the cycle's stats).
   */
  sampleAndScore(prompts: number[]): Promise<Scored[]>;
  /** Indices of the samples the configured selection keeps. */
  select(scored: readonly Scored[]): Set<number>;
  record(s: Scored, kept: boolean): SampleRecord;
  /** A sample as a training sequence (prompt + completion + EOS when it ended; loss on the completion). */
  sequenceOf(s: Scored): Sequence;
  /** The next n demonstrations of the task (UFT, SFT). */
  nextDemos(n: number): Sequence[];
  /**
   * The training loop: epochsPerCycle passes over `items` shuffled by the run's train stream, in batches of
   * batchSize, one `step` per batch (an optimizer step that returns its loss); progress and the backward budget are
   * counted. `skipEmpty`: a batch with no completion token is skipped; `skip(part)`: a batch the method knows carries
   * no signal is skipped (no optimizer step: Adam would turn a rounding-level gradient into a full-size step, and its
   * moments alone move the weights). Returns the mean loss of the steps taken (null when none was).
   */
  train<T>(items: readonly T[], seqsOf: (part: readonly T[]) => Sequence[], step: (batch: Batch, part: readonly T[]) => Promise<number>, opts?: { skipEmpty?: boolean; epochs?: number; skip?: (part: readonly T[]) => boolean }): Promise<number | null>;
  /** Summed completion log-probs under the reference (the base model), no gradient. */
  referenceLogProbs(seqs: Sequence[]): Promise<number[]>;
  /** Per-token completion log-probs (in order) under the policy now and under the reference, no gradient. */
  tokenLogProbs(seqs: Sequence[], which: 'policy' | 'reference'): Promise<number[][]>;
  /** Domain-RAFT's services (methods/domain-raft): demonstrations as text, generation from texts, the hint. */
  readonly domain: DomainServices;
}

/** What only domain-RAFT uses of the engine: demonstrations as text, one sample per text, the reference model. */
export interface DomainServices {
  /** The task's reference hint, or null when it has none. */
  readonly referenceHint: ReferenceHint | null;
  /** The next n demonstrations as text, with their index in the task's list (the same order and cursor as nextDemos). */
  nextDemoTexts(n: number): Array<{ index: number; prompt: string; completion: string }>;
  /**
   * One sample per prompt text, from the policy or the reference (the frozen base model), with the run's sampling
   * settings and stop strings; counts the budget's samples and tokens generated.
   */
  generateTexts(prompts: readonly string[], which: 'policy' | 'reference'): Promise<Array<{ promptTokens: number[]; gen: Generation; completion: string }>>;
  /** The token ids a prompt text is generated from. */
  promptTokens(text: string): number[];
  /** Token ids of a text (no special tokens). */
  encode(text: string): number[];
  /** `f` on the reference model (the frozen copy, or this model with its adapters off). */
  withReference<R>(f: (m: LanguageModel) => Promise<R>): Promise<R>;
}
/** What a stateful method is created with (once per engine). */
export interface MethodEnv {
  model: LanguageModel;
  config: RunConfig;
}

/** A stateful method's state at a cycle boundary: weights (binary in the checkpoint) and numbers. */
export interface MethodState {
  weights: Map<string, { shape: number[]; values: Float32Array }>;
  values: Record<string, number>;
}

export interface Method {
  /** One cycle's update (cycles 1, 2, ...). */
  update(ctx: CycleContext): Promise<MethodUpdate>;
  /** A method with state of its own (PPO: a value head, a KL controller) makes an instance per engine. */
  create?(env: MethodEnv): Method;
  /** Trainable variables outside the model: the optimizer updates them and the checkpoint keeps them. */
  variables?(): tf.Variable[];
  /** The stable name of one of `variables()` (the optimizer's state is saved under it). */
  localName?(variableName: string): string | undefined;
  exportState?(): Promise<MethodState>;
  restoreState?(state: MethodState): void;
  dispose?(): void;
  /** The method trains nothing (best-of-K): no frozen reference copy is kept. */
  readonly trainsNothing?: boolean;
  /** Evaluation draws several samples per eval sample after cycle 0 and keeps one (best-of-K). */
  readonly evalSelection?: EvalSelection;
}

/** How a method's evaluation picks its eval samples from several draws each (best-of-K). */
export interface EvalSelection {
  /** Draws per eval sample (after cycle 0; 1 measures as every other method). */
  draws(config: RunConfig): number;
  /** The kept eval samples, one from each consecutive group of `draws`. */
  keep(scored: readonly Scored[], draws: number): Scored[];
  /** What is reported in place of the measured KL to the base model (klBound). */
  klBound(draws: number): number;
}

/** The training stats of a cycle that sampled `scored` and used `kept`. */
export function samplingStats(scored: readonly Scored[], kept: readonly Scored[], trainLoss: number | null, lr: number): TrainStats {
  const rewards = scored.map((s) => s.result.reward);
  return {
    rewardMean: mean(rewards),
    rewardMeanKept: mean(kept.map((s) => s.result.reward)),
    rewardMax: rewards.length ? Math.max(...rewards) : null,
    keptCount: kept.length,
    keptFraction: rewards.length ? kept.length / rewards.length : null,
    trainLoss,
    lr,
  };
}

/** Samples grouped by prompt, in order of first appearance (a prompt's K samples, quota rounds included). */
export function groupByPrompt(scored: readonly Scored[]): Scored[][] {
  const groups = new Map<number, Scored[]>();
  for (const s of scored) groups.set(s.promptIndex, [...(groups.get(s.promptIndex) ?? []), s]);
  return [...groups.values()];
}
