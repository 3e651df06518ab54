/**
 * A diffusers DDPM/DDIM pipeline (or a bare UNet repo) from its files, wherever they come from (a folder, the Hub
 * through the CLI's cache or the page's Cache API): `model_index.json` (optional: a bare UNet repo has none),
 * `unet/config.json` (or `config.json` at the top of a bare UNet repo), the UNet's safetensors weights (F32, or the
 * `fp16` variant), and `scheduler/scheduler_config.json` (a DDPMScheduler config is read as the DDIM pipeline reads
 * it; a bare UNet repo gets diffusers' DDPMScheduler defaults). And the sampler that runs the model's scheduler from
 * given initial noise, as diffusers' DDIMPipeline does (with class labels for class-conditional UNets).
 */
import * as tf from '@tensorflow/tfjs';
import { hubFingerprint } from '../hub/fingerprint';
import { readSafetensors, SafetensorsError } from '../hub/safetensors';
import { Scheduler, schedulerConfigFromJson, SchedulerConfigError, type SchedulerConfig } from './scheduler';
import { UNet2DConfigError, unet2dConfigFromJson, unet2dWeights, type UNet2DConfig } from './unet2d/config';
import { UNet2DModel } from './unet2d/model';

export class DiffusersModelError extends Error {}

/** Reads one file of the model by its path in the repo (`unet/config.json`); null when it does not exist. */
export type ReadFile = (path: string) => Promise<Uint8Array | null>;

export interface PipelineFiles {
  /** 'pipeline': model_index.json + unet/ + scheduler/; 'unet': a bare UNet repo. */
  layout: 'pipeline' | 'unet';
  modelIndex: Record<string, unknown> | null;
  unetConfig: UNet2DConfig;
  schedulerConfig: SchedulerConfig;
  /** The JSON files read (path -> bytes; exports copy them); the weights are dropped once the UNet is built. */
  files: Map<string, Uint8Array>;
  /** The UNet's tensors as read (emptied once the UNet is built). */
  tensors: Map<string, { shape: number[]; values: Float32Array }>;
  /** The UNet's config and weights files (core/hub/fingerprint.ts): a run never resumes on other weights. */
  fingerprint: string;
}

const PIPELINES = ['DDPMPipeline', 'DDIMPipeline'];

function parseJson(path: string, bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new DiffusersModelError(`${path} is not JSON`);
  }
}

/**
 * The pipeline's files read and checked (nothing built yet): the pipeline class, the UNet's config and tensors, the
 * scheduler's config. Every problem is a DiffusersModelError that names it.
 */
export async function readPipelineFiles(read: ReadFile, opts: { variant?: 'fp16' } = {}): Promise<PipelineFiles> {
  const files = new Map<string, Uint8Array>();
  const get = async (path: string) => {
    const b = await read(path);
    if (b) files.set(path, b);
    return b;
  };
  try {
    const indexBytes = await get('model_index.json');
    const modelIndex = indexBytes ? (parseJson('model_index.json', indexBytes) as Record<string, unknown>) : null;
    if (modelIndex) {
      const cls = String(modelIndex._class_name);
      if (!PIPELINES.includes(cls)) {
        const unet = (modelIndex.unet as unknown[] | undefined)?.[1];
        throw new DiffusersModelError(`${cls} is not supported yet${unet ? ` (its UNet is a ${String(unet)})` : ''}: the lab loads DDPM/DDIM pipelines of a UNet2DModel (${PIPELINES.join(', ')})`);
      }
    }
    const dir = modelIndex ? 'unet/' : '';
    const configBytes = await get(`${dir}config.json`);
    if (!configBytes) throw new DiffusersModelError(modelIndex ? 'the pipeline has no unet/config.json' : 'the model has neither model_index.json (a pipeline) nor config.json (a bare UNet)');
    const unetConfig = unet2dConfigFromJson(parseJson(`${dir}config.json`, configBytes));
    const weightFile = `${dir}diffusion_pytorch_model${opts.variant ? `.${opts.variant}` : ''}.safetensors`;
    const weights = await get(weightFile);
    if (!weights) throw new DiffusersModelError(`the model has no ${weightFile} (only safetensors weights are read${opts.variant ? '' : '; try the fp16 variant'})`);
    const { tensors } = readSafetensors(weights);
    unet2dWeights(unetConfig, tensors); // names and shapes checked before anything is built
    const schedBytes = modelIndex ? await get('scheduler/scheduler_config.json') : null;
    if (modelIndex && !schedBytes) throw new DiffusersModelError('the pipeline has no scheduler/scheduler_config.json');
    const schedulerConfig = schedulerConfigFromJson(schedBytes ? parseJson('scheduler/scheduler_config.json', schedBytes) : { _class_name: 'DDPMScheduler' });
    const fingerprint = await hubFingerprint([...files].filter(([name]) => name !== 'model_index.json').map(([name, bytes]) => ({ name, bytes })));
    return { layout: modelIndex ? 'pipeline' : 'unet', modelIndex, unetConfig, schedulerConfig, files, tensors, fingerprint };
  } catch (e) {
    if (e instanceof UNet2DConfigError || e instanceof SchedulerConfigError || e instanceof SafetensorsError) throw new DiffusersModelError(e.message);
    throw e;
  }
}

export interface DiffusersPipeline {
  unet: UNet2DModel;
  scheduler: Scheduler;
  files: PipelineFiles;
}

export async function loadPipeline(read: ReadFile, opts: { variant?: 'fp16' } = {}): Promise<DiffusersPipeline> {
  const files = await readPipelineFiles(read, opts);
  const unet = new UNet2DModel(files.unetConfig, unet2dWeights(files.unetConfig, files.tensors));
  // the weights live in the UNet's variables now: the file's bytes and its decoded tensors are not kept twice
  files.tensors.clear();
  for (const name of [...files.files.keys()]) if (name.endsWith('.safetensors')) files.files.delete(name);
  return { unet, scheduler: new Scheduler(files.schedulerConfig), files };
}

export interface SampleOptions {
  steps: number;
  /** DDIM's eta (0: deterministic); eta > 0 needs `noise`. */
  eta?: number;
  classLabels?: readonly number[];
  /** The variance noise of step i (same size as the sample), for eta > 0. */
  noise?: (step: number) => Float32Array;
  /** 'ddim' (default) or the DDPM ancestral sampler. */
  sampler?: 'ddim' | 'ddpm';
  onStep?: (step: number, total: number) => void;
}

/**
 * The final sample of the model's scheduler run from `initial` (B, C, H, W) over `steps` timesteps, as diffusers'
 * DDIMPipeline loop: model output at t, scheduler step to the previous timestep. Returns the raw sample.
 */
export async function denoise(p: DiffusersPipeline, initial: Float32Array, shape: [number, number, number, number], o: SampleOptions): Promise<Float32Array> {
  let x = initial;
  const timesteps = p.scheduler.setTimesteps(o.steps);
  for (let i = 0; i < timesteps.length; i++) {
    const t = timesteps[i]!;
    const out = await modelOutput(p.unet, x, shape, [t], o.classLabels);
    const step = o.sampler === 'ddpm'
      ? p.scheduler.ddpmStep(out, t, x, t > 0 ? o.noise?.(i) : undefined)
      : p.scheduler.ddimStep(out, t, x, o.eta ?? 0, (o.eta ?? 0) > 0 ? o.noise?.(i) : undefined);
    x = step.prevSample;
    o.onStep?.(i + 1, timesteps.length);
  }
  return x;
}

/** Null when the UNet takes a sample of this shape with these labels, else why not (for people). */
export function inputProblem(unet: UNet2DModel, shape: readonly number[], classLabels?: readonly number[]): string | null {
  const c = unet.config;
  const [B, C, H, W] = shape as [number, number, number, number];
  const f = 2 ** (c.blockOutChannels.length - 1);
  if (shape.length !== 4) return `the sample must be (B, C, H, W), not [${shape.join(', ')}]`;
  if (C !== c.inChannels) return `the sample has ${C} channels; the UNet takes ${c.inChannels}`;
  if (H % f !== 0 || W % f !== 0) return `the sample's ${H}x${W} pixels are not divisible by ${f} (2^(blocks - 1))`;
  if (c.numClassEmbeds !== null) {
    if (!classLabels) return `the UNet is class-conditional (${c.numClassEmbeds} classes): give one class label per sample`;
    if (classLabels.length !== B || classLabels.some((l) => !Number.isInteger(l) || l < 0 || l >= c.numClassEmbeds!)) return `class labels must be ${B} integers from 0 to ${c.numClassEmbeds - 1}`;
  } else if (classLabels) return 'class labels given, but the UNet has no class embedding';
  return null;
}

/** The UNet's output (B, C, H, W) for a sample at timesteps (one for all, or one per row). */
export async function modelOutput(unet: UNet2DModel, sample: Float32Array, shape: [number, number, number, number], timesteps: readonly number[], classLabels?: readonly number[]): Promise<Float32Array> {
  const x = tf.tensor4d(sample, shape);
  try {
    const y = tf.tidy(() => unet.forward(x, timesteps, classLabels));
    const out = (await y.data()) as Float32Array;
    y.dispose();
    return out;
  } finally {
    x.dispose();
  }
}
