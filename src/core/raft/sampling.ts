/**
 * Sampling for a language run: prompt texts to token rows (the chat template when set), K samples per prompt with
 * the run's temperature / top-k / top-p and the task's stop strings, samples as training sequences and as records.
 * The random stream is the caller's: training samples, eval samples and general tasks each draw from their own.
 */
import type { RunConfig } from '../config/schema';
import { generate, type Generation } from '../lm/generate';
import type { LanguageModel } from '../lm/language-model';
import { cutAtStop } from '../lm/stop';
import type { Sequence } from '../lm/train';
import type { Rng } from '../rng';
import { promptIds, type Task, type Tokenizer } from '../tasks/types';
import type { Scored } from './methods/types';
import type { Phase, SampleRecord } from './types';

/** A generated sample before its reward. */
export type Unscored = Omit<Scored, 'result' | 'completion'>;

export class Sampler {
  constructor(
    readonly model: LanguageModel,
    readonly tokenizer: Tokenizer,
    readonly task: Task,
    readonly config: RunConfig,
    readonly progress: (cycle: number, phase: Phase, done: number, total: number) => void,
  ) {}

  /** The token ids a prompt text is generated from. */
  promptTokens(text: string): number[] {
    return promptIds(this.tokenizer, text, this.config.chatTemplate);
  }

  /** Samples of `model` for prompt token rows with the run's sampling settings, cut at `stops`. */
  async sample(model: LanguageModel, cycle: number, prompts: number[][], rng: Rng, phase: Phase, maxNewTokens: number, stops: readonly string[] = []): Promise<Generation[]> {
    this.progress(cycle, phase, 0, prompts.length);
    const gens = await generate(model, prompts, {
      maxNewTokens,
      temperature: this.config.temperature,
      topK: this.config.topK,
      topP: this.config.topP,
      eosId: this.tokenizer.eosId,
      maxBatch: this.config.genBatch,
      onProgress: (done, total) => this.progress(cycle, phase, done, total),
    }, rng);
    const decode = (ids: readonly number[]) => this.tokenizer.decode(ids);
    return stops.length ? gens.map((g) => cutAtStop(g, decode, stops)) : gens;
  }

  /** K samples of the policy for each of the task's train (or held-out eval) prompts `promptIdx`. */
  async generate(cycle: number, promptIdx: number[], k: number, rng: Rng, heldOut = false): Promise<Unscored[]> {
    const texts = heldOut ? this.task.evalPrompts : this.task.trainPrompts;
    const rows: Array<{ promptIndex: number; promptTokens: number[] }> = [];
    for (const p of promptIdx) {
      const promptTokens = this.promptTokens(texts[p]!);
      for (let j = 0; j < k; j++) rows.push({ promptIndex: p, promptTokens });
    }
    const gens = await this.sample(this.model, cycle, rows.map((r) => r.promptTokens), rng, heldOut ? 'evaluate' : 'generate', this.config.maxNewTokens, this.task.stop);
    return rows.map((r, i) => ({ ...r, gen: gens[i]! }));
  }

  /** A sample as a training sequence: prompt + completion (+ EOS when it ended), loss on the completion. */
  sequenceOf(s: Scored): Sequence {
    return { tokens: [...s.promptTokens, ...s.gen.tokens, ...(s.gen.ended ? [this.tokenizer.eosId] : [])], lossFrom: s.promptTokens.length };
  }

  /** Held-out texts as whole documents for perplexity (every token after the document start counts). */
  heldOutSequences(texts: readonly string[]): Sequence[] {
    const eos = this.tokenizer.eosId;
    return texts.map((text) => ({ tokens: [...promptIds(this.tokenizer, text), eos], lossFrom: 1 }));
  }

  record(s: Scored, kept: boolean): SampleRecord {
    return { promptIndex: s.promptIndex, prompt: this.tokenizer.decode(s.promptTokens), completion: s.completion, reward: s.result.reward, breakdown: s.result.breakdown, kept };
  }
}
