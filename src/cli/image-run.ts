/**
 * `raftlab run --task shapes ...` (or scenes, or a task file of kind image: its model's task): RAFT on the embedded denoiser; `--task hub-images --model M`: on a diffusers UNet
 * from the Hub or a folder (with `--save DIR [--merge]` its PEFT adapter, or the merged pipeline, at the end). Prints one line per cycle (image columns: reward,
 * kept_r, kept, evalR, on task scenes fid = evalFidelity and pass = evalPassRate, hoLoss = heldOutLoss,
 * div = evalDiversity, loss, sec) and, with `--images DIR`, writes PNG
 * grids: eval-cycle-N.png (rows: eval prompts, columns: their fixed noise seeds; the same images across cycles),
 * train-cycle-N.png (rows: the cycle's prompts, columns: K samples, kept ones framed green) and
 * eval-cycle-0-vs-N.png (cycle 0 left, the last cycle right), and each eval image as its own PNG with an index of
 * prompt, seed, reward and breakdown under eval-cycle-N/ (node/eval-images.ts).
 */
import { methodRunsOn } from '../core/raft/methods/catalog';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RunConfig } from '../core/config/schema';
import type { DiffusionRaftEngine, ImageSample } from '../core/diffusion/engine';
import { imageGrid } from '../core/diffusion/png';
import { imageTableColumns, imageTableHeader, imageTableRow, type ImageCycleStats } from '../core/diffusion/stats';
import { initNodeBackend, type NodeBackend } from '../node/backend';
import { loadEmbeddedDenoiser, writePng } from '../node/diffusion-files';
import { writeEvalImages } from '../node/eval-images';
import { loadDiffusersModel, type LoadedDiffusers } from '../node/diffusers-model';
import { readPeftAdapter, saveDiffusers } from '../node/diffusers-save';
import { nodeImageRewardModels } from '../node/image-reward-models';
import type { SampleLine } from '../node/run-dir';
import { prepareHubImageRun, prepareImageRun } from '../core/run/prepare';
import { loadSceneClip } from '../node/scenes-clip-files';
import type { ImageRewardModels } from '../core/rewards/image-models';
import { isLearnedImageReward } from '../core/rewards/image-reward-names';
import { imageDocumentReward } from '../core/tasks/custom/image-document';
import { imageTaskOf } from '../core/tasks/run-kind';
import { runImageDocument } from '../core/tasks/run-task';
import { exitOnInterrupt, interruptMessage, labLink, prepareRunDir, runCycles, type RunPlace } from './run-loop';

export interface ImageRunOutput {
  config: RunConfig;
  cycles: ImageCycleStats[];
  meta: { backend: string; model: Record<string, unknown>; url: string; seconds: number; images?: string };
}

/** Rows of a grid: one per prompt (promptIndex), in order. */
function byPrompt(samples: readonly ImageSample[]): { images: Float32Array[]; frames: Array<[number, number, number] | null>; columns: number } {
  const rows = new Map<number, ImageSample[]>();
  for (const s of samples) rows.set(s.promptIndex, [...(rows.get(s.promptIndex) ?? []), s]);
  const columns = Math.max(1, ...[...rows.values()].map((r) => r.length));
  const images: Float32Array[] = [];
  const frames: Array<[number, number, number] | null> = [];
  for (const r of rows.values()) {
    for (let j = 0; j < columns; j++) {
      const s = r[j];
      images.push(s ? s.pixels : new Float32Array(r[0]!.pixels.length).fill(1));
      frames.push(s?.kept ? [0, 0.8, 0] : null);
    }
  }
  return { images, frames, columns };
}

export async function runImageCommand(config: RunConfig, log: (line: string) => void, imagesDir?: string, place: RunPlace = {}): Promise<ImageRunOutput> {
  if (!methodRunsOn(config.method, 'image')) throw new Error(`image tasks run RAFT only (got --method ${config.method})`);
  let engine: DiffusionRaftEngine | null = null;
  const stopWatching = exitOnInterrupt(() => interruptMessage(engine, place.runDir), log);
  const backend = await initNodeBackend((process.env.RAFTLAB_BACKEND as NodeBackend) ?? 'wasm');
  let rewardModels: ImageRewardModels | null = null;
  let hub: Awaited<ReturnType<typeof prepareHubImageRun<LoadedDiffusers>>> | null = null;
  let shapes: Awaited<ReturnType<typeof prepareImageRun<Awaited<ReturnType<typeof loadEmbeddedDenoiser>>>>> | null = null;
  try {
    if (config.task === 'hub-images') {
      hub = await prepareHubImageRun(config, (m) => loadDiffusersModel(m, { endpoint: place.hfEndpoint }), () => (rewardModels ??= nodeImageRewardModels(place.hfEndpoint, log)), undefined, (a) => readPeftAdapter(a, place.hfEndpoint));
    } else {
      shapes = await prepareImageRun(config, loadEmbeddedDenoiser, undefined, () => loadSceneClip());
    }
  } catch (e) {
    stopWatching();
    await (rewardModels as ImageRewardModels | null)?.dispose();
    throw e;
  }
  const eng = (hub ?? shapes)!.engine;
  const baseId = (hub ?? shapes)!.baseId;
  engine = eng;
  const meta: Record<string, unknown> = hub
    ? { model: hub.base.linkModel, revision: hub.base.revision, modelType: 'unet2d', params: eng.denoiser.numParams() }
    : shapes!.base.manifest.meta;
  const url = labLink(hub ? { ...config, model: hub.base.linkModel } : config);
  const doc = runImageDocument(config);
  const rewardOf = doc ? imageDocumentReward(doc) : isLearnedImageReward(config.imageReward) ? `${config.imageReward} (${config.imageRewardModel}${config.imageRewardTarget ? `, "${config.imageRewardTarget}"` : ''})` : config.imageReward;
  const taskOf = doc ? `custom "${doc.name}" on model ${doc.model} (${doc.prompts.length} prompts${doc.evalPrompts ? `, ${doc.evalPrompts.length} held out` : ''})` : config.task;
  log(`raftlab run: task ${taskOf}, reward ${rewardOf}, ${eng.denoiser.numParams()} params (${eng.denoiser.label}), backend ${backend}`);
  log(`link: ${url}`);
  if (imagesDir) mkdirSync(imagesDir, { recursive: true });
  log(`LoRA rank ${config.lora > 0 ? config.lora : config.imageLoraRank}, alpha ${config.loraAlpha}${hub ? ` on ${config.imageLoraTargets}` : ''}; DDIM ${config.ddimSteps} steps${hub ? ' (the UNet\'s own scheduler)' : `, guidance ${config.guidance}`}`);
  const t0 = performance.now();
  let first: ImageSample[] | null = null;
  let last: ImageSample[] | null = null;
  const save = (name: string, samples: readonly ImageSample[]) => {
    const g = byPrompt(samples);
    const grid = imageGrid(g.images, { columns: g.columns, frames: g.frames });
    writePng(join(imagesDir!, name), grid.rgb, grid.width, grid.height);
  };
  const line = ({ pixels: _p, ...s }: ImageSample, split: 'train' | 'eval'): SampleLine => ({ split, ...s });
  try {
    // the run directory records the model pinned to the commit the Hub resolved (hub-images), as the link does
    const runDir = prepareRunDir(place, eng.config, baseId, eng, log);
    await runCycles(eng, {
      runDir,
      log,
      header: imageTableHeader(imageTableColumns(imageTaskOf(config) ?? config.task)),
      row: (s) => imageTableRow(s, imageTableColumns(imageTaskOf(config) ?? config.task)),
      samplesOf: (r) => [...r.samples.map((s) => line(s, 'train')), ...r.evalSamples.map((s) => line(s, 'eval'))],
      onCycle: ({ stats, samples, evalSamples }) => {
        first ??= evalSamples;
        last = evalSamples;
        if (imagesDir) {
          save(`eval-cycle-${stats.cycle}.png`, evalSamples);
          writeEvalImages(imagesDir, stats.cycle, evalSamples);
          if (samples.length > 0) save(`train-cycle-${stats.cycle}.png`, samples);
        }
      },
    });
    if (imagesDir && first && last) {
      // cycle 0 and the last cycle side by side: each row holds a prompt's images at cycle 0, then now
      save(`eval-cycle-0-vs-${eng.cycle - 1}.png`, [...(first as ImageSample[]), ...(last as ImageSample[])]);
      log(`wrote PNG grids to ${imagesDir}`);
    }
    if (hub && place.save) {
      const files = await saveDiffusers(place.save, hub.base.pipeline, hub.base.base, hub.base.revision, place.merge === true);
      log(`saved ${place.merge ? 'the pipeline with the LoRA adapters merged into its UNet' : 'the LoRA adapters in PEFT\'s format'} to ${place.save}: ${files.join(', ')}`);
    }
  } finally {
    stopWatching();
    eng.dispose();
    if (hub) hub.base.pipeline.unet.dispose();
    else shapes!.base.model.dispose();
    await (rewardModels as ImageRewardModels | null)?.dispose();
  }
  const seconds = Math.round((performance.now() - t0) / 100) / 10;
  log(`done in ${seconds} s`);
  return { config, cycles: eng.history, meta: { backend, model: meta, url, seconds, ...(imagesDir ? { images: imagesDir } : {}) } };
}
