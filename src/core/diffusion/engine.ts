/**
 * RAFT on a denoiser (the RAFT paper's diffusion setting, small): the `shapes` task's own U-Net (shapes-denoiser.ts)
 * or a diffusers UNet from the Hub (core/diffusers/denoiser.ts), behind one interface (denoiser.ts). Per cycle take
 * the next prompts (labels),
 * sample K images per prompt with DDIM from seeded noise, reward them from their pixels, select with the language
 * tasks' selection modes (raft/select.ts), fine-tune LoRA adapters (only them) on the kept images with the denoising
 * loss, evaluate. Cycle 0 evaluates the base model (adapters are an exact no-op then).
 *
 * Evaluation uses fixed noise seeds (the same eval images can be compared across cycles) and reports the mean reward
 * and `heldOutLoss`, the denoising loss on the denoiser's held-out images (real ones for shapes; the base model's own samples for a Hub UNet) with fixed timesteps and noise. Training: each epoch
 * passes over the kept images `noiseDraws` times with fresh timesteps (uniform over the whole schedule) and noise, in
 * shuffled batches of `batchSize`, Adam on the adapters at `loraLr * lrDecay^(cycle-1)`, global-norm clipping `gradClip`.
 * Prompts are the denoiser's (the task's 7 labels, a UNet's classes, or one for an unconditional UNet): a cycle
 * takes min(promptsPerCycle, prompts) of them, evaluation the first min(evalPrompts, prompts), each with
 * evalSamplesPerPrompt fixed noise seeds; a prompt split (a custom image task's: run/prepare.ts) names which prompts
 * cycles train on and which evaluation takes, so held-out prompts are never trained on. The reward is a pixel reward (rewards.ts; on task scenes with `fidelity`,
 * each label's prompt parsed by the scenes grammar: scenes/reward.ts) or any batched `ImageRewarder` (a learned
 * reward: core/rewards/).
 * Sampler (DDIM steps, guidance) and noise draws come from the run's config. Framework-free: the same code runs in
 * the CLI, the tests and the trainer worker.
 */
import * as tf from '@tensorflow/tfjs';
import type { RunConfig } from '../config/schema';
import type { EngineState } from '../raft/engine-state';
import { Adam } from '../lm/adam';
import type { Phase, Progress } from '../raft/types';
import { PromptOrder } from '../raft/prompt-order';
import { CycleEngine, selectionOptions, type CycleTimes } from '../raft/cycle';
import { NO_TRAINING, type TrainStats } from '../raft/methods/types';
import { methodRunsOn } from '../raft/methods/catalog';
import { nextTask } from '../next-task';
import { selectSamples } from '../raft/select';
import { emptyBudget, mean, type CycleBudget } from '../raft/stats';
import { hashString, Rng } from '../rng';
import type { RewardResult } from '../tasks/types';
import type { Denoiser } from './denoiser';
import { fidelity } from '../scenes/fidelity';
import { parsePrompt, type SceneSpec } from '../scenes/grammar';
import { scenesRewarder } from '../scenes/reward';
import { imageReward, imageRewardWeights, needsScenes, type ImageRewardName, type RewardWeights } from './rewards';
import { ShapesDenoiser } from './shapes-denoiser';
import { pairwiseDiversity, type ImageCycleStats } from './stats';
import type { UNet } from './unet';
import type { ImageRewarder } from './rewarder';
import { imageTaskOf } from '../tasks/run-kind';

/** A batched image reward (rewarder.ts), exported here too for the engine's callers. */
export type { ImageRewarder } from './rewarder';

/** One generated image with its prompt, noise seed, reward and whether selection kept it. */
export interface ImageSample {
  promptIndex: number;
  prompt: string;
  seed: number;
  pixels: Float32Array;
  reward: number;
  breakdown?: RewardResult['breakdown'];
  kept: boolean;
}

export interface ImageCycleResult {
  stats: ImageCycleStats;
  /** Training samples of the cycle (empty for cycle 0). */
  samples: ImageSample[];
  /** Evaluation images: the same prompts and seeds every cycle. */
  evalSamples: ImageSample[];
}

export interface DiffusionEngineOptions {
  /** The shapes task's U-Net (wrapped as a ShapesDenoiser), or `denoiser`. */
  model?: UNet;
  denoiser?: Denoiser;
  config: RunConfig;
  /** The reward: a name of IMAGE_REWARDS, a mix (`fidelity:0.7,count:0.3`) or weights of the parts (default: config.imageReward), or `rewarder`. */
  reward?: ImageRewardName | RewardWeights;
  /** A batched reward (a learned one); replaces `reward`. */
  rewarder?: ImageRewarder;
  /** Real held-out images for heldOutLoss (default config.evalImages). */
  heldOutImages?: number;
  /**
   * Which of the denoiser's prompts (indices) cycles train on and evaluation takes (its first evalPrompts); default
   * every prompt for both. A custom image task's held-out prompts are in `eval` only; on shapes, its labels.
   */
  promptSplit?: { train: readonly number[]; eval: readonly number[] };
  /** An eval image whose reward reaches this passes (evalPassRate); default: task scenes' verified pass rate, else none. */
  passThreshold?: number | null;
  onProgress?: (p: Progress) => void;
}

/** What an image cycle's update gives its stats and result. */
interface ImageUpdate {
  samples: ImageSample[];
  budget: CycleBudget;
  train: TrainStats;
}

export class DiffusionRaftEngine extends CycleEngine<ImageCycleStats, ImageUpdate, ImageCycleResult> {
  readonly denoiser: Denoiser;
  readonly config: RunConfig;
  readonly #rewarder: ImageRewarder;
  readonly noiseDraws: number;
  readonly #onProgress?: (p: Progress) => void;
  readonly #optimizer = new Adam();
  readonly #sampleRng: Rng;
  readonly #trainRng: Rng;
  readonly #selectRng: Rng;
  readonly #evalItems: Array<{ promptIndex: number; prompt: string; label: number; seed: number }>;
  readonly #prompts: PromptOrder;
  /** The prompts (indices) cycles train on. */
  readonly #trainLabels: readonly number[];
  readonly #passThreshold: number | null;
  /** Task scenes: each prompt's parsed spec, for the verified fidelity of the eval images. */
  readonly #sceneSpecs: SceneSpec[] | null;

  constructor(opts: DiffusionEngineOptions) {
    super();
    this.config = opts.config;
    if (!opts.denoiser && !opts.model) throw new Error('an image engine needs a denoiser (or the shapes U-Net)');
    this.denoiser = opts.denoiser ?? new ShapesDenoiser(opts.model!, opts.config, opts.heldOutImages);
    const prompts = this.denoiser.prompts;
    const all = prompts.map((_, i) => i);
    const split = opts.promptSplit ?? { train: all, eval: all };
    if ([...split.train, ...split.eval].some((i) => !(i >= 0 && i < prompts.length)) || split.train.length === 0) throw new Error('an image engine\'s prompt split names prompts the denoiser does not have');
    this.#trainLabels = split.train;
    this.#passThreshold = opts.passThreshold ?? null;
    const scenes = imageTaskOf(this.config) === 'scenes';
    this.#prompts = new PromptOrder(split.train.length, this.config.seed, 'diffusion/prompts');
    this.#onProgress = opts.onProgress;
    if (!methodRunsOn(this.config.method, 'image')) throw new Error(`image tasks run RAFT only (got method ${this.config.method})`);
    if (opts.rewarder) {
      this.#rewarder = opts.rewarder;
    } else {
      const reward = opts.reward ?? opts.config.imageReward;
      const weights: RewardWeights | undefined = typeof reward === 'string' ? imageRewardWeights(reward) : reward;
      if (!weights) throw new Error(`unknown image reward ${String(reward)}`);
      if (scenes) this.#rewarder = scenesRewarder(weights, prompts);
      else if (needsScenes(weights)) throw new Error(`reward ${String(reward)} reads a scenes prompt: it is for task scenes`);
      else this.#rewarder = async (images, labels) => images.map((px, i) => imageReward(weights, px, labels[i]!));
    }
    this.#sceneSpecs = scenes ? prompts.map((p) => parsePrompt(p)) : null;
    this.noiseDraws = this.config.noiseDraws;
    const { seed } = this.config;
    this.#sampleRng = Rng.derive(seed, 'diffusion/sample');
    this.#trainRng = Rng.derive(seed, 'diffusion/train');
    this.#selectRng = Rng.derive(seed, 'diffusion/select');
    // LoRA only: rank config.lora, or config.imageLoraRank when the config asks for full fine-tuning (lora = 0)
    this.denoiser.attachAdapters(this.config.lora > 0 ? this.config.lora : this.config.imageLoraRank, this.config.loraAlpha, seed);
    // eval: the first evalPrompts labels, evalSamplesPerPrompt fixed noise seeds each (never used in training)
    const nEval = Math.min(this.config.evalPrompts, split.eval.length);
    this.#evalItems = [];
    for (let p = 0; p < nEval; p++) {
      const label = split.eval[p]!;
      for (let j = 0; j < this.config.evalSamplesPerPrompt; j++) {
        const s = (hashString(`diffusion/eval/${p}/${j}`) ^ Math.imul(seed >>> 0, 0x9e3779b1)) >>> 0;
        this.#evalItems.push({ promptIndex: p, prompt: prompts[label]!, label, seed: s });
      }
    }
  }

  #progress(cycle: number, phase: Phase, done: number, total: number): void {
    this.#onProgress?.({ cycle, phase, done, total });
  }

  /**
   * The next prompts (labels), from a seeded shuffled order that wraps around (reshuffled each pass). A cycle takes
   * promptsPerCycle of them, at most one pass over the labels (the eval prompts are capped the same way).
   */
  #nextPrompts(): number[] {
    return this.#prompts.next(Math.min(this.config.promptsPerCycle, this.#trainLabels.length)).map((i) => this.#trainLabels[i]!);
  }

  #lr(cycle: number): number {
    return this.config.loraLr * this.config.lrDecay ** (cycle - 1);
  }


  /** RAFT's update on the denoiser: sample K images per label, reward them, select, train the adapters on the kept. */
  protected async update(cycle: number, ms: CycleTimes): Promise<ImageUpdate> {
    const budget = emptyBudget(false);
    const labels = this.#nextPrompts();
    const K = this.config.samplesPerPrompt;
    const items = labels.flatMap((label, p) => Array.from({ length: K }, () => ({ promptIndex: p, label, seed: this.#sampleRng.nextU32() })));
    let t0 = now();
    const images = await this.denoiser.sample(items, (d, n) => this.#progress(cycle, 'generate', d, n));
    ms.generate = now() - t0;
    budget.samplesGenerated = items.length;
    budget.rewardCalls = items.length;
    t0 = now();
    const results = await this.#rewarder(images, items.map((it) => it.label));
    ms.reward = now() - t0;
    this.#progress(cycle, 'select', 0, 1);
    const kept = new Set(selectSamples(items.map((it, i) => ({ promptIndex: it.promptIndex, reward: results[i]!.reward })), selectionOptions(this.config), this.#selectRng));
    this.#progress(cycle, 'select', 1, 1);
    const samples = items.map((it, i) => ({
      promptIndex: it.promptIndex, prompt: this.denoiser.prompts[it.label]!, seed: it.seed, pixels: images[i]!,
      reward: results[i]!.reward, breakdown: results[i]!.breakdown, kept: kept.has(i),
    }));
    const keptSamples = samples.filter((s) => s.kept);
    const lr = this.#lr(cycle);
    const trainLoss = await this.#train(cycle, keptSamples, lr);
    budget.backwardExamples = keptSamples.length ? this.config.epochsPerCycle * keptSamples.length * this.noiseDraws : 0;
    const rewards = samples.map((s) => s.reward);
    return {
      samples,
      budget,
      train: {
        rewardMean: mean(rewards), rewardMeanKept: mean(keptSamples.map((s) => s.reward)), rewardMax: Math.max(...rewards),
        keptCount: keptSamples.length, keptFraction: keptSamples.length / samples.length, trainLoss, lr,
      },
    };
  }

  /** Evaluate on the fixed eval prompts and seeds, the held-out denoising loss, and the cycle's stats. */
  protected async measure(cycle: number, update: ImageUpdate | null, ms: CycleTimes): Promise<{ stats: ImageCycleStats; result: ImageCycleResult }> {
    const t0 = now();
    const evalSamples = await this.#evaluate(cycle);
    const heldOutLoss = await this.denoiser.heldOutLoss();
    ms.eval = now() - t0;
    const byPrompt = new Map<number, Float32Array[]>();
    for (const s of evalSamples) byPrompt.set(s.promptIndex, [...(byPrompt.get(s.promptIndex) ?? []), s.pixels]);
    const verified = this.#verifiedFidelity(evalSamples);
    const stats: ImageCycleStats = {
      cycle, ...(update?.train ?? NO_TRAINING),
      evalReward: mean(evalSamples.map((s) => s.reward)) ?? 0,
      evalPassRate: this.#passThreshold !== null ? passShare(evalSamples, this.#passThreshold) : verified?.evalPassRate ?? null, perplexity: null, distinct2: null, meanLength: null, klToRef: null,
      ...(verified ? { evalFidelity: verified.evalFidelity } : {}),
      heldOutLoss,
      evalDiversity: mean([...byPrompt.values()].map(pairwiseDiversity)) ?? 0,
      ms,
      budget: update?.budget ?? emptyBudget(false),
    };
    return { stats, result: { stats, samples: update?.samples ?? [], evalSamples } };
  }

  /** Task scenes: the eval images' mean fidelity and the share that satisfy their prompt entirely, whatever the reward. */
  #verifiedFidelity(evalSamples: readonly ImageSample[]): { evalFidelity: number; evalPassRate: number } | null {
    if (!this.#sceneSpecs || evalSamples.length === 0) return null;
    const scores = evalSamples.map((s, i) => fidelity(s.pixels, this.#sceneSpecs![this.#evalItems[i]!.label]!).reward);
    return { evalFidelity: mean(scores) ?? 0, evalPassRate: scores.filter((f) => f === 1).length / scores.length };
  }

  async #evaluate(cycle: number): Promise<ImageSample[]> {
    const images = await this.denoiser.sample(this.#evalItems, (d, n) => this.#progress(cycle, 'evaluate', d, n));
    const results = await this.#rewarder(images, this.#evalItems.map((it) => it.label));
    return this.#evalItems.map((it, i) => {
      const r = results[i]!;
      return { promptIndex: it.promptIndex, prompt: it.prompt, seed: it.seed, pixels: images[i]!, reward: r.reward, breakdown: r.breakdown, kept: false };
    });
  }

  /** Denoising-loss fine-tuning of the adapters on the kept images; returns the mean step loss. */
  async #train(cycle: number, kept: readonly ImageSample[], lr: number): Promise<number | null> {
    if (kept.length === 0) return null;
    const bs = this.config.batchSize;
    const perEpoch = kept.length * this.noiseDraws;
    const total = this.config.epochsPerCycle * Math.ceil(perEpoch / bs);
    const losses: number[] = [];
    for (let e = 0; e < this.config.epochsPerCycle; e++) {
      const order = this.#trainRng.shuffled(Array.from({ length: perEpoch }, (_, i) => i % kept.length));
      for (let i = 0; i < order.length; i += bs) {
        const part = order.slice(i, i + bs).map((j) => kept[j]!);
        const batch = this.denoiser.drawBatch(part.map((s) => s.pixels), part.map((s) => this.denoiser.prompts.indexOf(s.prompt)), this.#trainRng);
        losses.push(await this.denoiser.trainStep(batch, this.#optimizer, lr, this.config.gradClip));
        this.#progress(cycle, 'train', losses.length, total);
        await nextTask();
      }
    }
    return mean(losses);
  }

  /**
   * The run's state at a cycle boundary, in the language engine's EngineState shape (a checkpoint): the LoRA
   * adapters by local name (`lora.<weight>.a|b`), the Adam moments, the RNG streams, the prompt position and the
   * stats so far (ImageCycleStats in `history`). The base denoiser is not included (it never changes).
   */
  async exportState(): Promise<EngineState> {
    const named = this.denoiser.adapters!.named();
    const local = new Map([...named].map(([n, v]) => [v.name, n]));
    const weights = new Map<string, { shape: number[]; values: Float32Array }>();
    for (const [name, v] of named) weights.set(name, { shape: v.shape.slice(), values: ((await v.data()) as Float32Array).slice() });
    const optimizer = await this.#optimizer.exportState((n) => local.get(n) ?? n);
    return {
      cycle: this.cycle,
      stopped: this.stopped,
      history: structuredClone(this.history) as unknown as EngineState['history'],
      rng: { sample: this.#sampleRng.getState(), train: this.#trainRng.getState(), select: this.#selectRng.getState() },
      demos: { cursor: 0 },
      prompts: this.#prompts.state(),
      optimizer,
      weights,
    };
  }

  /** Continue from a state exported by an engine of the same configuration and denoiser. */
  restoreState(state: EngineState): void {
    const named = this.denoiser.adapters!.named();
    for (const [name, v] of named) {
      const w = state.weights.get(name);
      if (!w || w.values.length !== v.size) throw new Error(`checkpoint: no LoRA adapter ${name} of this denoiser`);
      tf.tidy(() => v.assign(tf.tensor(w.values, v.shape)));
    }
    const local = new Map([...named].map(([n, v]) => [v.name, n]));
    this.#optimizer.importState(state.optimizer, [...named.values()], (v) => local.get(v.name) ?? v.name);
    this.#sampleRng.setState(state.rng.sample);
    this.#trainRng.setState(state.rng.train);
    this.#selectRng.setState(state.rng.select);
    this.#prompts.restore(state.prompts);
    this.history.length = 0;
    this.history.push(...(structuredClone(state.history) as unknown as ImageCycleStats[]));
    this.cycle = state.cycle;
    this.stopped = state.stopped;
  }

  dispose(): void {
    this.#optimizer.dispose();
    this.denoiser.detachAdapters();
  }
}

/** The share of eval images whose reward reaches `threshold` (a task document's passThreshold). */
function passShare(samples: readonly ImageSample[], threshold: number): number | null {
  return samples.length ? samples.filter((s) => s.reward >= threshold).length / samples.length : null;
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}
