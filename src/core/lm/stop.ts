/**
 * Stop strings: a completion ends after the first token whose text completes one of them (the completion keeps the
 * stop string; text after it in that last token is dropped with the rest). Found by bisection on the decoded prefix,
 * since "the prefix contains a stop string" only turns true as the prefix grows.
 */
import type { Generation } from './generate';

export function cutAtStop(gen: Generation, decode: (ids: readonly number[]) => string, stops: readonly string[]): Generation {
  if (stops.length === 0 || gen.tokens.length === 0) return gen;
  const hit = (n: number) => {
    const text = decode(gen.tokens.slice(0, n));
    return stops.some((s) => text.includes(s));
  };
  if (!hit(gen.tokens.length)) return gen;
  let lo = 1;
  let hi = gen.tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (hit(mid)) hi = mid;
    else lo = mid + 1;
  }
  // a stop ends the completion as end-of-sequence does: training appends EOS after it, so the model learns to stop
  return { tokens: gen.tokens.slice(0, lo), ended: true };
}
