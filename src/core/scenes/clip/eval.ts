/**
 * What the scenes CLIP can tell apart, measured on the world's own images (each eval prompt drawn in `layouts`
 * seeded layouts, at `size` px):
 * - retrieval: for each image, is its own prompt the most similar of its evaluation set's 12 prompts
 *   (SCENE_EVAL_SETS: seenSingles, seenMulti, heldOut, relations)?
 * - hard negatives: for each image, is its own prompt above each one-word edit of it (`promptEdits`: another colour,
 *   shape, size, place or count; a relation's objects swapped, or its other relation)? Per attribute: the blind spots.
 *   An edit the image satisfies too (fidelity 1: an object in a corner is both on the left and at the top) is skipped.
 * - agreement with the verified reward: Pearson's r of clip-score and `fidelity` over every (image, own prompt or
 *   edit) pair.
 */
import { Rng } from '../../rng';
import { SCENE_EVAL_SETS, type SceneEvalSet } from '../eval-sets';
import { fidelity } from '../fidelity';
import { describeSpec, parsePrompt, type ObjectSpec, type SceneSpec } from '../grammar';
import { sampleScene, type SceneLayout } from '../layout';
import { renderScene } from '../render';
import { COLOURS, PLACES, SHAPES, SIZES } from '../vocab';
import type { SceneClip } from './model';
import { clipScoreOf } from './reward';
import { cosineMatrix, dot, embedImageArrays, embedPromptArrays, pairCosines } from './score';
import { blur3 } from '../blur';

export type EditKind = 'colour' | 'shape' | 'size' | 'place' | 'count' | 'order' | 'relation';

/** One-word edits of a prompt (each a different, valid prompt of the grammar), by what they change. */
export function promptEdits(prompt: string): Array<{ kind: EditKind; prompt: string }> {
  const spec = parsePrompt(prompt);
  const out: Array<{ kind: EditKind; prompt: string }> = [];
  const add = (kind: EditKind, s: SceneSpec) => out.push({ kind, prompt: describeSpec(s) });
  const objectEdits = (o: ObjectSpec, put: (o: ObjectSpec) => SceneSpec) => {
    if (o.colour) for (const c of COLOURS) if (c !== o.colour) add('colour', put({ ...o, colour: c }));
    for (const s of SHAPES) if (s !== o.shape) add('shape', put({ ...o, shape: s }));
    if (o.size) for (const z of SIZES) if (z !== o.size) add('size', put({ ...o, size: z }));
  };
  if (spec.kind === 'group') {
    objectEdits(spec.object, (object) => ({ ...spec, object }));
    if (spec.place) for (const p of PLACES) if (p !== spec.place) add('place', { ...spec, place: p });
    if (spec.count) for (const n of [1, 2, 3] as const) if (n !== spec.count) add('count', { ...spec, count: n });
  } else {
    objectEdits(spec.a, (a) => ({ ...spec, a }));
    objectEdits(spec.b, (b) => ({ ...spec, b }));
    if (describeSpec({ ...spec, a: spec.b, b: spec.a }) !== describeSpec(spec)) add('order', { ...spec, a: spec.b, b: spec.a });
    add('relation', { ...spec, relation: spec.relation === 'left of' ? 'above' : 'left of' });
  }
  return out;
}

export interface ClipEvalReport {
  size: number;
  layouts: number;
  /** Top-1 retrieval among the set's 12 prompts, per set. */
  retrieval: Record<SceneEvalSet, number>;
  /** Share of (image, edit) pairs where the own prompt scores higher, per set and per kind of edit. */
  hardNegatives: Record<SceneEvalSet, number>;
  byEdit: Partial<Record<EditKind, { accuracy: number; pairs: number }>>;
  /** The same per set. */
  byEditPerSet: Record<SceneEvalSet, Partial<Record<EditKind, { accuracy: number; pairs: number }>>>;
  /** Pearson's r of clip-score and fidelity over (image, own prompt or edit) pairs, and the pairs' count. */
  fidelityCorrelation: number;
  pairs: number;
  /** Mean clip-score of images with their own prompt, and with their edits. */
  meanOwn: number;
  meanEdit: number;
}

function pearson(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
}

/** The scenes of an eval prompt: `layouts` seeded draws, placed as the world `layout` places objects (default 'spread'). */
export function evalImages(prompt: string, layouts: number, size: number, seed: number, layout?: SceneLayout): Float32Array[] {
  const spec = parsePrompt(prompt);
  return Array.from({ length: layouts }, (_, r) => renderScene(sampleScene(spec, Rng.derive(seed, `scenes-clip/eval/${prompt}/${r}`), layout), size));
}

/** Options of the measures below: image side, draws per prompt, seed, and the world's layout (scenes/layout.ts). */
export interface ClipEvalOptions {
  size?: number;
  layouts?: number;
  seed?: number;
  layout?: SceneLayout;
}

export async function evaluateSceneClip(model: SceneClip, opts: ClipEvalOptions = {}): Promise<ClipEvalReport> {
  const size = opts.size ?? 32;
  const layouts = opts.layouts ?? 4;
  const seed = opts.seed ?? 7;
  const retrieval = {} as Record<SceneEvalSet, number>;
  const hardNegatives = {} as Record<SceneEvalSet, number>;
  const byEdit: Record<string, { right: number; pairs: number }> = {};
  const perSet = {} as Record<SceneEvalSet, Record<string, { right: number; pairs: number }>>;
  const scores: number[] = [];
  const fids: number[] = [];
  const own: number[] = [];
  const edited: number[] = [];
  for (const [set, prompts] of Object.entries(SCENE_EVAL_SETS) as Array<[SceneEvalSet, readonly string[]]>) {
    let right = 0, total = 0, hardRight = 0, hardTotal = 0;
    const mine: Record<string, { right: number; pairs: number }> = (perSet[set] = {});
    for (const prompt of prompts) {
      const images = evalImages(prompt, layouts, size, seed, opts.layout);
      const m = await cosineMatrix(model, images, prompts);
      const k = prompts.indexOf(prompt);
      for (const row of m) {
        right += row.every((c, j) => j === k || c < row[k]!) ? 1 : 0;
        total++;
      }
      const edits = promptEdits(prompt);
      const te = await embedPromptArrays(model, [prompt, ...edits.map((e) => e.prompt)]);
      const ie = await embedImageArrays(model, images);
      const specs = [parsePrompt(prompt), ...edits.map((e) => parsePrompt(e.prompt))];
      ie.forEach((img, i) => {
        const cos = te.map((t) => dot(img, t));
        own.push(clipScoreOf(model.config, cos[0]!));
        cos.forEach((c, j) => {
          const f = fidelity(images[i]!, specs[j]!).reward;
          scores.push(clipScoreOf(model.config, c));
          fids.push(f);
          if (j === 0 || f === 1) return; // an edit the image also satisfies (a corner is left and top) is no negative
          edited.push(clipScoreOf(model.config, c));
          const kind = edits[j - 1]!.kind;
          const ok = cos[0]! > c ? 1 : 0;
          byEdit[kind] ??= { right: 0, pairs: 0 };
          byEdit[kind]!.right += ok;
          byEdit[kind]!.pairs++;
          mine[kind] ??= { right: 0, pairs: 0 };
          mine[kind]!.right += ok;
          mine[kind]!.pairs++;
          hardRight += ok;
          hardTotal++;
        });
      });
    }
    retrieval[set] = right / total;
    hardNegatives[set] = hardRight / hardTotal;
  }
  const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;
  const rates = (m: Record<string, { right: number; pairs: number }>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, { accuracy: v.right / v.pairs, pairs: v.pairs }]));
  return {
    size, layouts, retrieval, hardNegatives, byEdit: rates(byEdit),
    byEditPerSet: Object.fromEntries(Object.entries(perSet).map(([k, v]) => [k, rates(v)])) as ClipEvalReport['byEditPerSet'],
    fidelityCorrelation: pearson(scores, fids), pairs: scores.length, meanOwn: mean(own), meanEdit: mean(edited),
  };
}

/** A 3x3 binomial blur (train.ts' augmentation) applied `times` times. */
function blurred(px: Float32Array, times: number): Float32Array {
  let out = px;
  for (let k = 0; k < times; k++) out = blur3(out);
  return out;
}

/**
 * clip-score beside fidelity on spoiled images of the evaluation prompts (every set, `layouts` layouts each): the
 * clean image, blurred once to three times, with Gaussian pixel noise (sd 0.1, 0.2), a blank background, and the
 * image of another eval prompt (the next one of the list). Where clip-score stays high as fidelity falls, a policy
 * could earn the learned reward without the verified one.
 */
export async function spoiledScores(model: SceneClip, opts: ClipEvalOptions = {}): Promise<Array<{ what: string; clipScore: number; fidelity: number }>> {
  const size = opts.size ?? 32;
  const layouts = opts.layouts ?? 2;
  const seed = opts.seed ?? 7;
  const prompts = Object.values(SCENE_EVAL_SETS).flat();
  const clean = prompts.map((p) => evalImages(p, layouts, size, seed, opts.layout));
  const noiseRng = Rng.derive(seed, 'scenes-clip/eval/noise');
  const noisy = (px: Float32Array, sd: number) => px.map((v) => Math.min(1, Math.max(0, v + sd * noiseRng.normal())));
  const blank = renderScene({ objects: [] }, size);
  const variants: Array<[string, (px: Float32Array, i: number, r: number) => Float32Array]> = [
    ['clean', (px) => px],
    ['blurred once', (px) => blurred(px, 1)],
    ['blurred twice', (px) => blurred(px, 2)],
    ['blurred 3 times', (px) => blurred(px, 3)],
    ['noise sd 0.1', (px) => noisy(px, 0.1)],
    ['noise sd 0.2', (px) => noisy(px, 0.2)],
    ['blank', () => blank],
    ['another prompt\'s image', (_, i, r) => clean[(i + 1) % prompts.length]![r]!],
  ];
  const out: Array<{ what: string; clipScore: number; fidelity: number }> = [];
  for (const [what, spoil] of variants) {
    const images: Float32Array[] = [];
    const texts: string[] = [];
    prompts.forEach((p, i) => clean[i]!.forEach((px, r) => (images.push(spoil(px, i, r)), texts.push(p))));
    const cos = await pairCosines(model, images, texts);
    const fid = images.map((px, k) => fidelity(px, parsePrompt(texts[k]!)).reward);
    out.push({ what, clipScore: cos.reduce((a, c) => a + clipScoreOf(model.config, c), 0) / cos.length, fidelity: fid.reduce((a, b) => a + b, 0) / fid.length });
  }
  return out;
}
