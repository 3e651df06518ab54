// Task scenes in the run configuration (typed prompts, image size, the fidelity reward) and in the image engine.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { parseCliArgs } from '../src/core/config/cli';
import { checkConfig, DEFAULT_CONFIG, runDefaults, type RunConfig } from '../src/core/config/schema';
import { decodeConfigHash, encodeConfigHash } from '../src/core/config/url';
import type { Denoiser, DenoiserSampleItem } from '../src/core/diffusion/denoiser';
import { DiffusionRaftEngine } from '../src/core/diffusion/engine';
import { imageTableColumns, imageTableHeader, imageTableRow } from '../src/core/diffusion/stats';
import { LoraAdapters } from '../src/core/lora-adapters';
import { Rng } from '../src/core/rng';
import {
  parsePrompt, renderScene, SCENE_TASK_PROMPTS, sampleScene, scenePromptList, ScenePromptError, scenesRewarder, isHeldOut,
} from '../src/core/scenes';

const TWO = 'two small yellow triangles at the top; a red circle left of a blue square';

describe('task scenes settings', () => {
  it('takes typed prompts and an image size on the command line and in the link, with fidelity as its reward', () => {
    const r = parseCliArgs(['run', '--task', 'scenes', '--scene-prompts', TWO, '--image-size', '48']);
    expect(r.errors).toEqual([]);
    expect(r.config).toMatchObject({ task: 'scenes', scenePrompts: TWO, imageSize: 48, imageReward: 'fidelity', select: 'global' });
    const hash = encodeConfigHash(r.config);
    expect(hash).toContain('&isz=48');
    expect(hash).toContain('&sp=');
    expect(decodeConfigHash(`#${hash}`).config).toEqual(r.config);
    expect(scenePromptList(TWO)).toEqual(['two small yellow triangles at the top', 'a red circle left of a blue square']);
  });

  it('refuses a typed prompt with a word outside the grammar, naming the word and the prompt', () => {
    const r = parseCliArgs(['run', '--task', 'scenes', '--scene-prompts', 'a red circle; two pink squares']);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toContain('"pink"');
    expect(r.errors[0]).toContain('prompt 2');
    expect(() => scenePromptList('a circle; a red small circle')).toThrow(ScenePromptError);
  });

  it('refuses fidelity, typed prompts and another image size off task scenes, and sizes not a multiple of 16', () => {
    const problems = (c: Partial<RunConfig>) => checkConfig({ ...DEFAULT_CONFIG, ...c } as RunConfig).map((p) => p.key);
    expect(problems({ task: 'shapes', imageReward: 'fidelity' })).toEqual(['imageReward']);
    expect(problems({ task: 'shapes', scenePrompts: 'a circle' })).toEqual(['scenePrompts']);
    expect(problems({ task: 'shapes', imageSize: 48 })).toEqual(['imageSize']);
    expect(problems({ ...runDefaults('scenes'), imageSize: 40 })).toEqual(['imageSize']);
    expect(problems({ ...runDefaults('scenes'), imageSize: 48, imageReward: 'redness' })).toEqual([]);
  });

  it('its default prompts mix the four evaluation sets, every one parsing', () => {
    expect(SCENE_TASK_PROMPTS).toHaveLength(48);
    expect(scenePromptList('')).toEqual(SCENE_TASK_PROMPTS);
    expect(SCENE_TASK_PROMPTS.slice(0, 16).filter((p) => isHeldOut(parsePrompt(p)))).toHaveLength(4);
  });
});

/** A stand-in denoiser that draws each prompt exactly (the world's own renderer): the reward's wiring, not a model. */
class RenderingDenoiser implements Denoiser<null> {
  readonly label = 'renderer';
  adapters: LoraAdapters | null = null;
  constructor(readonly prompts: readonly string[], readonly size: number) {}
  numParams(): number {
    return 0;
  }
  attachAdapters(rank: number, alpha: number, seed: number): LoraAdapters {
    this.adapters = new LoraAdapters(rank, alpha, [['w', [2, 2]]], new Rng(seed), 'renderer');
    return this.adapters;
  }
  detachAdapters(): void {
    this.adapters?.dispose();
    this.adapters = null;
  }
  async sample(items: readonly DenoiserSampleItem[]): Promise<Float32Array[]> {
    return items.map((it) => renderScene(sampleScene(parsePrompt(this.prompts[it.label]!), new Rng(it.seed)), this.size));
  }
  drawBatch(): null {
    return null;
  }
  async trainStep(): Promise<number> {
    throw new Error('not trained in this test');
  }
  async heldOutLoss(): Promise<number> {
    return 0;
  }
}

describe('task scenes in the image engine', () => {
  it.each([32, 48])('scores eval images by fidelity of each label\'s prompt, with the per-attribute breakdown (%i px)', async (size) => {
    const config = { ...runDefaults('scenes'), cycles: 0, evalPrompts: 4, evalSamplesPerPrompt: 2, imageSize: size };
    const tensors = tf.memory().numTensors;
    const engine = new DiffusionRaftEngine({ denoiser: new RenderingDenoiser(SCENE_TASK_PROMPTS, size), config });
    const { stats, evalSamples } = await engine.runCycle();
    expect(evalSamples).toHaveLength(8);
    expect(stats.evalReward).toBe(1);
    expect(stats).toMatchObject({ evalFidelity: 1, evalPassRate: 1 });
    expect(evalSamples[3]!.prompt).toBe(SCENE_TASK_PROMPTS[1]);
    expect(evalSamples[0]!.breakdown).toMatchObject({ fidelity: 1, count: 1, shape: 1, colour: 1, size: 1, place: 1, objects: 1 });
    expect(evalSamples[6]!.breakdown).toMatchObject({ fidelity: 1, relation: 1, objects: 2 });
    engine.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('a pixel reward on task scenes reads the count from the scenes prompt, and fidelity is refused on task shapes', async () => {
    const reward = scenesRewarder({ count: 1 }, ['three small blue squares at the top', 'a circle']);
    const px = renderScene(sampleScene(parsePrompt('three small blue squares at the top'), new Rng(2)));
    expect((await reward([px, px], [0, 1])).map((r) => r.reward)).toEqual([1, 0]);
    const config = { ...DEFAULT_CONFIG, task: 'shapes' as const, imageReward: 'fidelity' as const };
    // on scenes, whatever the reward, the eval images' verified fidelity is measured; a blank image fails every prompt
    const blank = new (class extends RenderingDenoiser {
      override async sample(items: readonly DenoiserSampleItem[]): Promise<Float32Array[]> {
        return items.map((it) => (it.label === 0 ? renderScene({ objects: [] }, 32) : renderScene(sampleScene(parsePrompt(this.prompts[it.label]!), new Rng(it.seed)), 32)));
      }
    })(SCENE_TASK_PROMPTS, 32);
    const redness = new DiffusionRaftEngine({ denoiser: blank, config: { ...runDefaults('scenes'), imageReward: 'redness', evalPrompts: 4, evalSamplesPerPrompt: 1 } });
    const { stats } = await redness.runCycle();
    expect(stats.evalFidelity).toBe(0.75);
    expect(stats.evalPassRate).toBe(0.75);
    expect(stats.evalReward).toBeLessThan(0.5);
    redness.dispose();
    // the CLI's table shows them on task scenes only
    expect(imageTableHeader(imageTableColumns('scenes'))).toMatch(/evalR +fid +pass +hoLoss/);
    expect(imageTableRow(stats, imageTableColumns('scenes'))).toContain(' 0.750  0.750 ');
    expect(imageTableHeader(imageTableColumns('shapes'))).not.toContain('fid');
    expect(() => new DiffusionRaftEngine({ denoiser: new RenderingDenoiser(['a circle'], 32), config })).toThrow(/task scenes/);
  });
});
