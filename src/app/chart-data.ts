/**
 * Per-cycle series for the charts (uPlot's column format: x values first, then one array per series; null = gap).
 * Cycle 0 is the base model, so it has eval numbers but no training numbers (kept reward, kept fraction).
 */
import { isImageStats, type AnyCycleStats } from './export';

export type Series = Array<Array<number | null>>;

/** What the charts' x axis counts: cycles, or the samples generated so far (methods compared at equal cost). */
export type XAxis = 'cycle' | 'samples';

/** The x values of a run's cycles: the cycle, or the samples its training generated up to that cycle. */
export function xValues(h: readonly AnyCycleStats[], axis: XAxis = 'cycle'): number[] {
  if (axis === 'cycle') return h.map((s) => s.cycle);
  let spent = 0;
  return h.map((s) => (spent += s.budget?.samplesGenerated ?? 0));
}

export function rewardSeries(h: readonly AnyCycleStats[], axis: XAxis = 'cycle'): Series {
  return [xValues(h, axis), h.map((s) => s.evalReward), h.map((s) => s.rewardMeanKept), h.map((s) => s.rewardMean)];
}

export function perplexitySeries(h: readonly AnyCycleStats[], axis: XAxis = 'cycle'): Series {
  return [xValues(h, axis), h.map((s) => s.perplexity)];
}

export function keptFractionSeries(h: readonly AnyCycleStats[], axis: XAxis = 'cycle'): Series {
  return [xValues(h, axis), h.map((s) => s.keptFraction)];
}

/** A language cycle's optional stat (entropy, tied prompts, truncation, clip shares), null for image cycles and older runs. */
export function samplingStat(s: AnyCycleStats, key: 'entropy' | 'fracRewardZeroStd' | 'truncatedFraction' | 'clipRatio'): number | null {
  return isImageStats(s) ? null : (s[key] ?? null);
}

/** Whether some cycle measured its sampling policy's entropy (language runs recorded since the field exists). */
export function hasSamplingStats(h: readonly AnyCycleStats[]): boolean {
  return h.some((s) => samplingStat(s, 'entropy') !== null);
}

/** Entropy of the sampling policy per cycle (nats per token). */
export function entropySeries(h: readonly AnyCycleStats[], axis: XAxis = 'cycle'): Series {
  return [xValues(h, axis), h.map((s) => samplingStat(s, 'entropy'))];
}

/** Shares of the training samples per cycle: prompts whose rewards tied, completions truncated, tokens clipped. */
export function signalSeries(h: readonly AnyCycleStats[], axis: XAxis = 'cycle'): Series {
  return [xValues(h, axis), h.map((s) => samplingStat(s, 'fracRewardZeroStd')), h.map((s) => samplingStat(s, 'truncatedFraction')), h.map((s) => samplingStat(s, 'clipRatio'))];
}

/** The fidelity score of a cycle: perplexity for language tasks, the held-out denoising loss for image tasks. */
export function fidelity(s: AnyCycleStats): number | null {
  return isImageStats(s) ? s.heldOutLoss : s.perplexity;
}

/** Image tasks: the held-out denoising loss per cycle (the counterpart of perplexity). */
export function heldOutLossSeries(h: readonly AnyCycleStats[], axis: XAxis = 'cycle'): Series {
  return [xValues(h, axis), h.map((s) => (isImageStats(s) ? s.heldOutLoss : null))];
}

/** Reward-fidelity trade-off: one point per cycle (x = perplexity or held-out loss, y = eval reward), in cycle order. */
export function tradeoffSeries(h: readonly AnyCycleStats[]): Series {
  return [h.map(fidelity), h.map((s) => s.evalReward)];
}

/** [min, max] of the finite values, padded by 5% (at least `minPad`) so points never sit on the frame. */
export function paddedRange(values: ReadonlyArray<number | null>, minPad = 0.01): [number, number] {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x));
  if (!v.length) return [0, 1];
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  const pad = Math.max((hi - lo) * 0.05, minPad);
  return [lo - pad, hi + pad];
}
