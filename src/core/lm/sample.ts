/**
 * Choosing the next token from logits: temperature, top-k and top-p (nucleus), with the run's seeded Rng.
 * Runs in plain JS on logits read back from the backend, so the same logits and seed give the same token anywhere.
 */
import type { Rng } from '../rng';

export interface SamplingOptions {
  temperature: number;
  /** Keep the k most likely tokens; 0 = off. */
  topK: number;
  /** Keep the smallest set of tokens whose probability reaches p; 1 = off. */
  topP: number;
}

/**
 * The distribution a row of logits is sampled from, unnormalised: the candidate ids (all of them in id order when
 * neither top-k nor top-p is on, else sorted by logit, descending, ties by lower id) and their weights
 * exp((logit - max) / temperature); the first `n` candidates are the support and `sum` their total weight.
 */
export interface SamplingCandidates {
  ids: ArrayLike<number>;
  weights: Float64Array;
  n: number;
  sum: number;
}

export function samplingCandidates(logits: ArrayLike<number>, opts: SamplingOptions): SamplingCandidates {
  const V = logits.length;
  const t = Math.max(opts.temperature, 1e-6);
  if (opts.topK <= 0 && opts.topP >= 1) {
    let max = -Infinity;
    for (let i = 0; i < V; i++) if (logits[i]! > max) max = logits[i]!;
    const weights = new Float64Array(V);
    let sum = 0;
    for (let i = 0; i < V; i++) sum += weights[i] = Math.exp((logits[i]! - max) / t);
    return { ids: identityIds(V), weights, n: V, sum };
  }
  const order = Array.from({ length: V }, (_, i) => i);
  order.sort((a, b) => logits[b]! - logits[a]! || a - b);
  let n = opts.topK > 0 ? Math.min(opts.topK, V) : V;
  const max = logits[order[0]!]!;
  const weights = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    weights[i] = Math.exp((logits[order[i]!]! - max) / t);
    sum += weights[i]!;
  }
  if (opts.topP < 1) {
    let cum = 0;
    for (let i = 0; i < n; i++) {
      cum += weights[i]! / sum;
      if (cum >= opts.topP) {
        n = i + 1;
        break;
      }
    }
    sum = 0;
    for (let i = 0; i < n; i++) sum += weights[i]!;
  }
  return { ids: order, weights, n, sum };
}

/** Sample one token id from a row of logits. */
export function sampleToken(logits: ArrayLike<number>, opts: SamplingOptions, rng: Rng): number {
  const { ids, weights, n, sum } = samplingCandidates(logits, opts);
  let u = rng.float() * sum;
  if (opts.topK <= 0 && opts.topP >= 1) {
    // whole vocabulary in id order: rounding may leave u >= 0, then the last token with any probability
    let last = 0;
    for (let i = 0; i < n; i++) {
      if (weights[i]! > 0) last = i;
      u -= weights[i]!;
      if (u < 0) return i;
    }
    return last;
  }
  for (let i = 0; i < n; i++) {
    u -= weights[i]!;
    if (u < 0) return ids[i]!;
  }
  return ids[n - 1]!;
}

let identity = new Int32Array(0);

/** 0, 1, ..., n - 1 (one shared array, grown when a larger vocabulary comes). */
function identityIds(n: number): ArrayLike<number> {
  if (identity.length < n) identity = Int32Array.from({ length: n }, (_, i) => i);
  return identity.length === n ? identity : identity.subarray(0, n);
}
