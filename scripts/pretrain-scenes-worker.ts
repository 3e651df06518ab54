/**
 * A gradient worker of scripts/pretrain-scenes.ts (a worker thread with its own TF.js): it holds a replica of the
 * DiT, and for each request {step, weights} takes the weights, computes the loss and gradients of its part of that
 * step's batch (scenes-pretrain.ts, with the main thread's batch options) and posts them back (transferred).
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import type { DiTConfig } from '../src/core/diffusion/dit/config';
import { SceneDiT } from '../src/core/diffusion/dit/model';
import { SCENES_SCHEDULE } from '../src/core/diffusion/dit/recipe';
import { ditGradientArrays, scenesPretrainBatch, type PretrainBatchOptions } from '../src/core/diffusion/dit/scenes-pretrain';
import { cosineSchedule } from '../src/core/diffusion/schedule';
import { initNodeBackend, type NodeBackend } from '../src/node/backend';

const { config, part, parts, backend, batchOptions } = workerData as { config: DiTConfig; part: number; parts: number; backend: NodeBackend; batchOptions: PretrainBatchOptions };
await initNodeBackend(backend);
const model = new SceneDiT(config, undefined, 1);
const vars = model.variables();
const schedule = cosineSchedule(SCENES_SCHEDULE.steps);
let queue = Promise.resolve();
parentPort!.on('message', (msg: { step: number; weights: Float32Array[] } | 'stop') => {
  queue = queue.then(async () => {
    if (msg === 'stop') {
      model.dispose();
      process.exit(0);
    }
    tf.tidy(() => vars.forEach((v, i) => v.assign(tf.tensor(msg.weights[i]!, v.shape))));
    const batch = scenesPretrainBatch(msg.step, part, parts, batchOptions, schedule);
    const { loss, grads } = await ditGradientArrays(model, vars, batch, schedule);
    parentPort!.postMessage({ step: msg.step, loss, grads }, grads.map((g) => g.buffer as ArrayBuffer));
  });
});
parentPort!.postMessage('ready');
