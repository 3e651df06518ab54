/**
 * The scenes DiT's pre-training batches and gradients, split for data parallelism (scripts/pretrain-scenes.ts runs
 * `parts` threads, each on its share of a step's batch, and averages their gradients). A step's batch is a pure
 * function of (recipe seed, step, part, parts): the training pairs are trainingPair seeds seed * 1e6 + step * B + i
 * (held-out combinations never appear), and each part draws its prompt dropout, timesteps and noise from its own
 * derived stream, so the same seed, steps and parts give the same weights on the same backend.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../rng';
import { BACKGROUND, isSingleObject, trainingPair, type SceneLayout } from '../../scenes';
import { edgeBandWeights } from './edge-weights';
import type { NoiseSchedule } from '../schedule';
import type { SceneDiT } from './model';
import { SCENES_PRETRAIN, scenesWordIds } from './recipe';
import { nullTokens, promptTokens } from './tokens';
import { drawDiTBatch, drawSelfCondRows, ditLoss, withSelfCond, type DiTBatch } from './train';

export interface PretrainBatchOptions {
  seed: number;
  batchSize: number;
  /** Share of prompts replaced by the null prompt (classifier-free guidance). */
  promptDropout: number;
  imageSize: number;
  maxTokens: number;
  /**
   * Share of each part's images whose timestep is drawn from [highNoiseFrom, schedule end) instead of the whole
   * schedule: where the image is gone and only the prompt says where things go (0 = uniform t).
   */
  highNoiseShare?: number;
  highNoiseFrom?: number;
  /** Only captions of one object (a probe of whether the grammar's mixture spreads the model thin). */
  singlesOnly?: boolean;
  /** Mark images for self-conditioning (drawSelfCondRows): for a model with `selfCond`. */
  selfCond?: boolean;
  /** How the world places its objects (scenes/layout.ts); unset: 'spread' (the earlier shipped models' world; the shipped one is on 'lattice'). */
  layout?: SceneLayout;
  /** Extra loss weight of the pixels within 2 px of an outline (edge-weights.ts); unset or 0: a plain mean. */
  edgeWeight?: number;
}

/** The rows [from, to) of a batch of `batchSize` that part `part` (0-based) of `parts` holds (sizes differ by at most one). */
export function partRows(part: number, parts: number, batchSize: number): { from: number; to: number } {
  return { from: Math.floor((part * batchSize) / parts), to: Math.floor(((part + 1) * batchSize) / parts) };
}

/** Part `part` (0-based) of `parts` of step `step`'s batch (the parts' sizes differ by at most one). */
export function scenesPretrainBatch(step: number, part: number, parts: number, o: PretrainBatchOptions, schedule: NoiseSchedule): DiTBatch {
  if (!(parts >= 1 && part >= 0 && part < parts && parts <= o.batchSize)) throw new Error(`pretrain batch: part ${part} of ${parts} of ${o.batchSize}`);
  const { from, to } = partRows(part, parts, o.batchSize);
  const rng = Rng.derive(o.seed, `scenes/pretrain/${step}/${part}/${parts}`);
  const nul = nullTokens(o.maxTokens);
  const images: Float32Array[] = [];
  const ids: Int32Array[] = [];
  for (let i = from; i < to; i++) {
    const pair = trainingPair(o.seed * 1_000_000 + step * o.batchSize + i, o.imageSize, o.singlesOnly ? isSingleObject : undefined, o.layout);
    images.push(pair.pixels);
    ids.push(rng.chance(o.promptDropout) ? nul : promptTokens(scenesWordIds(pair.prompt), o.maxTokens));
  }
  const batch = drawDiTBatch(images, ids, o.imageSize, schedule, rng);
  if (o.edgeWeight) batch.pixelWeights = edgeBandWeights(batch.images, o.imageSize, BACKGROUND, o.edgeWeight);
  const share = o.highNoiseShare ?? 0;
  if (share > 0) {
    const from = o.highNoiseFrom ?? Math.floor(schedule.steps / 2);
    batch.t = batch.t.map((t) => (rng.chance(share) ? from + rng.int(schedule.steps - from) : t));
  }
  return o.selfCond ? drawSelfCondRows(batch, rng) : batch;
}

/** The recipe's batch options for a model config. */
export function scenesPretrainOptions(c: { imageSize: number; maxTokens: number; selfCond?: boolean }): PretrainBatchOptions {
  const R = SCENES_PRETRAIN;
  return {
    seed: R.seed, batchSize: R.batchSize, promptDropout: R.promptDropout, imageSize: c.imageSize, maxTokens: c.maxTokens,
    highNoiseShare: R.highNoiseShare, highNoiseFrom: R.highNoiseFrom, ...(c.selfCond ? { selfCond: true } : {}),
  };
}

/** Loss and gradients of `vars` (in order) on a batch, read out as arrays; no tensor survives the call. */
export async function ditGradientArrays(model: SceneDiT, vars: readonly tf.Variable[], given: DiTBatch, schedule: NoiseSchedule): Promise<{ loss: number; grads: Float32Array[] }> {
  const batch = await withSelfCond(model, given, schedule);
  const { value, grads } = tf.variableGrads(() => ditLoss(model, batch, schedule), vars as tf.Variable[]);
  try {
    const arrays = await Promise.all(vars.map((v) => grads[v.name]!.data() as Promise<Float32Array>));
    return { loss: (await value.data())[0]!, grads: arrays };
  } finally {
    value.dispose();
    tf.dispose(grads);
  }
}
