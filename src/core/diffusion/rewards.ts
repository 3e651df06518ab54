/**
 * Rewards computed from the pixels of a square RGB image (the shapes task's 16x16, or a Hub model's; values in
 * [0, 1], HWC), each in [0, 1]:
 * - redness: how red the foreground is: mean over foreground pixels of clamp(r - max(g, b)); pure red = 1, blue = 0.
 *   The foreground weight of a pixel is clamp((max channel - 0.3) / 0.3) (the backgrounds are dark).
 * - symmetry: left-right mirror symmetry, 1 - min(1, mean |img - mirror(img)| / 0.2).
 * - brightness: mean luminance (0.299 r + 0.587 g + 0.114 b).
 * - contrast: min(1, 2 x standard deviation of the luminance).
 * - count: shapes counted as 4-connected foreground components of at least 3 pixels, against the prompt's number
 *   ("two circles" = 2, "a square" = 1, "stripes" = at least 2 bands): 1 on the mark, 0.5 one off, else 0.
 * - fidelity (task scenes only): how much of the prompt the image satisfies, by the scenes detector
 *   (core/scenes/fidelity.ts); on scenes, `count` is the detector's count against the prompt (scenes/reward.ts).
 * - clip-score (task scenes only): the scenes CLIP's match of the image and its prompt (core/scenes/clip/reward.ts).
 * Named rewards are weighted combinations (weighted mean) of these parts; every result carries all parts as its
 * breakdown.
 */
import type { RewardResult } from '../tasks/types';
import { looksLikeMix, parseMix } from '../weighted-mix';
import { SHAPE_LABELS } from './dataset';

/** Parts computed from the pixels alone (and, for count, the prompt's number). */
export type PixelRewardPart = 'redness' | 'symmetry' | 'brightness' | 'contrast' | 'count';
/** Parts only task scenes computes: they read the prompt in the scenes grammar. */
export type ScenesRewardPart = 'fidelity' | 'clip-score';
export type RewardPart = PixelRewardPart | ScenesRewardPart;
export type RewardWeights = Partial<Record<RewardPart, number>>;

/** The rewards `--reward` offers, by name. */
export const IMAGE_REWARDS = {
  redness: { redness: 1 },
  symmetry: { symmetry: 1 },
  brightness: { brightness: 1 },
  contrast: { contrast: 1 },
  count: { count: 1 },
  'red-symmetric': { redness: 0.5, symmetry: 0.5 },
  fidelity: { fidelity: 1 },
} as const satisfies Record<string, RewardWeights>;
export type ImageRewardName = keyof typeof IMAGE_REWARDS;
/** The parts a weighted mix may weigh (`--reward fidelity:0.7,clip-score:0.3`): the weighted mean of the parts. */
export const IMAGE_REWARD_PARTS: readonly RewardPart[] = ['redness', 'symmetry', 'brightness', 'contrast', 'count', 'fidelity', 'clip-score'];
export const IMAGE_REWARD_NAMES = Object.keys(IMAGE_REWARDS) as ImageRewardName[];

/**
 * The weights of a run's `imageReward` setting: a named reward of IMAGE_REWARDS, `clip-score` (on task scenes, a
 * part like fidelity: the scenes CLIP's), or a weighted mix of IMAGE_REWARD_PARTS (`fidelity:0.7,clip-score:0.3`);
 * undefined for anything else (a Hub model's learned reward).
 */
export function imageRewardWeights(name: string): RewardWeights | undefined {
  if (name === 'clip-score') return { 'clip-score': 1 };
  if (looksLikeMix(name)) {
    const mix = parseMix(name, IMAGE_REWARD_PARTS);
    return mix.ok ? (Object.fromEntries(mix.weights) as RewardWeights) : undefined;
  }
  return (IMAGE_REWARDS as Record<string, RewardWeights>)[name];
}

/** The side of a square HWC RGB image (the shapes task's are IMAGE_SIZE; a Hub model's may be larger). */
const sideOf = (px: ArrayLike<number>) => Math.round(Math.sqrt(px.length / 3));
const clamp01 = (x: number) => Math.min(1, Math.max(0, x));
const fgWeight = (px: ArrayLike<number>, i: number) => clamp01((Math.max(px[i]!, px[i + 1]!, px[i + 2]!) - 0.3) / 0.3);

export function redness(px: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i + 2 < px.length; i += 3) {
    const w = fgWeight(px, i);
    num += w * clamp01(px[i]! - Math.max(px[i + 1]!, px[i + 2]!));
    den += w;
  }
  return den < 1 ? 0 : num / den;
}

export function symmetry(px: ArrayLike<number>): number {
  const S = sideOf(px);
  let d = 0;
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      for (let c = 0; c < 3; c++) d += Math.abs(px[(y * S + x) * 3 + c]! - px[(y * S + (S - 1 - x)) * 3 + c]!);
    }
  }
  return 1 - Math.min(1, d / (S * S * 3) / 0.2);
}

function luminance(px: ArrayLike<number>): Float64Array {
  const out = new Float64Array(Math.floor(px.length / 3));
  for (let i = 0; i < out.length; i++) out[i] = 0.299 * px[i * 3]! + 0.587 * px[i * 3 + 1]! + 0.114 * px[i * 3 + 2]!;
  return out;
}

export function brightness(px: ArrayLike<number>): number {
  const l = luminance(px);
  return l.reduce((a, b) => a + b, 0) / l.length;
}

export function contrast(px: ArrayLike<number>): number {
  const l = luminance(px);
  const m = l.reduce((a, b) => a + b, 0) / l.length;
  const v = l.reduce((a, b) => a + (b - m) ** 2, 0) / l.length;
  return Math.min(1, 2 * Math.sqrt(v));
}

/** Foreground components (4-connected, at least `minSize` pixels). */
export function countShapes(px: ArrayLike<number>, minSize = 3): number {
  const S = sideOf(px);
  const fg = new Uint8Array(S * S);
  for (let i = 0; i < S * S; i++) fg[i] = fgWeight(px, i * 3) > 0.5 ? 1 : 0;
  const seen = new Uint8Array(S * S);
  let count = 0;
  for (let start = 0; start < S * S; start++) {
    if (!fg[start] || seen[start]) continue;
    let size = 0;
    const stack = [start];
    seen[start] = 1;
    while (stack.length) {
      const p = stack.pop()!;
      size++;
      const x = p % S;
      const y = (p - x) / S;
      for (const [nx, ny] of [[x - 1, y], [x + 1, y], [x, y - 1], [x, y + 1]] as const) {
        if (nx < 0 || ny < 0 || nx >= S || ny >= S) continue;
        const q = ny * S + nx;
        if (fg[q] && !seen[q]) {
          seen[q] = 1;
          stack.push(q);
        }
      }
    }
    if (size >= minSize) count++;
  }
  return count;
}

/** Count reward for a prompt's label: 1 on the mark, 0.5 one off, 0 otherwise (stripes: at least 2 bands). */
export function countReward(found: number, labelId: number): number {
  const label = SHAPE_LABELS[labelId];
  if (!label) return 0;
  if (label.kind === 'stripes') return found >= 2 ? 1 : found === 1 ? 0.5 : 0;
  const off = Math.abs(found - label.count);
  return off === 0 ? 1 : off === 1 ? 0.5 : 0;
}

/** Whether a reward's weights use a part only task scenes computes (fidelity, clip-score). */
export function needsScenes(weights: RewardWeights): boolean {
  return (weights.fidelity ?? 0) > 0 || (weights['clip-score'] ?? 0) > 0;
}

export interface RewardPartsResult {
  parts: Record<PixelRewardPart, number>;
  shapes: number;
}

export function rewardParts(px: ArrayLike<number>, labelId: number): RewardPartsResult {
  const shapes = countShapes(px);
  return {
    parts: { redness: redness(px), symmetry: symmetry(px), brightness: brightness(px), contrast: contrast(px), count: countReward(shapes, labelId) },
    shapes,
  };
}

/** Weighted mean of the parts (weights need not sum to 1; parts without weight are ignored; a weighted part missing is an error). */
export function combineParts(parts: Partial<Record<RewardPart, number>>, weights: RewardWeights): number {
  let num = 0;
  let den = 0;
  for (const [k, w] of Object.entries(weights) as Array<[RewardPart, number]>) {
    if (!(w > 0)) continue;
    const v = parts[k];
    if (v === undefined) throw new Error(`reward part ${k} is not computed here (fidelity and clip-score are task scenes')`);
    num += w * v;
    den += w;
  }
  if (den === 0) throw new Error('a combined reward needs at least one positive weight');
  return num / den;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** The reward of an image for a prompt's label, with every part in the breakdown. */
export function imageReward(weights: RewardWeights, px: ArrayLike<number>, labelId: number): RewardResult {
  const { parts, shapes } = rewardParts(px, labelId);
  const reward = combineParts(parts, weights);
  return {
    reward,
    breakdown: {
      redness: round3(parts.redness), symmetry: round3(parts.symmetry), brightness: round3(parts.brightness),
      contrast: round3(parts.contrast), count: round3(parts.count), shapes,
    },
  };
}
