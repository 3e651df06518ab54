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

/** Sample one token id from a row of logits. */
export function sampleToken(logits: ArrayLike<number>, opts: SamplingOptions, rng: Rng): number {
  const V = logits.length;
  const t = Math.max(opts.temperature, 1e-6);
  if (opts.topK <= 0 && opts.topP >= 1) return sampleFull(logits, t, rng);
  // candidates sorted by logit, descending; ties keep the lower id first
  const order = Array.from({ length: V }, (_, i) => i);
  order.sort((a, b) => logits[b]! - logits[a]! || a - b);
  let n = opts.topK > 0 ? Math.min(opts.topK, V) : V;
  const max = logits[order[0]!]!;
  const probs = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    probs[i] = Math.exp((logits[order[i]!]! - max) / t);
    sum += probs[i]!;
  }
  if (opts.topP < 1) {
    let cum = 0;
    for (let i = 0; i < n; i++) {
      cum += probs[i]! / sum;
      if (cum >= opts.topP) {
        n = i + 1;
        break;
      }
    }
    sum = 0;
    for (let i = 0; i < n; i++) sum += probs[i]!;
  }
  let u = rng.float() * sum;
  for (let i = 0; i < n; i++) {
    u -= probs[i]!;
    if (u < 0) return order[i]!;
  }
  return order[n - 1]!;
}

/** Plain softmax sampling over the whole vocabulary, in id order (no sort needed). */
function sampleFull(logits: ArrayLike<number>, t: number, rng: Rng): number {
  const V = logits.length;
  let max = -Infinity;
  for (let i = 0; i < V; i++) if (logits[i]! > max) max = logits[i]!;
  const probs = new Float64Array(V);
  let sum = 0;
  for (let i = 0; i < V; i++) sum += probs[i] = Math.exp((logits[i]! - max) / t);
  let u = rng.float() * sum;
  let last = 0;
  for (let i = 0; i < V; i++) {
    if (probs[i]! > 0) last = i;
    u -= probs[i]!;
    if (u < 0) return i;
  }
  return last; // rounding left u >= 0: the last token with any probability
}
