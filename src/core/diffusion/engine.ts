/**
 * RAFT on the `shapes` denoiser (the RAFT paper's diffusion setting, small): per cycle take the next prompts (labels),
 * sample K images per prompt with DDIM from seeded noise, reward them from their pixels, select with the language
 * tasks' selection modes (raft/select.ts), fine-tune LoRA adapters (only them) on the kept images with the denoising
 * loss, evaluate. Cycle 0 evaluates the base model (adapters are an exact no-op then).
 *
 * Evaluation uses fixed noise seeds (the same eval images can be compared across cycles) and reports the mean reward
 * and `heldOutLoss`, the denoising loss on held-out real images with fixed timesteps and noise. Training: each epoch
 * passes over the kept images `noiseDraws` times with fresh timesteps (uniform over the whole schedule) and noise, in
 * shuffled batches of `batchSize`, Adam on the adapters at `loraLr * lrDecay^(cycle-1)`, global-norm clipping `gradClip`.
 * Prompts are the task's 7 labels: a cycle takes min(promptsPerCycle, 7) of them, evaluation the first
 * min(evalPrompts, 7), each with evalSamplesPerPrompt fixed noise seeds.
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
import { labelIndex, SHAPE_LABELS, shapeImages } from './dataset';
import { sampleImages, type SampleOptions } from './ddim';
import { IMAGE_REWARDS, imageReward, type ImageRewardName, type RewardWeights } from './rewards';
import { cosineSchedule, type NoiseSchedule } from './schedule';
import { SHAPES_HELD_OUT_SEED, SHAPES_SCHEDULE } from './shapes-recipe';
import { pairwiseDiversity, type ImageCycleStats } from './stats';
import { denoiseStep, drawBatch, meanDenoiseLoss, type DenoiseBatch } from './train';
import type { UNet } from './unet';

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
  model: UNet;
  config: RunConfig;
  /** The reward: a name of IMAGE_REWARDS or weights of the parts (default: config.imageReward). */
  reward?: ImageRewardName | RewardWeights;
  /** Real held-out images for heldOutLoss (default config.evalImages). */
  heldOutImages?: number;
  onProgress?: (p: Progress) => void;
}

/** What an image cycle's update gives its stats and result. */
interface ImageUpdate {
  samples: ImageSample[];
  budget: CycleBudget;
  train: TrainStats;
}

export class DiffusionRaftEngine extends CycleEngine<ImageCycleStats, ImageUpdate, ImageCycleResult> {
  readonly model: UNet;
  readonly config: RunConfig;
  readonly schedule: NoiseSchedule;
  readonly sampler: SampleOptions;
  readonly rewardWeights: RewardWeights;
  readonly noiseDraws: number;
  readonly #onProgress?: (p: Progress) => void;
  readonly #optimizer = new Adam();
  readonly #sampleRng: Rng;
  readonly #trainRng: Rng;
  readonly #selectRng: Rng;
  readonly #heldOut: DenoiseBatch[];
  readonly #evalItems: Array<{ promptIndex: number; prompt: string; label: number; seed: number }>;
  readonly #prompts: PromptOrder;

  constructor(opts: DiffusionEngineOptions) {
    super();
    this.model = opts.model;
    this.config = opts.config;
    this.#prompts = new PromptOrder(SHAPE_LABELS.length, this.config.seed, 'diffusion/prompts');
    this.#onProgress = opts.onProgress;
    if (!methodRunsOn(this.config.method, 'image')) throw new Error(`image tasks run RAFT only (got method ${this.config.method})`);
    const reward = opts.reward ?? opts.config.imageReward;
    this.rewardWeights = typeof reward === 'string' ? IMAGE_REWARDS[reward] : reward;
    if (!this.rewardWeights) throw new Error(`unknown image reward ${String(reward)}`);
    this.schedule = cosineSchedule(SHAPES_SCHEDULE.steps);
    this.sampler = { steps: this.config.ddimSteps, guidance: this.config.guidance };
    this.noiseDraws = this.config.noiseDraws;
    const { seed } = this.config;
    this.#sampleRng = Rng.derive(seed, 'diffusion/sample');
    this.#trainRng = Rng.derive(seed, 'diffusion/train');
    this.#selectRng = Rng.derive(seed, 'diffusion/select');
    // LoRA only: rank config.lora, or config.imageLoraRank when the config asks for full fine-tuning (lora = 0)
    this.model.attachLora({ rank: this.config.lora > 0 ? this.config.lora : this.config.imageLoraRank, alpha: this.config.loraAlpha }, seed);
    // held-out real images with fixed t and noise: the same for every run, so heldOutLoss compares across runs
    const nHeld = opts.heldOutImages ?? this.config.evalImages;
    const held = shapeImages(SHAPES_HELD_OUT_SEED, nHeld);
    const heldRng = Rng.derive(SHAPES_HELD_OUT_SEED, 'diffusion/held-out-noise');
    this.#heldOut = [];
    for (let i = 0; i < held.length; i += 64) {
      const part = held.slice(i, i + 64);
      this.#heldOut.push(drawBatch(part.map((h) => h.pixels), part.map((h) => h.label), this.schedule, heldRng));
    }
    // eval: the first evalPrompts labels, evalSamplesPerPrompt fixed noise seeds each (never used in training)
    const nEval = Math.min(this.config.evalPrompts, SHAPE_LABELS.length);
    this.#evalItems = [];
    for (let p = 0; p < nEval; p++) {
      for (let j = 0; j < this.config.evalSamplesPerPrompt; j++) {
        const s = (hashString(`diffusion/eval/${p}/${j}`) ^ Math.imul(seed >>> 0, 0x9e3779b1)) >>> 0;
        this.#evalItems.push({ promptIndex: p, prompt: SHAPE_LABELS[p]!.text, label: p, seed: s });
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
    return this.#prompts.next(Math.min(this.config.promptsPerCycle, SHAPE_LABELS.length));
  }

  #lr(cycle: number): number {
    return this.config.loraLr * this.config.lrDecay ** (cycle - 1);
  }

  #reward(pixels: Float32Array, label: number): RewardResult {
    return imageReward(this.rewardWeights, pixels, label);
  }

  /** RAFT's update on the denoiser: sample K images per label, reward them, select, train the adapters on the kept. */
  protected async update(cycle: number, ms: CycleTimes): Promise<ImageUpdate> {
    const budget = emptyBudget(false);
    const labels = this.#nextPrompts();
    const K = this.config.samplesPerPrompt;
    const items = labels.flatMap((label, p) => Array.from({ length: K }, () => ({ promptIndex: p, label, seed: this.#sampleRng.nextU32() })));
    let t0 = now();
    const images = await sampleImages(this.model, this.schedule, items, this.sampler, (d, n) => this.#progress(cycle, 'generate', d, n));
    ms.generate = now() - t0;
    budget.samplesGenerated = items.length;
    budget.rewardCalls = items.length;
    t0 = now();
    const results = images.map((px, i) => this.#reward(px, items[i]!.label));
    ms.reward = now() - t0;
    this.#progress(cycle, 'select', 0, 1);
    const kept = new Set(selectSamples(items.map((it, i) => ({ promptIndex: it.promptIndex, reward: results[i]!.reward })), selectionOptions(this.config), this.#selectRng));
    this.#progress(cycle, 'select', 1, 1);
    const samples = items.map((it, i) => ({
      promptIndex: it.promptIndex, prompt: SHAPE_LABELS[it.label]!.text, seed: it.seed, pixels: images[i]!,
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
    const heldOutLoss = await meanDenoiseLoss(this.model, this.#heldOut, this.schedule);
    ms.eval = now() - t0;
    const byPrompt = new Map<number, Float32Array[]>();
    for (const s of evalSamples) byPrompt.set(s.promptIndex, [...(byPrompt.get(s.promptIndex) ?? []), s.pixels]);
    const stats: ImageCycleStats = {
      cycle, ...(update?.train ?? NO_TRAINING),
      evalReward: mean(evalSamples.map((s) => s.reward)) ?? 0,
      evalPassRate: null, perplexity: null, distinct2: null, meanLength: null, klToRef: null,
      heldOutLoss,
      evalDiversity: mean([...byPrompt.values()].map(pairwiseDiversity)) ?? 0,
      ms,
      budget: update?.budget ?? emptyBudget(false),
    };
    return { stats, result: { stats, samples: update?.samples ?? [], evalSamples } };
  }

  async #evaluate(cycle: number): Promise<ImageSample[]> {
    const images = await sampleImages(this.model, this.schedule, this.#evalItems, this.sampler, (d, n) => this.#progress(cycle, 'evaluate', d, n));
    return this.#evalItems.map((it, i) => {
      const r = this.#reward(images[i]!, it.label);
      return { promptIndex: it.promptIndex, prompt: it.prompt, seed: it.seed, pixels: images[i]!, reward: r.reward, breakdown: r.breakdown, kept: false };
    });
  }

  /** Denoising-loss fine-tuning of the adapters on the kept images; returns the mean step loss. */
  async #train(cycle: number, kept: readonly ImageSample[], lr: number): Promise<number | null> {
    if (kept.length === 0) return null;
    const vars = this.model.lora!.variables();
    const bs = this.config.batchSize;
    const perEpoch = kept.length * this.noiseDraws;
    const total = this.config.epochsPerCycle * Math.ceil(perEpoch / bs);
    const losses: number[] = [];
    for (let e = 0; e < this.config.epochsPerCycle; e++) {
      const order = this.#trainRng.shuffled(Array.from({ length: perEpoch }, (_, i) => i % kept.length));
      for (let i = 0; i < order.length; i += bs) {
        const part = order.slice(i, i + bs).map((j) => kept[j]!);
        const batch = drawBatch(part.map((s) => s.pixels), part.map((s) => labelIndex(s.prompt)), this.schedule, this.#trainRng);
        losses.push(await denoiseStep(this.model, vars, this.#optimizer, batch, this.schedule, lr, this.config.gradClip));
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
    const named = this.model.lora!.named();
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
    const named = this.model.lora!.named();
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
    this.model.detachLora();
  }
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}
