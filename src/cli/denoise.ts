/**
 * `raftlab denoise --model M --noise IN.safetensors [--class-labels 0,1] [--steps N] [--eta E] [--seed S] [--variant fp16]
 * [--sampler ddim|ddpm] --out OUT.safetensors`: runs a diffusers model's own scheduler from the given initial noise
 * (tensor `noise`, (B, C, H, W)) and writes the final sample (tensor `sample`), the check of the lab's UNet and
 * schedulers against diffusers. With `--timesteps 10,500 --sample IN.safetensors` it runs one UNet forward per
 * timestep over the whole batch and writes the model outputs (tensor `output`, (T, B, C, H, W)). M is a folder in the
 * Hub's layout (a DDPM/DDIM pipeline or a bare UNet2DModel repo), a Hub id or a folder URL (--hf-endpoint). eta > 0
 * and the DDPM sampler draw their variance noise from --seed. `--adapter DIR` applies a PEFT LoRA adapter (what
 * `raftlab run --task hub-images --save DIR` writes) to the UNet first. Bad flags or a broken model: a message and exit 2.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { DiffusersModelError, denoise, inputProblem, modelOutput } from '../core/diffusers/pipeline';
import { HubModelError } from '../core/hub/errors';
import { SchedulerConfigError } from '../core/diffusers/scheduler';
import { readSafetensors, SafetensorsError, writeSafetensors } from '../core/hub/safetensors';
import { Rng } from '../core/rng';
import { initNodeBackend, type NodeBackend } from '../node/backend';
import { loadDiffusersModel } from '../node/diffusers-model';
import { loadDiffusersAdapter } from '../node/diffusers-save';
import { UNetLoraError } from '../core/diffusers/unet2d/lora';

const USAGE = 'usage: raftlab denoise --model DIR|ORG/NAME[@REV]|URL (--noise IN.safetensors [--steps N] [--eta E] [--seed S] [--sampler ddim|ddpm] | --timesteps 10,500 --sample IN.safetensors) [--class-labels 0,1] [--variant fp16] [--adapter DIR] [--hf-endpoint URL] --out OUT.safetensors';

const FLAGS = ['--model', '--adapter', '--noise', '--sample', '--timesteps', '--class-labels', '--steps', '--eta', '--seed', '--sampler', '--variant', '--hf-endpoint', '--out', '--backend'] as const;
type Flag = (typeof FLAGS)[number];

function ints(v: string, what: string, errors: string[]): number[] | undefined {
  const xs = v.split(',').map((x) => Number(x.trim()));
  if (xs.length === 0 || !xs.every((x) => Number.isSafeInteger(x) && x >= 0)) {
    errors.push(`${what} needs non-negative integers separated by commas (got ${JSON.stringify(v.slice(0, 60))})`);
    return undefined;
  }
  return xs;
}

/** The one 4-D tensor `name` of a safetensors file. */
function readTensor(path: string, name: string): { shape: [number, number, number, number]; values: Float32Array } {
  if (!existsSync(path)) throw new DiffusersModelError(`${path} does not exist`);
  const t = readSafetensors(new Uint8Array(readFileSync(path))).tensors.get(name);
  if (!t) throw new DiffusersModelError(`${path} has no tensor "${name}"`);
  if (t.shape.length !== 4) throw new DiffusersModelError(`${path}: tensor "${name}" has shape [${t.shape.join(', ')}], not (B, C, H, W)`);
  return { shape: t.shape as [number, number, number, number], values: t.values };
}

export async function denoiseCommand(argv: readonly string[], backendName?: NodeBackend): Promise<number> {
  const v: Partial<Record<Flag, string>> = {};
  const errors: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--help' || token === '-h') {
      console.log(`${USAGE}\n\nRuns a diffusers UNet2DModel's scheduler from given initial noise and writes the final sample, or (--timesteps) the UNet's outputs at given timesteps.`);
      return 0;
    }
    const eq = token.indexOf('=');
    const flag = (eq < 0 ? token : token.slice(0, eq)) as Flag;
    if (!FLAGS.includes(flag)) {
      errors.push(`unknown argument ${JSON.stringify(token.slice(0, 60))} (${USAGE})`);
      continue;
    }
    const value = eq < 0 ? argv[++i] : token.slice(eq + 1);
    if (value === undefined) errors.push(`missing value for ${flag}`);
    else v[flag] = value;
  }
  if (!v['--model']) errors.push('--model is required');
  if (!v['--out']) errors.push('--out is required');
  const timesteps = v['--timesteps'] !== undefined ? ints(v['--timesteps'], '--timesteps', errors) : undefined;
  const labels = v['--class-labels'] !== undefined ? ints(v['--class-labels'], '--class-labels', errors) : undefined;
  if (timesteps ? !v['--sample'] : !v['--noise']) errors.push(timesteps ? '--timesteps needs --sample IN.safetensors' : '--noise IN.safetensors is required (or --timesteps with --sample)');
  const steps = Number(v['--steps'] ?? 50);
  if (!Number.isSafeInteger(steps) || steps < 1) errors.push(`--steps must be a positive integer (got ${JSON.stringify(v['--steps'])})`);
  const eta = Number(v['--eta'] ?? 0);
  if (!(eta >= 0 && eta <= 1)) errors.push(`--eta must be a number from 0 to 1 (got ${JSON.stringify(v['--eta'])})`);
  const sampler = v['--sampler'] ?? 'ddim';
  if (sampler !== 'ddim' && sampler !== 'ddpm') errors.push(`--sampler must be ddim or ddpm (got ${JSON.stringify(sampler)})`);
  const seed = Number(v['--seed'] ?? 1);
  if (!Number.isSafeInteger(seed) || seed < 0) errors.push(`--seed must be a non-negative integer (got ${JSON.stringify(v['--seed'])})`);
  if (v['--variant'] !== undefined && v['--variant'] !== 'fp16') errors.push(`--variant must be fp16 (got ${JSON.stringify(v['--variant'])})`);
  if (errors.length) {
    for (const e of errors) console.error(`raftlab denoise: ${e}`);
    return 2;
  }
  try {
    await initNodeBackend(backendName ?? (v['--backend'] as NodeBackend | undefined) ?? 'wasm');
    const { pipeline } = await loadDiffusersModel(v['--model']!, { endpoint: v['--hf-endpoint'], variant: v['--variant'] as 'fp16' | undefined });
    if (v['--adapter']) await loadDiffusersAdapter(v['--adapter'], pipeline);
    const input = timesteps ? readTensor(v['--sample']!, 'sample') : readTensor(v['--noise']!, 'noise');
    const problem = inputProblem(pipeline.unet, input.shape, labels);
    if (problem) throw new DiffusersModelError(problem);
    if (timesteps) {
      const x = input;
      const outs = new Float32Array(timesteps.length * x.values.length);
      for (let i = 0; i < timesteps.length; i++) outs.set(await modelOutput(pipeline.unet, x.values, x.shape, [timesteps[i]!], labels), i * x.values.length);
      writeFileSync(v['--out']!, writeSafetensors(new Map([['output', { shape: [timesteps.length, ...x.shape], values: outs }]]), { metadata: { format: 'pt' } }));
    } else {
      const noise = input;
      const rng = new Rng(seed);
      const draw = () => Float32Array.from({ length: noise.values.length }, () => rng.normal());
      const sample = await denoise(pipeline, noise.values, noise.shape, { steps, eta, classLabels: labels, noise: draw, sampler: sampler as 'ddim' | 'ddpm' });
      writeFileSync(v['--out']!, writeSafetensors(new Map([['sample', { shape: noise.shape, values: sample }]]), { metadata: { format: 'pt' } }));
    }
    pipeline.unet.dispose();
    return 0;
  } catch (e) {
    if (e instanceof DiffusersModelError || e instanceof HubModelError || e instanceof SafetensorsError || e instanceof SchedulerConfigError || e instanceof UNetLoraError || (e as { code?: unknown } | null)?.code === 'ENOENT') {
      const err = e as Error;
      console.error(`raftlab denoise: ${err.message}`);
      return 2;
    }
    throw e;
  }
}
