// Image (shapes) runs in the run store: two cycles of a tiny diffusion engine recorded through RunRecorder.record
// (stats, kept samples and eval images with their 16x16 RGBA thumbnails, a checkpoint) and read back, also through
// an exported .raftlab file; an interrupted image run resumes from its checkpoint with the stats of an uninterrupted one.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { defaultConfig, type RunConfig } from '../src/core/config/schema';
import { NUM_CLASSES } from '../src/core/diffusion/dataset';
import { ShapesDenoiser } from '../src/core/diffusion/shapes-denoiser';
import { DiffusionRaftEngine } from '../src/core/diffusion/engine';
import type { ImageCycleStats } from '../src/core/diffusion/stats';
import { UNet, type UNetConfig } from '../src/core/diffusion/unet';
import { interruptedRuns, RunRecorder } from '../src/core/store/run-recorder';
import { exportRun, importRun } from '../src/core/store/run-file';
import { RunStore } from '../src/browser/store/run-store';
import { isImageSample, toImageRecord, type ImageSampleRecord } from '../src/browser/image-samples';

const TINY: UNetConfig = { size: 16, channels: [8, 8], embDim: 16, timeDim: 8, groups: 4, numClasses: NUM_CLASSES };

describe('image runs in the run store', () => {
  it('records 2 cycles (stats, kept and eval thumbnails, checkpoints) and reads them back', async () => {
    const store = new RunStore('raftlab-image-test');
    const recorder = new RunRecorder(store, 'shapes:tiny');
    const config = {
      ...defaultConfig(), task: 'shapes' as const, seed: 3, cycles: 1, promptsPerCycle: 2, samplesPerPrompt: 2, evalPrompts: 2,
      evalSamplesPerPrompt: 2, epochsPerCycle: 1, batchSize: 4, lora: 2, loraLr: 1e-2, ddimSteps: 2, noiseDraws: 1,
    };
    const model = new UNet(TINY, undefined, 1);
    const engine = new DiffusionRaftEngine({ model, config, heldOutImages: 4 });
    const run = await recorder.start(config);
    const sent: Array<{ stats: ImageCycleStats; samples: ImageSampleRecord[]; evalSamples: ImageSampleRecord[] }> = [];
    for (let c = 0; c < 2; c++) {
      const r = await engine.runCycle();
      const cycle = { stats: r.stats, samples: r.samples.map(toImageRecord), evalSamples: r.evalSamples.map(toImageRecord) };
      sent.push(cycle);
      const saved = await recorder.record(run.id, engine, cycle);
      expect(saved.checkpointSaved).toBe(true);
    }
    engine.dispose();
    model.dispose();

    const rec = (await store.getRun(run.id))!;
    expect(rec.task).toBe('shapes');
    expect(rec.cyclesDone).toBe(2);
    expect(rec.status).toBe('done');
    expect(rec.checkpointCycles).toEqual([0, 1]);
    expect(rec.checkpointBytes).toBeGreaterThan(0);
    console.info(`image run: checkpoints ${rec.checkpointBytes} bytes for 2 cycles`);
    expect(rec.bestReward).toBe(Math.max(sent[0]!.stats.evalReward, sent[1]!.stats.evalReward));

    const cycles = await store.getCycles(run.id);
    expect(cycles.map((c) => c.cycle)).toEqual([0, 1]);
    for (const [i, c] of cycles.entries()) {
      expect(c.stats).toEqual(sent[i]!.stats);
      const stats = c.stats as ImageCycleStats;
      expect(stats.perplexity).toBeNull();
      expect(Number.isFinite(stats.heldOutLoss)).toBe(true);
      expect(c.evalSamples).toHaveLength(4);
      expect(c.kept).toEqual(sent[i]!.samples.filter((s) => s.kept));
      for (const s of [...c.kept, ...c.evalSamples]) {
        expect(isImageSample(s)).toBe(true);
        const img = (s as ImageSampleRecord).image;
        expect([img.width, img.height]).toEqual([16, 16]);
        expect(img.rgba).toBeInstanceOf(Uint8ClampedArray);
        expect(img.rgba.length).toBe(16 * 16 * 4);
      }
      expect(c.evalSamples).toEqual(sent[i]!.evalSamples);
    }
    expect(cycles[0]!.kept).toHaveLength(0); // cycle 0 is the base model: no training samples
    expect(cycles[1]!.kept).toHaveLength(2); // per-prompt: 1 of K = 2 for each of 2 prompts
    const bytes = cycles.flatMap((c) => [...c.kept, ...c.evalSamples]).reduce((n, s) => n + (s as ImageSampleRecord).image.rgba.length, 0);
    console.info(`image run: ${bytes} bytes of thumbnails in 2 cycles`);

    // an exported run file keeps the thumbnails as bytes
    const file = await exportRun(store, run.id);
    const imported = await importRun(store, file);
    const back = await store.getCycles(imported.id);
    expect(back.map((c) => c.stats)).toEqual(cycles.map((c) => c.stats));
    expect(back[1]!.kept).toEqual(cycles[1]!.kept);
    expect(back[0]!.evalSamples).toEqual(cycles[0]!.evalSamples);
  });

  it('an interrupted image run resumes from its last checkpoint and ends with the stats of an uninterrupted run', async () => {
    const store = new RunStore('raftlab-image-resume-test');
    const recorder = new RunRecorder(store, 'shapes:tiny');
    const config = {
      ...defaultConfig(), task: 'shapes' as const, seed: 5, cycles: 3, promptsPerCycle: 2, samplesPerPrompt: 2, evalPrompts: 2,
      evalSamplesPerPrompt: 1, epochsPerCycle: 1, batchSize: 4, lora: 2, loraLr: 1e-2, ddimSteps: 2, noiseDraws: 1,
    };
    const makeEngine = async (c: RunConfig) => {
      const model = new UNet(TINY, undefined, 1);
      return new DiffusionRaftEngine({ model, config: c, heldOutImages: 4 });
    };
    const done = (e: DiffusionRaftEngine) => (e.dispose(), (e.denoiser as ShapesDenoiser).model.dispose());
    const noTimes = (s: ImageCycleStats) => ({ ...s, ms: null });
    const record = async (e: DiffusionRaftEngine, runId: string) => {
      const r = await e.runCycle();
      await recorder.record(runId, e, { stats: r.stats, samples: r.samples.map(toImageRecord), evalSamples: r.evalSamples.map(toImageRecord) });
    };

    const whole = await makeEngine(config);
    while (whole.cycle <= config.cycles) await whole.runCycle();
    const expected = whole.history.map(noTimes);
    done(whole);

    const run = await recorder.start(config);
    const first = await makeEngine(config);
    for (let c = 0; c < 3; c++) await record(first, run.id); // cycles 0..2 saved
    done(first);
    expect((await interruptedRuns(store)).map((r) => r.id)).toEqual([run.id]);
    const { engine, cycles, notes } = await recorder.resume(run.id, makeEngine);
    expect(notes).toEqual([]);
    expect(engine.cycle).toBe(3);
    expect(cycles.map((c) => c.cycle)).toEqual([0, 1, 2]);
    while (engine.cycle <= config.cycles) await record(engine, run.id);
    done(engine);
    const saved = (await store.getCycles(run.id)).map((c) => noTimes(c.stats as ImageCycleStats));
    expect(saved).toEqual(expected);
    expect((await store.getRun(run.id))!.status).toBe('done');
  });
});
