/**
 * Batched generation with a KV cache. Prompts of different lengths are left-padded; padded key positions are
 * masked and position ids start at each row's first real token, so a row's samples equal its unpadded run.
 * Each row's token budget depends on its own prompt only (`rowBudget`); the cache runs on the batch's shared timeline
 * (longest kept prompt + largest budget entries), while every row's positions stay below blockSize.
 * Shapes stay fixed within a call (the cache is allocated at full length), which keeps WebGPU's buffer pool small.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../rng';
import { disposeCache, type LanguageModel } from './language-model';
import { sampleToken, type SamplingOptions } from './sample';
import { nextTask } from '../next-task';

export interface GenerateOptions extends SamplingOptions {
  maxNewTokens: number;
  eosId: number;
  /** Rows per forward pass (memory bound). */
  maxBatch?: number;
  /** Called after each batch with rows done so far. */
  onProgress?: (done: number, total: number) => void;
}

export interface Generation {
  /** Completion token ids, without the end-of-sequence token. */
  tokens: number[];
  /** Whether the row stopped at end-of-sequence (else it hit maxNewTokens). */
  ended: boolean;
}

/** Round a prompt length up to a bucket of 8 to limit the number of distinct shapes. */
function bucket(n: number, limit: number): number {
  return Math.min(limit, Math.ceil(n / 8) * 8);
}

/**
 * New tokens a prompt of `length` tokens may get: maxNewTokens, or what the context window leaves after the prompt
 * (a prompt longer than the window keeps its last blockSize - 1 tokens, leaving room for one new token).
 */
export function rowBudget(length: number, maxNewTokens: number, blockSize: number): number {
  return Math.max(0, Math.min(maxNewTokens, blockSize - Math.min(Math.max(1, length), blockSize - 1)));
}

export async function generate(model: LanguageModel, prompts: number[][], opts: GenerateOptions, rng: Rng): Promise<Generation[]> {
  const maxBatch = opts.maxBatch ?? 64;
  const out: Generation[] = [];
  for (let start = 0; start < prompts.length; start += maxBatch) {
    out.push(...(await generateBatch(model, prompts.slice(start, start + maxBatch), opts, rng)));
    opts.onProgress?.(out.length, prompts.length);
    await nextTask();
  }
  return out;
}

async function generateBatch(model: LanguageModel, prompts: number[][], opts: GenerateOptions, rng: Rng): Promise<Generation[]> {
  const B = prompts.length;
  const { blockSize } = model.config;
  // each row's budget comes from its own prompt (rowBudget), whatever its neighbours are
  const budget = prompts.map((p) => rowBudget(p.length, opts.maxNewTokens, blockSize));
  const maxNew = Math.max(0, ...budget);
  const results: Generation[] = prompts.map(() => ({ tokens: [], ended: false }));
  if (B === 0 || maxNew === 0) return results;
  // keep the end of over-long prompts; every row needs at least one token
  const rows = prompts.map((p, b) => (p.length === 0 ? [opts.eosId] : p.slice(-(blockSize - budget[b]!))));
  const longest = Math.max(...rows.map((r) => r.length));
  const P = Math.max(longest, bucket(longest, blockSize - maxNew));
  const tMax = P + maxNew;
  const pad = rows.map((r) => P - r.length);

  const idsArr = new Int32Array(B * P).fill(opts.eosId);
  const posArr = new Int32Array(B * P);
  const mask = new Float32Array(B * tMax); // which cache entries each row may attend to
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < P; j++) {
      const real = j >= pad[b]!;
      if (real) idsArr[b * P + j] = rows[b]![j - pad[b]!]!;
      posArr[b * P + j] = real ? j - pad[b]! : 0;
      mask[b * tMax + j] = real ? 1 : 0;
    }
  }
  const ids = tf.tensor2d(idsArr, [B, P], 'int32');
  const pos = tf.tensor2d(posArr, [B, P], 'int32');
  const promptMask = tf.tensor2d(mask.slice().filter((_, i) => i % tMax < P), [B, P]);
  const { cache, logits: first } = model.prefill(ids, pos, promptMask, tMax);
  tf.dispose([ids, pos, promptMask]);

  let logits = first;
  const done = new Array<boolean>(B).fill(false);
  try {
    for (let s = 0; s < maxNew; s++) {
      const V = logits.shape[1];
      const data = await logits.data();
      logits.dispose();
      const next = new Int32Array(B).fill(opts.eosId);
      for (let b = 0; b < B; b++) {
        if (done[b]) continue;
        const tok = sampleToken(data.subarray(b * V, (b + 1) * V), opts, rng);
        if (tok === opts.eosId) {
          done[b] = true;
          results[b]!.ended = true;
        } else {
          results[b]!.tokens.push(tok);
          next[b] = tok;
          if (results[b]!.tokens.length >= budget[b]!) done[b] = true; // its budget is spent
        }
      }
      if (s === maxNew - 1 || done.every(Boolean)) return results;
      const t = P + s; // cache index of the token fed now
      const stepPos = new Int32Array(B);
      for (let b = 0; b < B; b++) {
        stepPos[b] = Math.min(t - pad[b]!, blockSize - 1);
        mask[b * tMax + t] = 1;
      }
      const stepIds = tf.tensor2d(next, [B, 1], 'int32');
      const stepPosT = tf.tensor2d(stepPos, [B, 1], 'int32');
      const stepMask = tf.tensor2d(mask, [B, tMax]);
      logits = model.step(stepIds, stepPosT, stepMask, cache, t);
      tf.dispose([stepIds, stepPosT, stepMask]);
    }
    return results;
  } finally {
    if (!logits.isDisposed) logits.dispose();
    disposeCache(cache);
  }
}
