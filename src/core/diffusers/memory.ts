/**
 * What a RAFT run on a diffusers UNet needs in memory, from its `unet/config.json` alone (before the weights are
 * downloaded), in the language models' MemoryEstimate shape so the Models panel and `checkFit` treat both alike: the
 * weights (float32), the LoRA adapters with their gradients and Adam's two moments, and the activations of the larger
 * of a training micro-batch (every taped tensor of the forward pass: about 12 values per output channel and pixel of
 * a resnet, 6 of an attention block plus its heads x (H W)^2 scores) and a sampling batch (no tape: the largest
 * layer's input and output, and an attention's scores). An estimate, stated as such; the largest single tensor is
 * what one WebGPU buffer must hold (a sampling batch's largest attention scores, or the largest weight).
 */
import type { MemoryEstimate } from '../hub/memory-fit';
import { unet2dParamCount, unet2dPlan, type UNet2DConfig } from './unet2d/config';
import { unetLoraModules, type UNetLoraTarget } from './unet2d/lora';

const F32 = 4;

export interface UNetRunShape {
  rank: number;
  targets: readonly UNetLoraTarget[];
  /** Images per sampling pass and rows per training micro-batch (core/diffusers/denoiser.ts). */
  sampleBatch: number;
  microBatch: number;
}

export function estimateUNetMemory(c: UNet2DConfig, run: UNetRunShape): MemoryEstimate {
  const plan = unet2dPlan(c);
  const params = unet2dParamCount(c);
  let trainable = 0;
  for (const m of unetLoraModules(plan, run.targets).values()) trainable += Math.min(run.rank, m.nIn, m.nOut) * (m.nIn + m.nOut);
  const S = c.sampleSize;
  // per image: taped values of one forward pass, and the largest layer and attention scores
  let taped = 0;
  let largestLayer = c.inChannels * S * S;
  let largestScores = 0;
  const level = (l: number) => (S / 2 ** l) ** 2;
  const resnets = (rs: ReadonlyArray<{ cin: number; cout: number }>, l: number) => {
    for (const r of rs) {
      taped += 12 * r.cout * level(l) + 2 * r.cin * level(l);
      largestLayer = Math.max(largestLayer, (r.cin + r.cout) * level(l));
    }
  };
  const attentions = (as: ReadonlyArray<{ channels: number; heads: number }>, l: number) => {
    for (const a of as) {
      taped += 6 * a.channels * level(l) + 2 * a.heads * level(l) ** 2;
      largestScores = Math.max(largestScores, a.heads * level(l) ** 2);
    }
  };
  const n = plan.down.length;
  plan.down.forEach((b, i) => (resnets(b.resnets, i), attentions(b.attentions, i)));
  resnets(plan.mid.resnets, n - 1);
  if (plan.mid.attention) attentions([plan.mid.attention], n - 1);
  plan.up.forEach((b, i) => (resnets(b.resnets, n - 1 - i), attentions(b.attentions, n - 1 - i)));
  const train = F32 * run.microBatch * taped;
  const sample = F32 * run.sampleBatch * (2 * largestLayer + 2 * largestScores);
  const activationBytes = Math.max(train, sample);
  const weightsBytes = F32 * params;
  const trainingStateBytes = F32 * 4 * trainable; // adapters, their gradients, Adam's two moments
  const largestWeight = Math.max(...c.blockOutChannels.map((ch) => 9 * 2 * ch * ch));
  return {
    architecture: 'unet2d', params, weightsBytes, trainableParams: trainable, trainingStateBytes, activationBytes,
    totalBytes: weightsBytes + trainingStateBytes + activationBytes, largestTensorBytes: F32 * Math.max(run.sampleBatch * largestScores, largestWeight),
  };
}
