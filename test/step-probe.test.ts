import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { probeGpt, probeUNet } from '../src/core/step-probe';
import { UNet } from '../src/core/diffusion/unet';
import { tinyModel } from './helpers';

describe('step probe (the automatic backend choice times it)', () => {
  it('times a forward + backward step of a GPT; the same seed gives the same loss and outputs; tensors stay flat', async () => {
    const before = tf.memory().numTensors;
    const a = tinyModel(1);
    const pa = await probeGpt(a, { batch: 4, length: 16 });
    a.dispose();
    const b = tinyModel(1);
    const pb = await probeGpt(b, { batch: 4, length: 16 });
    b.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(pa.msPerStep).toBeGreaterThan(0);
    expect(pa.firstStepMs).toBeGreaterThan(0);
    expect(pa.loss).toBeCloseTo(Math.log(28), 0); // a random model over 29 ids: about log V
    expect(pb.loss).toBe(pa.loss);
    expect(pb.outputs).toEqual(pa.outputs);
    expect(pa.outputs).toHaveLength(8);
  });

  it('times a LoRA step of a denoiser', async () => {
    const model = new UNet({ size: 16, channels: [8, 16], embDim: 16, timeDim: 8, groups: 4, numClasses: 8 }, undefined, 1);
    model.attachLora({ rank: 2, alpha: 4 }, 1);
    const before = tf.memory().numTensors;
    const p = await probeUNet(model, { batch: 4, steps: 1 });
    expect(tf.memory().numTensors).toBe(before);
    expect(p.msPerStep).toBeGreaterThan(0);
    expect(Number.isFinite(p.loss)).toBe(true);
    model.detachLora();
    model.dispose();
  });
});
