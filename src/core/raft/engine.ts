/**
 * The RAFT loop on a language model (design notes, "The loop"): per cycle take the next prompts, generate K
 * samples each, reward them, select, fine-tune on the kept samples (completion-only loss), evaluate.
 * Cycle 0 only evaluates the base model. Other methods share the cycle for comparison: UFT (train on scored
 * samples and demonstrations with the UFT loss), SFT (demonstrations only), best-of-K (no training; evaluation keeps
 * the best of K samples). Every cycle reports KL to the reference (the base model: a frozen copy, or with LoRA the
 * same model with its adapters off). Framework-free: the same code runs in the worker, the CLI and the tests.
 */
import { runDefaults, type RunConfig, type TaskName } from '../config/schema';
import { Adam } from '../lm/adam';
import type { EngineState } from './engine-state';
import { generate, type Generation } from '../lm/generate';
import type { LanguageModel } from '../lm/language-model';
import { resolveLoraTargets } from '../lm/lora';
import { totalNll, makeBatch, disposeBatch, sequenceLogProbs, type Batch, type Sequence } from '../lm/train';
import { perTokenLogProbs } from '../lm/token-values';
import { METHOD_MODULES, type CycleContext, type Method, type MethodUpdate, type Scored } from './methods/index';
import { NO_TRAINING } from './methods/types';
import { sequenceKl } from '../lm/kl';
import { tokenLogProbs } from '../lm/score';
import type * as tf from '@tensorflow/tfjs';
import { Rng } from '../rng';
import { cutAtStop } from '../lm/stop';
import { promptIds, type RewardItem, type RewardResult, type Task, type Tokenizer } from '../tasks/types';
import { PromptOrder } from './prompt-order';
import { CycleEngine, selectionOptions, type CycleTimes } from './cycle';
import { nextTask } from '../next-task';
import { selectSamples } from './select';
import { distinct2, emptyBudget, mean, type CycleBudget, type CycleStats, type GeneralMetrics } from './stats';

/**
 * A cycle in which more than this share of the samples' rewards failed (threw, or gave no number in [0, 1]) stops
 * the run: training on such rewards would teach nothing but the bug. The run resumes from its last finished cycle.
 */
export const REWARD_FAILURE_LIMIT = 0.5;

/** Thrown when most of a cycle's rewards failed; the cycle is not recorded and the run can resume before it. */
export class RewardFailureError extends Error {
  constructor(
    readonly cycle: number,
    readonly failed: number,
    readonly total: number,
    readonly firstMessage: string,
  ) {
    super(`cycle ${cycle}: the reward failed for ${failed} of ${total} samples (first: ${firstMessage}); the run stopped and can resume from its last finished cycle once the reward is fixed`);
    this.name = 'RewardFailureError';
  }
}

export type Phase = 'generate' | 'reward' | 'select' | 'train' | 'evaluate';

export interface Progress {
  cycle: number;
  phase: Phase;
  done: number;
  total: number;
}

/** One generated sample with its reward and whether selection kept it. */
export interface SampleRecord {
  promptIndex: number;
  prompt: string;
  completion: string;
  reward: number;
  breakdown?: RewardResult['breakdown'];
  kept: boolean;
}

export interface CycleResult {
  stats: CycleStats;
  /** Training samples of the cycle (empty for cycle 0). */
  samples: SampleRecord[];
  /** Held-out evaluation samples. */
  evalSamples: SampleRecord[];
}

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
  readonly #sampleRng: Rng;
  readonly #trainRng: Rng;
  readonly #selectRng: Rng;
  /** Frozen copy of the base model for full fine-tuning (with LoRA the reference is the model, adapters off). */
  readonly #reference: LanguageModel | null = null;
  #demoOrder: number[] | null = null;
  #demoCursor = 0;
  readonly #prompts: PromptOrder;
  readonly #heldOut: Sequence[];
  /** Samples scored by `rewardMany` in the current cycle, and the time those calls took (verification throughput). */
  #verified = { samples: 0, ms: 0 };
  /** Reward errors of the current cycle (training and eval samples) and the first one's message. */
  #rewardErrors: { count: number; first: string | null } = { count: 0, first: null };
  /** What the current cycle's training spent (stats.budget). */
  #budget: CycleBudget = emptyBudget();
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
    this.#sampleRng = Rng.derive(seed, 'raft/sample');
    this.#trainRng = Rng.derive(seed, 'raft/train');
    this.#selectRng = Rng.derive(seed, 'raft/select');
    if (lora > 0) {
      const targets = resolveLoraTargets(this.model.architecture, this.config.loraTargets);
      this.model.attachLora({ rank: lora, alpha: this.config.loraAlpha, targets }, seed);
    }
    if (lora === 0 && !this.#method.trainsNothing) this.#reference = this.model.frozenCopy();
    this.#heldOut = this.#heldOutSequences(this.task.heldOutText.slice(0, this.config.evalTexts));
  }

  protected override beginCycle(): void {
    this.#verified = { samples: 0, ms: 0 };
    this.#rewardErrors = { count: 0, first: null };
    this.#budget = emptyBudget();
  }

  /** The method's update step (methods/), with the engine's services. */
  protected async update(cycle: number, ms: CycleTimes): Promise<MethodUpdate> {
    return this.#method.update(this.#context(cycle, ms));
  }

  /** Evaluate, and the cycle's stats from the update's (none at cycle 0). */
  protected async measure(cycle: number, update: MethodUpdate | null, ms: CycleTimes): Promise<{ stats: CycleStats; result: CycleResult }> {
    const t0 = now();
    const ev = await this.evaluate(cycle);
    ms.eval = now() - t0;
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
      rewardErrors: this.#rewardErrors.count,
      rewardError: this.#rewardErrors.first,
      budget: { ...this.#budget },
      ms: { generate: round(ms.generate), reward: round(ms.reward), train: round(ms.train), eval: round(ms.eval) },
      verifyPerSec: this.task.rewardMany
        ? (this.#verified.ms > 0 ? Math.round((this.#verified.samples / (this.#verified.ms / 1000)) * 10) / 10 : null)
        : null,
      ...(ev.general ? { general: ev.general } : {}),
    };
    return { stats, result: { stats, samples: update?.samples ?? [], evalSamples: ev.samples } };
  }

  /**
   * Evaluate the current model: fresh samples on held-out prompts (the same random stream every cycle), perplexity
   * on held-out text, and KL to the reference: the mean over eval samples of the per-token KL between the policy's
   * and the reference's sampling distributions (temperature, top-k, top-p), summed over each sample's positions
   * (lm/kl.ts: non-negative, 0 at cycle 0). For best-of-K after cycle 0 each eval sample is the best of K draws;
   * its KL is null and `klBound` holds the analytic bound log K - (K - 1) / K of best-of-K sampling.
   */
  async evaluate(cycle = this.cycle) {
    const bestOfK = this.#method.bestOfKAtEval && cycle > 0 ? this.config.samplesPerPrompt : 1;
    const prompts = this.task.evalPrompts.slice(0, this.config.evalPrompts).map((_, i) => i);
    const k = this.config.evalSamplesPerPrompt * bestOfK;
    const gens = await this.#generate(cycle, prompts, k, Rng.derive(this.config.seed, 'raft/eval'), true);
    let scored = await this.#score(cycle, gens, true);
    if (bestOfK > 1) {
      const best: Scored[] = [];
      for (let i = 0; i < scored.length; i += bestOfK) {
        const group = scored.slice(i, i + bestOfK);
        best.push(group.reduce((a, b) => (b.result.reward > a.result.reward ? b : a)));
      }
      scored = best;
    }
    const rewards = scored.map((s) => s.result.reward);
    this.#progress(cycle, 'evaluate', 0, 1);
    const { nll, tokens } = await totalNll(this.model, this.#heldOut, this.tokenizer.eosId);
    // best-of-K samples from the base model and keeps the best: its KL has the analytic bound below, reported as a
    // bound; every other method's KL is the exact per-token KL of the sampling distributions (lm/kl.ts)
    const klBound = bestOfK > 1 ? Math.log(bestOfK) - (bestOfK - 1) / bestOfK : null;
    const klToRef = bestOfK > 1 ? null : mean(await this.sampleKl(scored.map((s) => this.#sequenceOf(s)))) ?? 0;
    const general = this.general.length ? await this.#evaluateGeneral(cycle) : null;
    this.#progress(cycle, 'evaluate', 1, 1);
    return {
      general,
      reward: mean(rewards) ?? 0,
      passRate: passRate(this.task, rewards),
      perplexity: Math.exp(nll / Math.max(1, tokens)),
      distinct2: distinct2(scored.map((s) => s.completion)),
      meanLength: mean(scored.map((s) => s.gen.tokens.length)) ?? 0,
      klToRef,
      klBound,
      samples: scored.map((s) => this.#record(s, false)),
    };
  }

  /** Summed completion log-probs under the reference model (the base: frozen copy, or adapters off). */
  async referenceLogProbs(seqs: Sequence[]): Promise<number[]> {
    return this.#withReference((m) => sequenceLogProbs(m, seqs, this.tokenizer.eosId));
  }

  /**
   * What training changed, token by token: for a prompt and its completion, each completion token's text and its
   * log-probability (natural log) under the model now and under the reference (the base model), as the page's token
   * view shows them (`now - base` is the change in the model's belief).
   */
  async tokenChanges(prompt: string, completion: string): Promise<Array<{ id: number; text: string; now: number; base: number }>> {
    const start = promptIds(this.tokenizer, prompt, this.config.chatTemplate);
    const ids = this.tokenizer.encode(completion);
    const seq = [...start, ...ids].slice(-(this.model.config.blockSize));
    const from = seq.length - ids.length;
    if (ids.length === 0 || from < 1) return [];
    const V = this.model.config.vocabSize;
    // the completion's tokens are the last ids.length of the sequence's log-probs
    const now = (await tokenLogProbs((x) => this.model.forward(x), seq, V)).slice(from - 1);
    const base = (await tokenLogProbs((x) => this.#referenceForward(x), seq, V)).slice(from - 1);
    return ids.map((id, j) => ({ id, text: this.tokenizer.decode([id]), now: now[j]!, base: base[j]! }));
  }

  /** Per-sequence KL of the policy's sampling distribution to the reference's, summed over completion positions. */
  async sampleKl(seqs: Sequence[]): Promise<number[]> {
    const { temperature, topK, topP } = this.config;
    const ids = (x: tf.Tensor2D) => this.model.forward(x) as tf.Tensor2D;
    return sequenceKl(ids, (x) => this.#referenceForward(x), seqs, this.model.config.blockSize, this.tokenizer.eosId, { temperature, topK, topP });
  }

  /** Logits of the reference model (the frozen copy, or this model with its adapters off). */
  #referenceForward(ids: tf.Tensor2D): tf.Tensor2D {
    if (this.#reference) return this.#reference.forward(ids) as tf.Tensor2D;
    const lora = this.model.lora;
    if (!lora) return this.model.forward(ids) as tf.Tensor2D;
    lora.enabled = false;
    try {
      return this.model.forward(ids) as tf.Tensor2D;
    } finally {
      lora.enabled = true;
    }
  }

  /**
   * Everything needed to continue this run exactly (at a cycle boundary): trained weights (all of them, or only
   * the LoRA adapters), optimizer moments, random-stream states, the position in the prompt order, the history.
   */
  async exportState(): Promise<EngineState> {
    const weights = new Map<string, { shape: number[]; values: Float32Array }>();
    const named = this.model.lora ? this.model.lora.named() : this.model.params;
    for (const [name, v] of named) weights.set(name, { shape: v.shape.slice(), values: ((await v.data()) as Float32Array).slice() });
    const optimizer = await this.#optimizer.exportState((n) => this.#localName(n));
    // a stateful method's weights (PPO's value head) travel with the model's, under method.*; its numbers apart
    const own = this.#method.exportState ? await this.#method.exportState() : null;
    for (const [name, w] of own?.weights ?? []) weights.set(name, w);
    return {
      cycle: this.cycle,
      stopped: this.stopped,
      history: structuredClone(this.history),
      rng: { sample: this.#sampleRng.getState(), train: this.#trainRng.getState(), select: this.#selectRng.getState() },
      demos: { cursor: this.#demoCursor },
      prompts: this.#prompts.state(),
      optimizer,
      weights,
      ...(own ? { methodState: own.values } : {}),
    };
  }

  /** The stable name of a trainable variable: the model's local name, or the method's for its own. */
  #localName(variableName: string): string {
    return this.#method.localName?.(variableName) ?? this.model.localName(variableName);
  }

  /** Continue from a state exported by an engine of the same configuration and base model. */
  restoreState(state: EngineState): void {
    const values = new Map<string, Float32Array>();
    const own = new Map<string, { shape: number[]; values: Float32Array }>();
    for (const [name, w] of state.weights) {
      if (name.startsWith('method.')) own.set(name, w);
      else values.set(name, w.values);
    }
    this.model.assignWeights(values);
    if (this.#method.restoreState) this.#method.restoreState({ weights: own, values: state.methodState ?? {} });
    else if (own.size) throw new Error(`this checkpoint holds weights of another method (${[...own.keys()].join(', ')})`);
    this.#optimizer.importState(state.optimizer, [...this.model.trainableVariables(), ...(this.#method.variables?.() ?? [])], (v) => this.#localName(v.name));
    this.#sampleRng.setState(state.rng.sample);
    this.#trainRng.setState(state.rng.train);
    this.#selectRng.setState(state.rng.select);
    this.#demoCursor = state.demos.cursor;
    this.#prompts.restore(state.prompts);
    this.history.length = 0;
    this.history.push(...structuredClone(state.history));
    this.cycle = state.cycle;
    this.stopped = state.stopped;
  }

  dispose(): void {
    this.#optimizer.dispose();
    this.#reference?.dispose();
    this.#method.dispose?.();
  }

  // ---------------------------------------------------------------------------------------------------------

  /** The next promptsPerCycle train-prompt indices, walking a seeded shuffle that is redrawn each pass. */
  #nextPrompts(): number[] {
    return this.#prompts.next(this.config.promptsPerCycle);
  }

  async #generate(cycle: number, promptIdx: number[], k: number, rng: Rng, heldOut = false): Promise<Array<Omit<Scored, 'result' | 'completion'>>> {
    const texts = heldOut ? this.task.evalPrompts : this.task.trainPrompts;
    const rows: Array<{ promptIndex: number; promptTokens: number[] }> = [];
    for (const p of promptIdx) {
      const promptTokens = promptIds(this.tokenizer, texts[p]!, this.config.chatTemplate);
      for (let j = 0; j < k; j++) rows.push({ promptIndex: p, promptTokens });
    }
    const gens = await this.#sample(this.model, cycle, rows.map((r) => r.promptTokens), rng, heldOut ? 'evaluate' : 'generate', this.config.maxNewTokens, this.task.stop);
    return rows.map((r, i) => ({ ...r, gen: gens[i]! }));
  }

  /** Held-out texts as whole documents for perplexity (every token after the document start counts). */
  #heldOutSequences(texts: readonly string[]): Sequence[] {
    const eos = this.tokenizer.eosId;
    return texts.map((text) => ({ tokens: [...promptIds(this.tokenizer, text), eos], lossFrom: 1 }));
  }

  /** Samples of `model` for prompt token rows with the run's sampling settings, cut at `stops`. */
  async #sample(model: LanguageModel, cycle: number, prompts: number[][], rng: Rng, phase: Phase, maxNewTokens: number, stops: readonly string[] = []): Promise<Generation[]> {
    this.#progress(cycle, phase, 0, prompts.length);
    const gens = await generate(model, prompts, {
      maxNewTokens,
      temperature: this.config.temperature,
      topK: this.config.topK,
      topP: this.config.topP,
      eosId: this.tokenizer.eosId,
      maxBatch: this.config.genBatch,
      onProgress: (done, total) => this.#progress(cycle, phase, done, total),
    }, rng);
    const decode = (ids: readonly number[]) => this.tokenizer.decode(ids);
    return stops.length ? gens.map((g) => cutAtStop(g, decode, stops)) : gens;
  }

  /** One sample per prompt text from the policy or the reference (domain-RAFT's rewrites and student samples). */
  async #generateTexts(cycle: number, texts: readonly string[], which: 'policy' | 'reference'): Promise<Array<{ promptTokens: number[]; gen: Generation; completion: string }>> {
    const prompts = texts.map((t) => promptIds(this.tokenizer, t, this.config.chatTemplate));
    const gens = await (which === 'policy'
      ? this.#sample(this.model, cycle, prompts, this.#sampleRng, 'generate', this.config.maxNewTokens, this.task.stop)
      : this.#withReference((m) => this.#sample(m, cycle, prompts, this.#sampleRng, 'generate', this.config.maxNewTokens, this.task.stop)));
    this.#spendGenerated(gens);
    return gens.map((gen, i) => ({ promptTokens: prompts[i]!, gen, completion: this.tokenizer.decode(gen.tokens) }));
  }

  /**
   * General capability: each general task's eval reward and pass rate (its first config.generalPrompts eval prompts,
   * config.generalSamplesPerPrompt samples each with the task's own generation length, a fixed random stream) and the
   * perplexity of its held-out text, on this model. A reward that fails counts 0 (it is a measurement, not training).
   */
  async #evaluateGeneral(cycle: number): Promise<Record<string, GeneralMetrics>> {
    const out: Record<string, GeneralMetrics> = {};
    const eos = this.tokenizer.eosId;
    for (const task of this.general) {
      const prompts = task.evalPrompts.slice(0, this.config.generalPrompts);
      const rows = prompts.flatMap((p) => Array.from({ length: this.config.generalSamplesPerPrompt }, () => p));
      const maxNew = runDefaults(task.name as TaskName).maxNewTokens;
      const gens = await this.#sample(this.model, cycle, rows.map((p) => promptIds(this.tokenizer, p, this.config.chatTemplate)), Rng.derive(this.config.seed, `raft/general/${task.name}`), 'evaluate', maxNew, task.stop);
      const items = rows.map((prompt, i) => ({ prompt, completion: this.tokenizer.decode(gens[i]!.tokens) }));
      const rewards = await scoreForMeasurement(task, items, this.config.rewardChunk);
      const { nll, tokens } = await totalNll(this.model, this.#heldOutSequences(task.heldOutText.slice(0, this.config.generalTexts)), eos);
      out[task.name] = { reward: mean(rewards) ?? 0, passRate: passRate(task, rewards), perplexity: Math.exp(nll / Math.max(1, tokens)) };
    }
    return out;
  }

  /**
   * Reward every generated sample. A reward that throws (a batched call: its whole chunk), or that gives anything
   * but a number in [0, 1], is a reward error: the sample gets reward 0 and `breakdown.error`, the cycle counts it
   * (`rewardErrors`, with the first message), and when more than REWARD_FAILURE_LIMIT of the samples of this call
   * failed the cycle stops with a RewardFailureError.
   */
  async #score(cycle: number, gens: Array<Omit<Scored, 'result' | 'completion'>>, heldOut = false): Promise<Scored[]> {
    const texts = heldOut ? this.task.evalPrompts : this.task.trainPrompts;
    const rows = heldOut ? this.task.evalRows : this.task.trainRows;
    const items: RewardItem[] = gens.map((g) => ({ prompt: texts[g.promptIndex]!, completion: this.tokenizer.decode(g.gen.tokens), ...(rows ? { row: rows[g.promptIndex] } : {}) }));
    const raw: Array<RewardResult | { error: unknown }> = [];
    if (this.task.rewardMany) {
      // a verifier task scores the batch concurrently; progress is reported per chunk
      const chunk = this.config.rewardChunk;
      for (let i = 0; i < items.length; i += chunk) {
        const part = items.slice(i, i + chunk);
        const t0 = now();
        try {
          const got = await this.task.rewardMany(part);
          for (let j = 0; j < part.length; j++) raw.push(got[j] ?? { error: `the batched reward returned ${got.length} results for ${part.length} samples` });
        } catch (e) {
          raw.push(...part.map(() => ({ error: e })));
        }
        this.#verified.samples += part.length;
        this.#verified.ms += now() - t0;
        if (!heldOut) this.#progress(cycle, 'reward', raw.length, gens.length);
      }
    } else {
      for (const it of items) {
        try {
          raw.push(await this.task.reward(it.prompt, it.completion, it.row));
        } catch (e) {
          raw.push({ error: e });
        }
        if (!heldOut) this.#progress(cycle, 'reward', raw.length, gens.length);
        if (raw.length % 32 === 0) await nextTask();
      }
    }
    let failed = 0;
    const scored = gens.map((g, i) => {
      const result = checkedReward(raw[i]!);
      if (result.breakdown?.rewardError) {
        failed++;
        this.#rewardErrors.count++;
        this.#rewardErrors.first ??= String(result.breakdown.error);
      }
      return { ...g, completion: items[i]!.completion, result };
    });
    if (gens.length > 0 && failed / gens.length > this.config.rewardFailureLimit) {
      throw new RewardFailureError(cycle, failed, gens.length, this.#rewardErrors.first ?? 'unknown error');
    }
    return scored;
  }

  #lr(cycle: number): number {
    return (this.config.lora > 0 ? this.config.loraLr : this.config.lr) * this.config.lrDecay ** (cycle - 1);
  }

  /** Generate K samples per prompt and score them; with quotas, resample prompts that have no good sample yet. */
  async #sampleAndScore(cycle: number, prompts: number[], ms: { generate: number; reward: number }): Promise<Scored[]> {
    const K = this.config.samplesPerPrompt;
    const scored: Scored[] = [];
    let todo = prompts;
    for (let round = 0; round <= this.config.quotaTrials && todo.length > 0; round++) {
      let t0 = now();
      const gens = await this.#generate(cycle, todo, K, this.#sampleRng);
      ms.generate += now() - t0;
      this.#spendGenerated(gens.map((g) => g.gen));
      this.#budget.rewardCalls += gens.length;
      t0 = now();
      scored.push(...(await this.#score(cycle, gens)));
      ms.reward += now() - t0;
      // DART-style quota: prompts whose best sample is still under the threshold get another round
      todo = todo.filter((p) => !scored.some((s) => s.promptIndex === p && s.result.reward >= this.config.rewardThreshold));
    }
    return scored;
  }

  /** A sample as a training sequence: prompt + completion (+ EOS when it ended), loss on the completion. */
  #sequenceOf(s: Scored): Sequence {
    return { tokens: [...s.promptTokens, ...s.gen.tokens, ...(s.gen.ended ? [this.tokenizer.eosId] : [])], lossFrom: s.promptTokens.length };
  }

  /** The next n demonstrations of the task corpus (seeded order, wrapping), as training sequences. */
  #nextDemos(n: number): Sequence[] {
    const eos = this.tokenizer.eosId;
    return this.#nextDemoTexts(n).map((d) => {
      const prompt = promptIds(this.tokenizer, d.prompt, this.config.chatTemplate);
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

  /** The services a method's update uses this cycle (methods/types.ts); sampling and scoring time goes to `ms`. */
  #context(cycle: number, ms: { generate: number; reward: number }): CycleContext {
    const eos = this.tokenizer.eosId;
    return {
      config: this.config,
      cycle,
      model: this.model,
      optimizer: this.#optimizer,
      lr: this.#lr(cycle),
      eosId: eos,
      nextPrompts: () => this.#nextPrompts(),
      sampleAndScore: (prompts) => this.#sampleAndScore(cycle, prompts, ms),
      select: (scored) => {
        this.#progress(cycle, 'select', 0, 1);
        const kept = new Set(selectSamples(scored.map((s) => ({ promptIndex: s.promptIndex, reward: s.result.reward })), selectionOptions(this.config), this.#selectRng));
        this.#progress(cycle, 'select', 1, 1);
        return kept;
      },
      record: (s, kept) => this.#record(s, kept),
      sequenceOf: (s) => this.#sequenceOf(s),
      nextDemos: (n) => this.#nextDemos(n),
      nextDemoTexts: (n) => this.#nextDemoTexts(n),
      referenceHint: this.task.referenceHint ?? null,
      generateTexts: (texts, which) => this.#generateTexts(cycle, texts, which),
      promptTokens: (text) => promptIds(this.tokenizer, text, this.config.chatTemplate),
      encode: (text) => this.tokenizer.encode(text),
      withReference: (f) => this.#withReference(f),
      train: (items, seqsOf, step, opts) => this.#train(cycle, items, seqsOf, step, opts?.skipEmpty ?? false, opts?.epochs ?? this.config.epochsPerCycle),
      referenceLogProbs: (seqs) => this.referenceLogProbs(seqs),
      tokenLogProbs: (seqs, which) => (which === 'policy' ? perTokenLogProbs(this.model, seqs, eos) : this.#withReference((m) => perTokenLogProbs(m, seqs, eos))),
      progress: (phase, done, total) => this.#progress(cycle, phase, done, total),
    };
  }

  /** The training loop of every method: epochs of batches shuffled by the train stream (methods/types.ts). */
  async #train<T>(cycle: number, items: readonly T[], seqsOf: (part: readonly T[]) => Sequence[], step: (batch: Batch, part: readonly T[]) => Promise<number>, skipEmpty: boolean, epochsPerCycle: number): Promise<number | null> {
    if (items.length === 0) return null;
    const eos = this.tokenizer.eosId;
    const { batchSize } = this.config;
    const steps = epochsPerCycle * Math.ceil(items.length / batchSize);
    const losses: number[] = [];
    this.#progress(cycle, 'train', 0, steps);
    for (let e = 0; e < epochsPerCycle; e++) {
      const order = this.#trainRng.shuffled(items);
      for (let i = 0; i < order.length; i += batchSize) {
        const part = order.slice(i, i + batchSize);
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
        this.#progress(cycle, 'train', losses.length, steps);
        await nextTask();
      }
    }
    return mean(losses);
  }

  /** `f` on the reference model: the frozen copy, or this model with its adapters off (best-of-K: the model). */
  async #withReference<R>(f: (m: LanguageModel) => Promise<R>): Promise<R> {
    if (this.#reference) return f(this.#reference);
    const lora = this.model.lora;
    if (!lora) return f(this.model);
    lora.enabled = false;
    try {
      return await f(this.model);
    } finally {
      lora.enabled = true;
    }
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

  #record(s: Scored, kept: boolean): SampleRecord {
    return { promptIndex: s.promptIndex, prompt: this.tokenizer.decode(s.promptTokens), completion: s.completion, reward: s.result.reward, breakdown: s.result.breakdown, kept };
  }

  #progress(cycle: number, phase: Phase, done: number, total: number): void {
    this.#onProgress?.({ cycle, phase, done, total });
  }
}

/** Rewards of items for a measurement: batched (chunks of `chunk`) where the task can; a failing reward counts 0 (checkedReward). */
async function scoreForMeasurement(task: Task, items: RewardItem[], chunk: number): Promise<number[]> {
  const out: number[] = [];
  if (task.rewardMany) {
    for (let i = 0; i < items.length; i += chunk) {
      const part = items.slice(i, i + chunk);
      const got = await task.rewardMany(part).catch((error: unknown) => part.map(() => ({ error })));
      out.push(...part.map((_, j) => checkedReward(got[j] ?? { error: 'no result' }).reward));
    }
    return out;
  }
  for (const it of items) {
    let r: RewardResult | { error: unknown };
    try {
      r = await task.reward(it.prompt, it.completion, it.row);
    } catch (error) {
      r = { error };
    }
    out.push(checkedReward(r).reward);
  }
  return out;
}

/** The share of rewards at or above the task's pass threshold; null for a task without one. */
function passRate(task: Task, rewards: readonly number[]): number | null {
  return task.passThreshold === undefined ? null : rewards.filter((r) => r >= task.passThreshold!).length / Math.max(1, rewards.length);
}

/** A reward call's outcome as a RewardResult; anything but a number in [0, 1] becomes reward 0 with the error. */
function checkedReward(r: RewardResult | { error: unknown }): RewardResult {
  const fail = (error: string): RewardResult => ({ reward: 0, breakdown: { ...('breakdown' in r ? r.breakdown : {}), error, rewardError: true } });
  if ('error' in r && r.error !== undefined) return fail(r.error instanceof Error ? r.error.message : String(r.error));
  const v = (r as { reward: unknown }).reward;
  if (typeof v !== 'number') return fail(`the reward is not a number (got ${typeof v})`);
  if (!Number.isFinite(v)) return fail(`the reward is not finite (got ${v})`);
  if (v < 0 || v > 1) return fail(`the reward is outside [0, 1] (got ${v})`);
  return r as RewardResult;
}

function now(): number {
  return performance.now();
}

function round(x: number): number {
  return Math.round(x);
}
