// The image form of the task document (tasks/custom/image-document.ts): strict parsing with paths and the bad word
// named, the canonical form (and the text form's canonical text unchanged), the link and the CLI carrying it, its
// weighted terms scoring as the same --reward mix, and tiny runs of scenes and shapes documents.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { controlsFor } from '../src/app/config-controls';
import { main } from '../src/cli/main';
import { parseCliArgs } from '../src/core/config/cli';
import { checkConfig, type RunConfig } from '../src/core/config/schema';
import { encodeTaskLink } from '../src/core/config/task-link';
import { decodeConfigHash, encodeConfigHash } from '../src/core/config/url';
import { labelIndex } from '../src/core/diffusion/dataset';
import { SceneDiT } from '../src/core/diffusion/dit/model';
import { SCENES_DIT } from '../src/core/diffusion/dit/recipe';
import { imageReward } from '../src/core/diffusion/rewards';
import { UNet } from '../src/core/diffusion/unet';
import { imageRunReward, prepareImageRun } from '../src/core/run/prepare';
import { scenesRunRewarder, trainingPair } from '../src/core/scenes';
import { anyTaskDocumentJson, parseAnyTaskDocument } from '../src/core/tasks/custom/any-document';
import { imageDocumentReward, type ImageTaskDocument } from '../src/core/tasks/custom/image-document';
import { imageTaskOf } from '../src/core/tasks/run-kind';
import { loadSceneClip } from '../src/node/scenes-clip-files';
import { taskDocumentFromFiles } from '../src/node/task-files';
import { refusalOf } from './helpers';

const dir = mkdtempSync(join(tmpdir(), 'raftlab-image-doc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const scenesDoc = (over: Record<string, unknown> = {}) => ({
  raftlabTask: 1, kind: 'image', name: 'red on the left', model: 'scenes',
  prompts: ['a red circle on the left', 'two small red squares on the left', 'a red triangle on the left'],
  reward: { terms: [{ name: 'fidelity', weight: 0.7 }, { name: 'clip-score', weight: 0.3 }] }, ...over,
});
const problem = (v: unknown) => refusalOf(parseAnyTaskDocument, v);
/** The CLI's parse with its task-file reader, as raftlab run does it. */
const cli = (args: string[]) => parseCliArgs(['run', ...args], (o) => {
  const doc = taskDocumentFromFiles(o);
  return doc ? anyTaskDocumentJson(doc) : null;
});
const file = (name: string, doc: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(doc));
  return path;
};
/** A tiny DiT with the world's vocabulary (the shipped one's shape, few weights). */
const tinyDiT = () => new SceneDiT({ patch: 4, width: 16, depth: 2, heads: 2, mlpRatio: 2, timeDim: 8, vocabSize: SCENES_DIT.vocabSize, maxTokens: SCENES_DIT.maxTokens, textLayers: 1, imageSize: 32 }, undefined, 1);
const TINY_RUN = ['--seed', '3', '--prompts-per-cycle', '2', '--samples-per-prompt', '2', '--eval-prompts', '2', '--eval-samples-per-prompt', '1', '--epochs-per-cycle', '1', '--batch-size', '4', '--lora', '2', '--ddim-steps', '2', '--noise-draws', '1', '--eval-images', '2'];

describe('the image task document', () => {
  it('fills its defaults and is canonical: prompts as lower-case words, every field present, parse(serialize) the same', () => {
    const d = parseAnyTaskDocument(scenesDoc({ prompts: ['A  red circle on the LEFT', 'two small red squares on the left'] })) as ImageTaskDocument;
    expect(d).toMatchObject({ kind: 'image', model: 'scenes', description: '', evalPrompts: null, imageSize: 32, passThreshold: null });
    expect(d.prompts[0]).toBe('a red circle on the left');
    const json = anyTaskDocumentJson(d);
    expect(json.startsWith('{"raftlabTask":1,"kind":"image","name":"red on the left","description":"","model":"scenes","prompts":[')).toBe(true);
    expect(anyTaskDocumentJson(parseAnyTaskDocument(json))).toBe(json);
    expect(imageDocumentReward(d)).toBe('fidelity:0.7,clip-score:0.3');
    // a term's weight defaults to 1; one term may stand alone; terms of weight 0 leave the mix
    expect(imageDocumentReward(parseAnyTaskDocument(scenesDoc({ reward: { name: 'count' } })) as ImageTaskDocument)).toBe('count:1');
    expect(imageDocumentReward(parseAnyTaskDocument(scenesDoc({ reward: { terms: [{ name: 'fidelity' }, { name: 'redness', weight: 0 }] } })) as ImageTaskDocument)).toBe('fidelity:1');
    const shapes = parseAnyTaskDocument({ ...scenesDoc(), model: 'shapes', prompts: ['Two circles', 'stripes'], reward: { name: 'count' } }) as ImageTaskDocument;
    expect(shapes).toMatchObject({ prompts: ['two circles', 'stripes'], imageSize: 16 });
  });

  it('leaves the text form\'s canonical text as it was (what stored runs hold), with or without "kind": "text"', () => {
    const text = { raftlabTask: 1, name: 'two', prompts: ['a', 'b'], reward: { kind: 'builtin', name: 'json' } };
    // written by the parser before the image form existed
    const before = '{"raftlabTask":1,"name":"two","description":"","prompts":[{"prompt":"a"},{"prompt":"b"}],"evalPrompts":null,"evalFraction":0.2,"demonstrations":[],"heldOutText":[],"reward":{"terms":[{"kind":"builtin","weight":1,"name":"json"}]},"passThreshold":null,"generation":{"maxNewTokens":48,"stop":[]},"embeddedModel":"sentiment","source":null}';
    expect(anyTaskDocumentJson(parseAnyTaskDocument(text))).toBe(before);
    expect(anyTaskDocumentJson(parseAnyTaskDocument({ ...text, kind: 'text' }))).toBe(before);
  });

  it('refuses a bad document with the path, and names a prompt\'s first unknown word', () => {
    expect(problem(scenesDoc({ prompts: ['a red circle', 'a blue circle', 'a green square', 'a purplish circle'] }))).toBe('prompts[3] has an unknown word "purplish" (not a word of the scenes grammar)');
    expect(problem(scenesDoc({ evalPrompts: ['a red hexagon'] }))).toMatch(/^evalPrompts\[0\] has an unknown word "hexagon"/);
    expect(problem(scenesDoc({ prompts: ['a red small circle'] }))).toMatch(/^prompts\[0\] is not a prompt of the scenes grammar: "small" is out of place/);
    expect(problem(scenesDoc({ prompts: ['a red circle', 'A red  circle'] }))).toBe('prompts[1] repeats prompts[0] ("a red circle")');
    expect(problem(scenesDoc({ evalPrompts: ['a red triangle on the left'] }))).toMatch(/^evalPrompts\[0\] is also prompts\[2\] .*never trained on/);
    expect(problem({ ...scenesDoc(), model: 'shapes', prompts: ['a circle', 'three circles'] })).toMatch(/^prompts\[1\] "three circles" is not a label of model shapes \(its prompts: a circle, /);
    expect(problem({ ...scenesDoc(), model: 'shapes', prompts: ['a circle'] })).toMatch(/^reward\.terms\[0\]\.name "fidelity" reads a prompt of the scenes grammar: it scores model scenes, not shapes/);
    expect(problem({ ...scenesDoc(), model: 'shapes', prompts: ['a circle'], reward: { name: 'count' }, imageSize: 32 })).toMatch(/^imageSize must be 16 on model shapes/);
    expect(problem(scenesDoc({ reward: { name: 'red-symmetric' } }))).toMatch(/^reward\.name "red-symmetric" is redness and symmetry half and half/);
    expect(problem(scenesDoc({ reward: { name: 'aesthetic' } }))).toMatch(/^reward\.name "aesthetic" is a Hub model's reward/);
    expect(problem(scenesDoc({ reward: { terms: [{ name: 'fidelity' }, { name: 'fidelity', weight: 2 }] } }))).toMatch(/^reward\.terms\[1\]\.name "fidelity" is named twice/);
    expect(problem(scenesDoc({ reward: { terms: [{ name: 'fidelity', weight: 0 }] } }))).toBe('reward.terms must have a term with a weight above 0');
    expect(problem(scenesDoc({ reward: { terms: [{ name: 'fidelity', weight: -1 }] } }))).toMatch(/^reward\.terms\[0\]\.weight must be between 0 and 1000/);
    expect(problem(scenesDoc({ reward: { terms: [{ name: 'fidelity', scale: 2 }] } }))).toMatch(/^reward\.terms\[0\] has an unknown field "scale"/);
    expect(problem(scenesDoc({ generation: {} }))).toMatch(/^the task has an unknown field "generation"/);
    expect(problem(scenesDoc({ imageSize: 40 }))).toMatch(/^imageSize must be a multiple of 16/);
    expect(problem(scenesDoc({ imageSize: 128 }))).toMatch(/^imageSize must be between 16 and 64/);
    expect(problem(scenesDoc({ passThreshold: 2 }))).toMatch(/^passThreshold must be between 0 and 1/);
    expect(problem(scenesDoc({ model: undefined }))).toMatch(/^model is needed/);
    expect(problem(scenesDoc({ kind: 'video' }))).toBe('kind must be one of text, image');
    expect(problem(scenesDoc({ prompts: Array.from({ length: 513 }, () => 'a red circle') }))).toMatch(/^prompts has more than 512 items/);
    expect(problem(scenesDoc({ prompts: ['a '.repeat(150)] }))).toMatch(/^prompts\[0\] is longer than 200 characters/);
  });

  it('the example under examples/ parses', () => {
    const d = parseAnyTaskDocument(readFileSync('examples/red-on-the-left/task.json', 'utf8')) as ImageTaskDocument;
    expect(d).toMatchObject({ kind: 'image', model: 'scenes', imageSize: 32 });
    expect(imageDocumentReward(d)).toBe('fidelity:0.7,clip-score:0.3');
  });
});

describe('an image task document in the config', () => {
  const path = file('scenes.json', scenesDoc());

  it('comes from --task-file as task custom with its model\'s defaults, and its link round-trips', () => {
    const r = cli(['--task-file', path, '--cycles', '2']);
    expect(r.errors).toEqual([]);
    const config = r.config;
    expect(config).toMatchObject({ task: 'custom', cycles: 2, select: 'global', loraLr: 0.00025, promptsPerCycle: 8 });
    expect(config.taskDoc).toBe(anyTaskDocumentJson(parseAnyTaskDocument(scenesDoc())));
    expect(imageTaskOf(config)).toBe('scenes');
    const hash = encodeConfigHash(config);
    expect(hash).toMatch(/&td=z/);
    expect(hash).not.toMatch(/sel=|rw=/);
    const back = decodeConfigHash(`#${hash}`);
    expect(back.problems).toEqual([]);
    expect(back.config).toEqual(config);
    // the settings the document decides are not controls; the image ones are, the language ones are not
    const labels = controlsFor('custom', 'raft', config.taskDoc).groups.flatMap((g) => g.fields.map((f) => f.key));
    expect(labels).toContain('ddimSteps');
    expect(labels).not.toContain('imageReward');
    expect(labels).not.toContain('scenePrompts');
    expect(labels).not.toContain('temperature');
  });

  it('refuses a --reward, --scene-prompts, --image-size or another task given with it, naming the flag', () => {
    const errors = (args: string[]) => cli(['--task-file', path, ...args]).errors;
    expect(errors(['--reward', 'redness'])).toEqual([expect.stringMatching(/^--reward: the custom image task's document decides its reward \(reward\.terms\)/)]);
    expect(errors(['--scene-prompts', 'a red circle'])).toEqual([expect.stringMatching(/^--scene-prompts: .*decides its prompts/)]);
    expect(errors(['--image-size', '48'])).toEqual([expect.stringMatching(/^--image-size: .*decides its image size/)]);
    expect(errors(['--task', 'shapes'])).toContain('--task "shapes": a task file is task custom (drop --task)');
    expect(errors(['--method', 'grpo'])).toContain('--method: image tasks (custom, on model scenes) run RAFT only; method grpo is for language tasks');
    // the same in a link: the setting is named, nothing crashes
    const config = cli(['--task-file', path]).config;
    expect(checkConfig({ ...config, imageReward: 'redness' } as RunConfig).map((p) => p.key)).toEqual(['imageReward']);
  });

  it('a malformed image document in a file or a link is a message with its path, not a crash', () => {
    const bad = file('bad.json', scenesDoc({ prompts: ['a purplish circle'] }));
    expect(cli(['--task-file', bad]).errors).toEqual([`${bad}: prompts[0] has an unknown word "purplish" (not a word of the scenes grammar)`]);
    const d = decodeConfigHash(`#v=2&task=custom&td=${encodeTaskLink(JSON.stringify(scenesDoc({ reward: { name: 'fidelity', size: 1 } })))}`);
    expect(d.problems.map((p) => p.message)).toContain('taskDoc: reward has an unknown field "size" (known: name, weight)');
    expect(d.config.taskDoc).toBe('');
  });
});

describe('an image task document runs', () => {
  it('scores its weighted terms as the same --reward mix does, on rendered scenes (fidelity and the scenes CLIP)', async () => {
    const doc = cli(['--task-file', file('mix.json', scenesDoc())]).config;
    const flags = cli(['--task', 'scenes', '--reward', 'fidelity:0.7,clip-score:0.3']).config;
    const pairs = [trainingPair(7), trainingPair(11), trainingPair(19)];
    const prompts = pairs.map((p) => p.prompt);
    const images = pairs.map((p) => p.pixels);
    const fromDoc = await (await scenesRunRewarder(imageRunReward(doc), prompts, () => loadSceneClip()))(images, [0, 1, 2]);
    const fromFlag = await (await scenesRunRewarder(imageRunReward(flags), prompts, () => loadSceneClip()))(images, [0, 1, 2]);
    expect(fromDoc).toEqual(fromFlag);
    for (const r of fromDoc) {
      const b = r.breakdown as Record<string, number>;
      expect(r.reward).toBeCloseTo(0.7 * b.fidelity! + 0.3 * b['clip-score']!, 2);
      expect(b.fidelity).toBe(1);
    }
  });

  it('a scenes document runs the image engine: its prompts trained, its held-out prompts evaluated, at its size and pass threshold; the same images and rewards as the flags', async () => {
    const path = file('tiny.json', scenesDoc({ evalPrompts: ['a blue square at the top', 'three small green circles'], reward: { terms: [{ name: 'fidelity', weight: 0.7 }, { name: 'count', weight: 0.3 }] }, imageSize: 48, passThreshold: 0 }));
    const config = cli(['--task-file', path, '--cycles', '1', ...TINY_RUN]).config;
    const model = tinyDiT();
    const { engine, baseId } = await prepareImageRun(config, async (task) => {
      expect(task).toBe('scenes');
      return { model, fingerprint: 'x' };
    });
    expect(baseId.startsWith('scenes:denoiser:')).toBe(true);
    const doc = parseAnyTaskDocument(config.taskDoc) as ImageTaskDocument;
    expect(engine.denoiser.prompts).toEqual([...doc.prompts, ...doc.evalPrompts!]);
    const c0 = await engine.runCycle();
    const c1 = await engine.runCycle();
    expect(c0.evalSamples.map((s) => s.prompt)).toEqual(doc.evalPrompts);
    expect(c0.evalSamples[0]!.pixels.length).toBe(48 * 48 * 3);
    expect(c1.samples).toHaveLength(4);
    for (const s of c1.samples) expect(doc.prompts).toContain(s.prompt);
    expect(c0.stats.evalPassRate).toBe(1);
    expect(c0.stats.evalFidelity).toBeGreaterThanOrEqual(0);
    expect(c1.stats.trainLoss).toBeGreaterThan(0);
    engine.dispose();
    // the same prompts and reward as flags of task scenes (no held-out prompts): the same eval images and rewards
    const noEval = file('same.json', scenesDoc({ reward: { terms: [{ name: 'fidelity', weight: 0.7 }, { name: 'count', weight: 0.3 }] } }));
    const a = await prepareImageRun(cli(['--task-file', noEval, '--cycles', '0', ...TINY_RUN]).config, async () => ({ model, fingerprint: 'x' }));
    const ra = await a.engine.runCycle();
    a.engine.dispose();
    const flags = cli(['--task', 'scenes', '--scene-prompts', doc.prompts.join('; '), '--reward', 'fidelity:0.7,count:0.3', '--cycles', '0', ...TINY_RUN]);
    expect(flags.errors).toEqual([]);
    const b = await prepareImageRun(flags.config, async () => ({ model, fingerprint: 'x' }));
    const rb = await b.engine.runCycle();
    b.engine.dispose();
    expect(ra.evalSamples.map((s) => [s.prompt, s.seed, s.reward])).toEqual(rb.evalSamples.map((s) => [s.prompt, s.seed, s.reward]));
    expect(ra.evalSamples[1]!.pixels).toEqual(rb.evalSamples[1]!.pixels);
    model.dispose();
  });

  it('a shapes document trains only its labels, evaluates its held-out label, and counts against each image\'s own label', async () => {
    const path = file('shapes.json', { raftlabTask: 1, kind: 'image', name: 'counting', model: 'shapes', prompts: ['two circles', 'stripes'], evalPrompts: ['a square'], reward: { terms: [{ name: 'count' }, { name: 'symmetry', weight: 0.5 }] } });
    const config = cli(['--task-file', path, '--cycles', '1', ...TINY_RUN]).config;
    expect(config).toMatchObject({ select: 'global', promptsPerCycle: 2 });
    const model = new UNet({ size: 16, channels: [8, 8], embDim: 16, timeDim: 8, groups: 4, numClasses: 8 }, undefined, 1);
    const { engine } = await prepareImageRun(config, async (task) => {
      expect(task).toBe('shapes');
      return { model, fingerprint: 'x' };
    });
    await engine.runCycle();
    const { samples, evalSamples, stats } = await engine.runCycle();
    expect(evalSamples.map((s) => s.prompt)).toEqual(['a square']);
    expect(new Set(samples.map((s) => s.prompt))).toEqual(new Set(['two circles', 'stripes']));
    for (const s of [...samples, ...evalSamples]) expect(s.reward).toBe(imageReward({ count: 1, symmetry: 0.5 }, s.pixels, labelIndex(s.prompt)).reward);
    expect(stats.evalPassRate).toBeNull();
    engine.dispose();
    model.dispose();
  });

  it('raftlab run --task-file runs an image document on the shipped scenes model and its CLIP', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((l: unknown) => void lines.push(String(l)));
    const out = join(dir, 'run.json');
    const code = await main(['run', '--task-file', 'examples/red-on-the-left/task.json', '--cycles', '0', '--eval-prompts', '1', '--eval-samples-per-prompt', '1', '--ddim-steps', '2', '--eval-images', '2', '--out', out]);
    spy.mockRestore();
    expect(code).toBe(0);
    expect(lines.join('\n')).toContain('task custom "red things on the left" on model scenes (8 prompts, 4 held out), reward fidelity:0.7,clip-score:0.3');
    expect(lines.some((l) => /evalR +fid +pass/.test(l))).toBe(true);
    const json = JSON.parse(readFileSync(out, 'utf8'));
    expect(json.config).toMatchObject({ task: 'custom', select: 'global' });
    expect(json.cycles[0].evalFidelity).toBeGreaterThanOrEqual(0);
    expect(json.meta.url).toContain('td=z');
  });
});
