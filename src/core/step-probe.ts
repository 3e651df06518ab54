/**
 * A short forward and backward pass of a run's actual model, timed: what the lab's automatic backend choice measures
 * on each backend (the fastest wins), and what the backend-agreement test compares across backends (the same seeded
 * batch gives the same loss and logits within float tolerance). A warm-up step first (shader compilation, buffer
 * allocation), then `steps` timed ones; the model's weights are changed by the steps, so probe a throwaway copy.
 */
import * as tf from '@tensorflow/tfjs';
import { Adam } from './lm/adam';
import type { LanguageModel } from './lm/language-model';
import { batchLoss, disposeBatch, makeBatch, trainStep } from './lm/train';
import type { UNet } from './diffusion/unet';
import { cosineSchedule } from './diffusion/schedule';
import { denoiseStep, drawBatch, meanDenoiseLoss } from './diffusion/train';
import { PIXELS } from './diffusion/dataset';
import { SHAPES_SCHEDULE } from './diffusion/shapes-recipe';
import { Rng } from './rng';

export interface StepProbe {
  /** Only the warm-up step ran: it took longer than `maxFirstStepMs` (msPerStep is then the warm-up's time). */
  warmupOnly?: boolean;
  /** Milliseconds of one forward + backward + Adam step (mean of the timed steps). */
  msPerStep: number;
  /** The warm-up step, compilation included. */
  firstStepMs: number;
  /** Loss of the seeded batch before any step. */
  loss: number;
  /** The first logits (GPT) or outputs (U-Net) of the seeded batch before any step. */
  outputs: number[];
}

const now = () => performance.now();

export interface ProbeOptions {
  batch?: number;
  /** Timed steps after the warm-up. */
  steps?: number;
  seed?: number;
  /** Stop after the warm-up when it took longer than this (the backend is clearly slower than another). */
  maxFirstStepMs?: number;
}

/** Probe a GPT: `batch` random sequences of `length` tokens (seeded), loss on every token. */
export async function probeGpt(model: LanguageModel, opts: ProbeOptions & { length?: number } = {}): Promise<StepProbe> {
  const { batch = 8, steps = 2, seed = 1 } = opts;
  const length = Math.min(opts.length ?? 64, model.config.blockSize + 1);
  const rng = new Rng(seed);
  const seqs = Array.from({ length: batch }, () => ({ tokens: Array.from({ length }, () => rng.int(model.config.vocabSize)), lossFrom: 1 }));
  const b = makeBatch(seqs, model.config.blockSize, 0);
  const opt = new Adam();
  try {
    const lossT = tf.tidy(() => batchLoss(model, b, false));
    const outT = tf.tidy(() => model.forward(b.ids).slice([0, 0], [1, 8]));
    const [loss, outputs] = [(await lossT.data())[0]!, Array.from(await outT.data())];
    tf.dispose([lossT, outT]);
    return { ...(await timeSteps(() => trainStep(model, opt, b, 1e-4, 1), steps, opts.maxFirstStepMs)), loss, outputs };
  } finally {
    opt.dispose();
    disposeBatch(b);
  }
}

/** Probe a denoiser with LoRA attached: `batch` seeded noise images, the denoising loss. */
export async function probeUNet(model: UNet, opts: ProbeOptions = {}): Promise<StepProbe> {
  const { batch = 16, steps = 2, seed = 1 } = opts;
  const schedule = cosineSchedule(SHAPES_SCHEDULE.steps);
  const rng = new Rng(seed);
  const images = Array.from({ length: batch }, () => Float32Array.from({ length: PIXELS }, () => rng.float()));
  const labels = images.map((_, i) => i % model.config.numClasses);
  const b = drawBatch(images, labels, schedule, rng);
  const opt = new Adam();
  try {
    const loss = await meanDenoiseLoss(model, [b], schedule);
    const vars = model.lora!.variables();
    return { ...(await timeSteps(() => denoiseStep(model, vars, opt, b, schedule, 1e-4, 1), steps, opts.maxFirstStepMs)), loss, outputs: [loss] };
  } finally {
    opt.dispose();
  }
}

async function timeSteps(step: () => Promise<number>, steps: number, maxFirstStepMs = Infinity): Promise<Pick<StepProbe, 'msPerStep' | 'firstStepMs' | 'warmupOnly'>> {
  let t0 = now();
  await step();
  const firstStepMs = now() - t0;
  if (firstStepMs > maxFirstStepMs) return { msPerStep: firstStepMs, firstStepMs, warmupOnly: true };
  t0 = now();
  for (let i = 0; i < steps; i++) await step();
  return { msPerStep: (now() - t0) / Math.max(1, steps), firstStepMs };
}
