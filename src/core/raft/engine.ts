/**
 * The RAFT loop on a language model (design notes, "The loop"): per cycle take the next prompts, generate K
 * samples each, reward them, select, fine-tune on the kept samples (completion-only loss), evaluate.
 * Cycle 0 only evaluates the base model. Other methods share the cycle (methods/): the engine lends each method's
 * update a CycleContext (sampling and scoring, selection, demonstrations, the training loop, log-probs) and keeps the
 * run's random streams, optimizer and budget. The rest lives by job: sampling.ts, scoring.ts, evaluation.ts,
 * checkpoint.ts, reference.ts; the public types in types.ts. Framework-free: the same code runs in the worker, the
 * CLI and the tests.
 */
import type { RunConfig } from '../config/schema';
import { Adam } from '../lm/adam';
import type { Generation } from '../lm/generate';
import type { LanguageModel } from '../lm/language-model';
import { resolveLoraTargets } from '../models/registry';
import { perTokenLogProbs, sequenceLogProbs } from '../lm/logprobs';
import { makeBatch, disposeBatch, type Batch, type Sequence } from '../lm/train';
import { nextTask } from '../next-task';
import { Rng } from '../rng';
import type { Task, Tokenizer } from '../tasks/types';
import { exportParts, restoreParts, type CheckpointParts } from './checkpoint';
import { CycleEngine, selectionOptions, type CycleTimes } from './cycle';
import type { EngineState } from './engine-state';
import { evaluate, sampleKl, tokenChanges, type EvalParts } from './evaluation';
import { METHOD_MODULES, type CycleContext, type Method, type MethodUpdate, type Scored } from './methods/index';
import { NO_TRAINING } from './methods/types';
import { PromptOrder } from './prompt-order';
import { Reference } from './reference';
import { SampleMeasures } from './sample-measures';
import { Sampler } from './sampling';
import { SampleScorer } from './scoring';
import { selectSamples } from './select';
import { emptyBudget, mean, type CycleBudget, type CycleStats } from './stats';
import type { CycleResult, Phase, Progress } from './types';

// what other code has imported from here: the public types, the failure error, the general tasks' measure
export { RewardFailureError, type CycleResult, type Phase, type Progress, type SampleRecord } from './types';

export interface RaftEngineOptions {
  model: LanguageModel;
  tokenizer: Tokenizer;
  task: Task;
  config: RunConfig;
  /** The tasks of `config.general` (createGeneralTasks), measured on the model at every evaluation. */
  general?: readonly Task[];
  onProgress?: (p: Progress) => void;
}

export class RaftEngine extends CycleEngine<CycleStats, MethodUpdate, CycleResult> {
  readonly model: LanguageModel;
  readonly tokenizer: Tokenizer;
  readonly task: Task;
  readonly config: RunConfig;
  readonly general: readonly Task[];
  readonly #onProgress?: (p: Progress) => void;
  readonly #optimizer = new Adam();
  readonly #rng: CheckpointParts['rng'];
  /** The base model: a frozen copy for full fine-tuning, or with LoRA this model with its adapters off. */
  readonly #reference: Reference;
  #demoOrder: number[] | null = null;
  #demoCursor = 0;
  readonly #prompts: PromptOrder;
  readonly #sampler: Sampler;
  readonly #scorer: SampleScorer;
  readonly #eval: EvalParts;
  /** What the current cycle's training spent (stats.budget). */
  #budget: CycleBudget = emptyBudget();
  /** What the current cycle's training samples were like (entropy, ties, truncation). */
  #sampled = new SampleMeasures();
  /** The method's update step (methods/). */
  readonly #method: Method;

  constructor(opts: RaftEngineOptions) {
    super();
    const method = METHOD_MODULES[opts.config.method];
    this.#method = method.create ? method.create({ model: opts.model, config: opts.config }) : method;
    this.model = opts.model;
    this.tokenizer = opts.tokenizer;
    this.task = opts.task;
    this.config = opts.config;
    this.general = opts.general ?? [];
    this.#prompts = new PromptOrder(this.task.trainPrompts.length, this.config.seed, 'raft/prompts');
    this.#onProgress = opts.onProgress;
    const { seed, lora } = this.config;
    this.#rng = { sample: Rng.derive(seed, 'raft/sample'), train: Rng.derive(seed, 'raft/train'), select: Rng.derive(seed, 'raft/select') };
    if (lora > 0) {
      const targets = resolveLoraTargets(this.model.architecture, this.config.loraTargets);
      this.model.attachLora({ rank: lora, alpha: this.config.loraAlpha, targets }, seed);
    }
    this.#reference = new Reference(this.model, lora === 0 && !this.#method.trainsNothing ? this.model.frozenCopy() : null);
    const progress = (cycle: number, phase: Phase, done: number, total: number) => this.#progress(cycle, phase, done, total);
    this.#sampler = new Sampler(this.model, this.tokenizer, this.task, this.config, progress);
    this.#scorer = new SampleScorer(this.task, this.tokenizer, this.config.rewardChunk, this.config.rewardFailureLimit, progress);
    this.#eval = {
      model: this.model,
      tokenizer: this.tokenizer,
      task: this.task,
      config: this.config,
      general: this.general,
      method: this.#method,
      reference: this.#reference,
      sampler: this.#sampler,
      scorer: this.#scorer,
      heldOut: this.#sampler.heldOutSequences(this.task.heldOutText.slice(0, this.config.evalTexts)),
      progress,
    };
  }

  protected override beginCycle(): void {
    this.#scorer.reset();
    this.#budget = emptyBudget();
    this.#sampled = new SampleMeasures();
  }

  /** The method's update step (methods/), with the engine's services. */
  protected async update(cycle: number, ms: CycleTimes): Promise<MethodUpdate> {
    return this.#method.update(this.#context(cycle, ms));
  }

  /** Evaluate, and the cycle's stats from the update's (none at cycle 0). */
  protected async measure(cycle: number, update: MethodUpdate | null, ms: CycleTimes): Promise<{ stats: CycleStats; result: CycleResult }> {
    const t0 = performance.now();
    const ev = await this.evaluate(cycle);
    ms.eval = performance.now() - t0;
    const stats: CycleStats = {
      cycle,
      ...(update?.stats ?? NO_TRAINING),
      evalReward: ev.reward,
      evalPassRate: ev.passRate,
      perplexity: ev.perplexity,
      distinct2: ev.distinct2,
      meanLength: ev.meanLength,
      klToRef: ev.klToRef,
      klBound: ev.klBound,
      rewardErrors: this.#scorer.errors.count,
      rewardError: this.#scorer.errors.first,
      budget: { ...this.#budget },
      ms: { generate: Math.round(ms.generate), reward: Math.round(ms.reward), train: Math.round(ms.train), eval: Math.round(ms.eval) },
      verifyPerSec: this.#scorer.verifyPerSec(),
      ...this.#sampled.stats(),
      clipRatio: update?.stats.clipRatio ?? null,
      clipLow: update?.stats.clipLow ?? null,
      clipHigh: update?.stats.clipHigh ?? null,
      ...(ev.passRateSe === null ? {} : { evalPassRateSe: ev.passRateSe }),
      ...(ev.general ? { general: ev.general } : {}),
    };
    return { stats, result: { stats, samples: update?.samples ?? [], evalSamples: ev.samples } };
  }

  /** The current model's evaluation (evaluation.ts). */
  evaluate(cycle = this.cycle) {
    return evaluate(this.#eval, cycle);
  }

  /** Summed completion log-probs under the reference model (the base: frozen copy, or adapters off). */
  async referenceLogProbs(seqs: Sequence[]): Promise<number[]> {
    return this.#reference.run((m) => sequenceLogProbs(m, seqs, this.tokenizer.eosId));
  }

  /** What training changed, token by token, in a prompt's completion (evaluation.ts). */
  tokenChanges(prompt: string, completion: string): Promise<Array<{ id: number; text: string; now: number; base: number }>> {
    return tokenChanges(this.#eval, prompt, completion);
  }

  /** Per-sequence KL of the policy's sampling distribution to the reference's, summed over completion positions. */
  sampleKl(seqs: Sequence[]): Promise<number[]> {
    return sampleKl(this.#eval, seqs);
  }

  /**
   * Everything needed to continue this run exactly (at a cycle boundary): trained weights (all of them, or only
   * the LoRA adapters), optimizer moments, random-stream states, the position in the prompt order, the history.
   */
  async exportState(): Promise<EngineState> {
    const parts = await exportParts(this.#checkpointParts());
    return {
      cycle: this.cycle,
      stopped: this.stopped,
      history: structuredClone(this.history),
      rng: parts.rng,
      demos: { cursor: this.#demoCursor },
      prompts: parts.prompts,
      optimizer: parts.optimizer,
      weights: parts.weights,
      ...(parts.methodState ? { methodState: parts.methodState } : {}),
    };
  }

  /** Continue from a state exported by an engine of the same configuration and base model. */
  restoreState(state: EngineState): void {
    restoreParts(this.#checkpointParts(), state);
    this.#demoCursor = state.demos.cursor;
    this.history.length = 0;
    this.history.push(...structuredClone(state.history));
    this.cycle = state.cycle;
    this.stopped = state.stopped;
  }

  dispose(): void {
    this.#optimizer.dispose();
    this.#reference.dispose();
    this.#method.dispose?.();
  }

  // ---------------------------------------------------------------------------------------------------------

  #checkpointParts(): CheckpointParts {
    return { model: this.model, optimizer: this.#optimizer, method: this.#method, rng: this.#rng, prompts: this.#prompts };
  }

  /** The services a method's update uses this cycle (methods/types.ts); sampling and scoring time goes to `ms`. */
  #context(cycle: number, ms: { generate: number; reward: number }): CycleContext {
    const eos = this.tokenizer.eosId;
    const reference = this.#reference;
    return {
      config: this.config,
      model: this.model,
      optimizer: this.#optimizer,
      lr: (this.config.lora > 0 ? this.config.loraLr : this.config.lr) * this.config.lrDecay ** (cycle - 1),
      eosId: eos,
      nextPrompts: (n = this.config.promptsPerCycle) => this.#prompts.next(n),
      sampleAndScore: (prompts) => this.#sampleAndScore(cycle, prompts, ms),
      select: (scored) => {
        this.#progress(cycle, 'select', 0, 1);
        const kept = new Set(selectSamples(scored.map((s) => ({ promptIndex: s.promptIndex, reward: s.result.reward })), selectionOptions(this.config), this.#rng.select));
        this.#progress(cycle, 'select', 1, 1);
        return kept;
      },
      record: (s, kept) => this.#sampler.record(s, kept),
      sequenceOf: (s) => this.#sampler.sequenceOf(s),
      nextDemos: (n) => this.#nextDemos(n),
      train: (items, seqsOf, step, opts) => this.#train(cycle, items, seqsOf, step, opts?.skipEmpty ?? false, opts?.epochs ?? this.config.epochsPerCycle, opts?.skip),
      referenceLogProbs: (seqs) => this.referenceLogProbs(seqs),
      tokenLogProbs: (seqs, which) => (which === 'policy' ? perTokenLogProbs(this.model, seqs, eos) : reference.run((m) => perTokenLogProbs(m, seqs, eos))),
      domain: {
        referenceHint: this.task.referenceHint ?? null,
        nextDemoTexts: (n) => this.#nextDemoTexts(n),
        generateTexts: (texts, which) => this.#generateTexts(cycle, texts, which),
        promptTokens: (text) => this.#sampler.promptTokens(text),
        encode: (text) => this.tokenizer.encode(text),
        withReference: (f) => reference.run(f),
      },
    };
  }

  /** Generate K samples per prompt and score them; with quotas, resample prompts that have no good sample yet. */
  async #sampleAndScore(cycle: number, prompts: number[], ms: { generate: number; reward: number }): Promise<Scored[]> {
    const K = this.config.samplesPerPrompt;
    const scored: Scored[] = [];
    let todo = prompts;
    for (let round = 0; round <= this.config.quotaTrials && todo.length > 0; round++) {
      let t0 = performance.now();
      const gens = await this.#sampler.generate(cycle, todo, K, this.#rng.sample);
      ms.generate += performance.now() - t0;
      this.#spendGenerated(gens.map((g) => g.gen));
      this.#budget.rewardCalls += gens.length;
      t0 = performance.now();
      scored.push(...(await this.#scorer.score(cycle, gens)));
      ms.reward += performance.now() - t0;
      // DART-style quota: prompts whose best sample is still under the threshold get another round
      todo = todo.filter((p) => !scored.some((s) => s.promptIndex === p && s.result.reward >= this.config.rewardThreshold));
    }
    const { temperature, topK, topP } = this.config;
    await this.#sampled.add(scored, scored.map((s) => this.#sampler.sequenceOf(s)), (x) => this.model.forward(x), this.model.config, this.tokenizer.eosId, { temperature, topK, topP });
    return scored;
  }

  /** One sample per prompt text from the policy or the reference (domain-RAFT's rewrites and student samples). */
  async #generateTexts(cycle: number, texts: readonly string[], which: 'policy' | 'reference'): Promise<Array<{ promptTokens: number[]; gen: Generation; completion: string }>> {
    const prompts = texts.map((t) => this.#sampler.promptTokens(t));
    const sample = (m: LanguageModel) => this.#sampler.sample(m, cycle, prompts, this.#rng.sample, 'generate', this.config.maxNewTokens, this.task.stop);
    const gens = await (which === 'policy' ? sample(this.model) : this.#reference.run(sample));
    this.#spendGenerated(gens);
    return gens.map((gen, i) => ({ promptTokens: prompts[i]!, gen, completion: this.tokenizer.decode(gen.tokens) }));
  }

  /** The next n demonstrations of the task corpus (seeded order, wrapping), as training sequences. */
  #nextDemos(n: number): Sequence[] {
    const eos = this.tokenizer.eosId;
    return this.#nextDemoTexts(n).map((d) => {
      const prompt = this.#sampler.promptTokens(d.prompt);
      return { tokens: [...prompt, ...this.tokenizer.encode(d.completion), eos], lossFrom: prompt.length };
    });
  }

  /** The next n demonstrations as text, with their index in the task's list (the same order and cursor as #nextDemos). */
  #nextDemoTexts(n: number): Array<{ index: number; prompt: string; completion: string }> {
    const demos = this.task.demonstrations;
    if (!demos || demos.length === 0) throw new Error(`task "${this.task.name}" has no demonstrations (needed by UFT, SFT and domain-RAFT)`);
    this.#demoOrder ??= Rng.derive(this.config.seed, 'raft/demos').shuffled(demos.map((_, i) => i));
    const out: Array<{ index: number; prompt: string; completion: string }> = [];
    for (let i = 0; i < n; i++) {
      const index = this.#demoOrder[this.#demoCursor++ % demos.length]!;
      out.push({ index, ...demos[index]! });
    }
    return out;
  }

  /** The training loop of every method: epochs of batches shuffled by the train stream (methods/types.ts). */
  async #train<T>(cycle: number, items: readonly T[], seqsOf: (part: readonly T[]) => Sequence[], step: (batch: Batch, part: readonly T[]) => Promise<number>, skipEmpty: boolean, epochsPerCycle: number, skip?: (part: readonly T[]) => boolean): Promise<number | null> {
    if (items.length === 0) return null;
    const eos = this.tokenizer.eosId;
    const { batchSize } = this.config;
    const steps = epochsPerCycle * Math.ceil(items.length / batchSize);
    const losses: number[] = [];
    let visited = 0; // batches done, stepped or skipped
    this.#progress(cycle, 'train', 0, steps);
    for (let e = 0; e < epochsPerCycle; e++) {
      const order = this.#rng.train.shuffled(items);
      for (let i = 0; i < order.length; i += batchSize) {
        const part = order.slice(i, i + batchSize);
        if (skip?.(part)) {
          this.#progress(cycle, 'train', ++visited, steps);
          continue;
        }
        const seqs = seqsOf(part);
        const batch = makeBatch(seqs, this.model.config.blockSize, eos);
        try {
          if (!skipEmpty || batch.tokens > 0) {
            this.#spendBackward(seqs);
            losses.push(await step(batch, part));
          }
        } finally {
          disposeBatch(batch);
        }
        this.#progress(cycle, 'train', ++visited, steps);
        await nextTask();
      }
    }
    return mean(losses);
  }

  /** Generated samples and their tokens (an end-of-sequence token counts) in the cycle's budget. */
  #spendGenerated(gens: readonly Generation[]): void {
    this.#budget.samplesGenerated += gens.length;
    this.#budget.tokensGenerated! += gens.reduce((n, g) => n + g.tokens.length + (g.ended ? 1 : 0), 0);
  }

  /** A training batch's rows and input tokens (what its backward pass covers; layoutBatch cuts to blockSize + 1). */
  #spendBackward(seqs: readonly Sequence[]): void {
    this.#budget.backwardExamples += seqs.length;
    this.#budget.backwardTokens! += seqs.reduce((n, q) => n + Math.min(q.tokens.length, this.model.config.blockSize + 1) - 1, 0);
  }

  #progress(cycle: number, phase: Phase, done: number, total: number): void {
    this.#onProgress?.({ cycle, phase, done, total });
  }
}
