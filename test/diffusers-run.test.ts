// RAFT on a diffusers UNet from the Hub (task hub-images): a run on the class-conditional tiny fixture with the tiny
// CLIP model's clip-score as the reward, both served by a local Hub-layout server; its PEFT adapter and its merged
// pipeline give the same UNet outputs; tensor counts flat across cycles; a resume through the checkpoint's state ends
// with the stats of an uninterrupted run.
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { denoiseCommand } from '../src/cli/denoise';
import { runImageCommand } from '../src/cli/image-run';
import { readSafetensors, writeSafetensors } from '../src/core/hub/safetensors';
import { DEFAULT_CONFIG, type RunConfig } from '../src/core/config/schema';
import { modelOutput } from '../src/core/diffusers/pipeline';
import { prepareHubImageRun } from '../src/core/run/prepare';
import { Rng } from '../src/core/rng';
import { loadDiffusersModel } from '../src/node/diffusers-model';
import { loadDiffusersAdapter } from '../src/node/diffusers-save';
import { nodeImageRewardModels } from '../src/node/image-reward-models';
import { startHubServer } from './hub-server';

const MODEL = join(import.meta.dirname, 'fixtures', 'diffusers-tiny', 'tiny-ddpm-class');
const CONFIG: RunConfig = {
  ...DEFAULT_CONFIG, task: 'hub-images', model: MODEL, seed: 3, cycles: 2, promptsPerCycle: 3, samplesPerPrompt: 3, evalPrompts: 3,
  evalSamplesPerPrompt: 2, evalImages: 4, ddimSteps: 4, batchSize: 4, epochsPerCycle: 1, noiseDraws: 1, lora: 4, loraLr: 1e-2,
  imageReward: 'clip-score', imageRewardModel: 'tiny/clip', imageRewardTarget: 'a red car',
};

describe('RAFT on a diffusers UNet (hub-images)', () => {
  let server: Server;
  let endpoint = '';
  const cache = mkdtempSync(join(tmpdir(), 'raftlab-cache-'));
  const prev = process.env.RAFTLAB_CACHE;

  beforeAll(async () => {
    process.env.RAFTLAB_CACHE = cache;
    ({ server, endpoint } = await startHubServer([]));
  });
  afterAll(async () => {
    if (prev === undefined) delete process.env.RAFTLAB_CACHE;
    else process.env.RAFTLAB_CACHE = prev;
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('runs cycles with a CLIP-score reward; the PEFT adapter on the base UNet scores like the merged pipeline', { timeout: 120_000 }, async () => {
    const lines: string[] = [];
    const adapterDir = mkdtempSync(join(tmpdir(), 'raftlab-adapter-'));
    const mergedDir = mkdtempSync(join(tmpdir(), 'raftlab-merged-'));
    const run = await runImageCommand(CONFIG, (l) => lines.push(l), undefined, { save: adapterDir, hfEndpoint: endpoint });
    console.info(lines.join('\n'));
    expect(run.cycles.map((c) => c.cycle)).toEqual([0, 1, 2]);
    for (const c of run.cycles) {
      expect(c.evalReward).toBeGreaterThanOrEqual(0);
      expect(c.evalReward).toBeLessThanOrEqual(1);
      expect(Number.isFinite(c.heldOutLoss)).toBe(true);
    }
    expect(run.cycles[1]!.keptCount).toBeGreaterThan(0);
    expect(readdirSync(adapterDir).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    // the same seeded run again, saved merged: the same training, so base + adapter = merged
    await runImageCommand(CONFIG, () => undefined, undefined, { save: mergedDir, merge: true, hfEndpoint: endpoint });
    expect(readdirSync(mergedDir).sort()).toEqual(['model_index.json', 'scheduler', 'unet']);
    const withAdapter = (await loadDiffusersModel(MODEL)).pipeline;
    await loadDiffusersAdapter(adapterDir, withAdapter);
    const merged = (await loadDiffusersModel(mergedDir)).pipeline;
    const rng = new Rng(1);
    const x = Float32Array.from({ length: 2 * 3 * 16 * 16 }, () => rng.normal());
    const a = await modelOutput(withAdapter.unet, x, [2, 3, 16, 16], [10, 700], [1, 4]);
    const b = await modelOutput(merged.unet, x, [2, 3, 16, 16], [10, 700], [1, 4]);
    const base = await modelOutput((await loadDiffusersModel(MODEL)).pipeline.unet, x, [2, 3, 16, 16], [10, 700], [1, 4]);
    const diff = (u: Float32Array, v: Float32Array) => u.reduce((m, p, i) => Math.max(m, Math.abs(p - v[i]!)), 0);
    expect(diff(a, b)).toBeLessThan(1e-4);
    expect(diff(a, base)).toBeGreaterThan(1e-6); // the adapters did train
    // raftlab denoise --adapter: the base model with the adapter samples as the merged pipeline does
    const noise = join(adapterDir, '..', `noise-${process.pid}.safetensors`);
    writeFileSync(noise, writeSafetensors(new Map([['noise', { shape: [2, 3, 16, 16], values: x }]])));
    const outA = join(adapterDir, '..', `a-${process.pid}.safetensors`);
    const outB = join(adapterDir, '..', `b-${process.pid}.safetensors`);
    expect(await denoiseCommand(['--model', MODEL, '--adapter', adapterDir, '--noise', noise, '--steps', '3', '--class-labels', '1,4', '--out', outA])).toBe(0);
    expect(await denoiseCommand(['--model', mergedDir, '--noise', noise, '--steps', '3', '--class-labels', '1,4', '--out', outB])).toBe(0);
    const read = (f: string) => readSafetensors(new Uint8Array(readFileSync(f))).tensors.get('sample')!.values;
    expect(diff(read(outA), read(outB))).toBeLessThan(1e-4);
    // a run that starts from the saved adapter (--init-adapter): its cycle 0 is the adapted model's, not the base's
    const resumed = await runImageCommand({ ...CONFIG, cycles: 0, imageInitAdapter: adapterDir }, () => undefined, undefined, { hfEndpoint: endpoint });
    const fresh = await runImageCommand({ ...CONFIG, cycles: 0 }, () => undefined, undefined, { hfEndpoint: endpoint });
    expect(resumed.cycles[0]!.heldOutLoss).not.toBe(fresh.cycles[0]!.heldOutLoss);
    expect(fresh.cycles[0]!.heldOutLoss).toBe(run.cycles[0]!.heldOutLoss);
    withAdapter.unet.dispose();
    merged.unet.dispose();
  });

  it('keeps tensor counts flat across cycles and resumes through its state to the stats of an uninterrupted run', { timeout: 120_000 }, async () => {
    const config = { ...CONFIG, cycles: 3 };
    const models = nodeImageRewardModels(endpoint);
    const prepare = () => prepareHubImageRun(config, (m) => loadDiffusersModel(m), () => models);
    const noTimes = (s: { ms: unknown }) => ({ ...s, ms: null });
    const whole = await prepare();
    await whole.engine.runCycle();
    await whole.engine.runCycle();
    const count = tf.memory().numTensors;
    await whole.engine.runCycle();
    expect(tf.memory().numTensors).toBe(count);
    await whole.engine.runCycle();
    const first = await prepare();
    await first.engine.runCycle();
    await first.engine.runCycle();
    const state = await first.engine.exportState();
    first.engine.dispose();
    first.base.pipeline.unet.dispose();
    const resumed = await prepare();
    resumed.engine.restoreState(state);
    await resumed.engine.runCycle();
    await resumed.engine.runCycle();
    expect(resumed.engine.history.map(noTimes)).toEqual(whole.engine.history.map(noTimes));
    for (const r of [whole, resumed]) {
      r.engine.dispose();
      r.base.pipeline.unet.dispose();
    }
    await models.dispose();
  });
});

describe('the run\'s learned image reward (image-rewarder.ts)', () => {
  it('clip-score, class-prob and aesthetic score images with their raw outputs in the breakdown; a missing target or unknown class is named', { timeout: 60_000 }, async () => {
    const { server, endpoint } = await startHubServer([]);
    const prev = process.env.RAFTLAB_CACHE;
    process.env.RAFTLAB_CACHE = mkdtempSync(join(tmpdir(), 'raftlab-cache-'));
    const { learnedImageRewarder } = await import('../src/core/rewards/image-rewarder');
    const models = nodeImageRewardModels(endpoint);
    try {
      const rng = new Rng(2);
      const images = [0, 1, 2].map(() => Float32Array.from({ length: 16 * 16 * 3 }, () => rng.float()));
      const clip = await learnedImageRewarder({ ...CONFIG, imageReward: 'clip-score' }, models);
      const cls = await learnedImageRewarder({ ...CONFIG, imageReward: 'class-prob', imageRewardModel: 'tiny/cifar10-vit', imageRewardTarget: 'cat' }, models);
      const aes = await learnedImageRewarder({ ...CONFIG, imageReward: 'aesthetic', imageRewardModel: 'tiny/aesthetic-head' }, models);
      const [c, p, a] = [await clip(images, [0, 1, 2]), await cls(images, [0, 1, 2]), await aes(images, [0, 1, 2])];
      for (const [i, r] of c.entries()) expect(r.reward, `clip ${i}`).toBeCloseTo(Math.min(1, Math.max(0, 2.5 * Number(r.breakdown!.cosine))), 3);
      for (const r of p) expect(r.reward).toBeCloseTo(Number(r.breakdown!.probability), 3);
      for (const r of a) expect(r.reward).toBeCloseTo(Math.min(1, Math.max(0, (Number(r.breakdown!.score) - 1) / 9)), 3);
      for (const r of [...c, ...p, ...a]) expect(r.reward >= 0 && r.reward <= 1).toBe(true);
      await expect(learnedImageRewarder({ ...CONFIG, imageReward: 'clip-score', imageRewardTarget: ' ' }, models)).rejects.toThrow(/clip-score needs the text/);
      await expect(learnedImageRewarder({ ...CONFIG, imageReward: 'class-prob', imageRewardModel: 'tiny/cifar10-vit', imageRewardTarget: 'zebra' }, models)).rejects.toThrow(/zebra.*airplane/);
      await expect(learnedImageRewarder({ ...CONFIG, imageReward: 'clip-score', imageRewardModel: 'tiny/nope' }, models)).rejects.toThrow(/tiny\/nope/);
    } finally {
      await models.dispose();
      if (prev === undefined) delete process.env.RAFTLAB_CACHE;
      else process.env.RAFTLAB_CACHE = prev;
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('the UNet memory estimate', () => {
  it('counts google/ddpm-cifar10-32\'s parameters from its config and the adapters LoRA trains; a small budget refuses the run', async () => {
    const { estimateUNetMemory } = await import('../src/core/diffusers/memory');
    const { unet2dConfigFromJson } = await import('../src/core/diffusers/unet2d/config');
    const { checkFit } = await import('../src/core/hub/memory-fit');
    const config = unet2dConfigFromJson({
      _class_name: 'UNet2DModel', act_fn: 'silu', attention_head_dim: null, block_out_channels: [128, 256, 256, 256], down_block_types: ['DownBlock2D', 'AttnDownBlock2D', 'DownBlock2D', 'DownBlock2D'],
      downsample_padding: 0, flip_sin_to_cos: false, freq_shift: 1, in_channels: 3, layers_per_block: 2, norm_eps: 1e-6, norm_num_groups: 32, out_channels: 3, sample_size: 32,
      up_block_types: ['UpBlock2D', 'AttnUpBlock2D', 'UpBlock2D', 'UpBlock2D'],
    });
    const e = estimateUNetMemory(config, { rank: 8, targets: ['to_q', 'to_k', 'to_v', 'to_out.0'], sampleBatch: 16, microBatch: 8 });
    expect(e.params).toBe(35_746_307);
    // 6 attention blocks of 256 channels (the attention down block's 2, the mid block's 1, the attention up block's 3) x 4 projections x rank 8 x (256 + 256)
    expect(e.trainableParams).toBe(6 * 4 * 8 * 512);
    expect(e.totalBytes).toBeGreaterThan(e.weightsBytes);
    expect(checkFit(e, { budgetBytes: 64 * 2 ** 20 })).toMatch(/the run needs 35\.7M parameters: .* more than the 64 MiB available/);
    expect(checkFit(e, { budgetBytes: 4 * 2 ** 30 })).toBeNull();
  });
});
