/**
 * Pre-training loop for an embedded base model: seeded batches of whole documents, Adam with linear warm-up and
 * cosine decay to a tenth of the peak learning rate. Same seed and backend => same weights.
 */
import { Rng } from '../rng';
import { Adam } from './adam';
import type { LanguageModel } from './language-model';
import { disposeBatch, makeBatch, trainStep, type Sequence } from './train';

export interface PretrainOptions {
  steps: number;
  batchSize: number;
  lr: number;
  warmup: number;
  seed: number;
  padId: number;
  gradClip?: number;
  /** Called every `logEvery` steps and at the end with the running loss. */
  onLog?: (step: number, loss: number, lr: number) => void | Promise<void>;
  logEvery?: number;
}

/** Linear warm-up, then cosine decay to a tenth. */
export function pretrainLr(step: number, o: Pick<PretrainOptions, 'steps' | 'lr' | 'warmup'>): number {
  if (step < o.warmup) return (o.lr * (step + 1)) / o.warmup;
  const p = (step - o.warmup) / Math.max(1, o.steps - o.warmup);
  return o.lr * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * p)));
}

/** Train `model` in place on `docs`; returns the final running (EMA) loss. */
export async function pretrain(model: LanguageModel, docs: readonly Sequence[], o: PretrainOptions): Promise<number> {
  const opt = new Adam();
  const rng = Rng.derive(o.seed, 'pretrain/batches');
  const logEvery = o.logEvery ?? 100;
  let order: Sequence[] = [];
  let cursor = 0;
  let running = 0;
  try {
    for (let step = 0; step < o.steps; step++) {
      if (cursor + o.batchSize > order.length) {
        order = rng.shuffled(docs);
        cursor = 0;
      }
      const batch = makeBatch(order.slice(cursor, cursor + o.batchSize), model.config.blockSize, o.padId);
      cursor += o.batchSize;
      const lr = pretrainLr(step, o);
      const loss = await trainStep(model, opt, batch, lr, o.gradClip ?? 1);
      disposeBatch(batch);
      running = step === 0 ? loss : 0.98 * running + 0.02 * loss;
      if ((step + 1) % logEvery === 0 || step === o.steps - 1) await o.onLog?.(step + 1, running, lr);
    }
  } finally {
    opt.dispose();
  }
  return running;
}
