// diffusers pipelines end to end: the tiny fixtures' 10-step DDIM samples (the real DDIMPipeline's) from a folder and
// from a local Hub-layout server, F32 and the fp16 variant, through `raftlab denoise`; a bare UNet repo; the broken
// models each named.
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { denoiseCommand } from '../src/cli/denoise';
import { readSafetensors, writeSafetensors } from '../src/core/hub/safetensors';
import { denoise } from '../src/core/diffusers/pipeline';
import { loadDiffusersModel } from '../src/node/diffusers-model';
import { raftlab, startHubServer } from './hub-server';

const DIR = join(import.meta.dirname, 'fixtures', 'diffusers-tiny');
interface T { shape: number[]; data: number[] }
interface Golden {
  unet_forward: { sample: T; timesteps: number[]; class_labels: number[] | null; output: T; output_fp16_weights?: T };
  ddim: { num_inference_steps: number; class_labels: number[] | null; timesteps: number[]; initial_noise: T; final_sample: T };
}
const golden = (name: string) => JSON.parse(readFileSync(join(DIR, name, 'golden.json'), 'utf8')) as Golden;
const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
const shape4 = (t: T) => t.shape as [number, number, number, number];
/** `raftlab denoise ARGS` in this process (the command returns its exit code), with $RAFTLAB_CACHE set; stderr captured. */
async function denoiseHere(args: string[], env: Record<string, string>): Promise<{ code: number; err: string }> {
  const prev = process.env.RAFTLAB_CACHE;
  if (env.RAFTLAB_CACHE) process.env.RAFTLAB_CACHE = env.RAFTLAB_CACHE;
  const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    const code = await denoiseCommand(args);
    return { code, err: errors.mock.calls.map((c) => String(c[0])).join('\n') };
  } finally {
    errors.mockRestore();
    if (prev === undefined) delete process.env.RAFTLAB_CACHE;
    else process.env.RAFTLAB_CACHE = prev;
  }
}

/** DDIM amplifies float32 noise in tiny-ddpm (x0 at t = 901 is scaled by ~60): the fixture README's tolerances. */
const DDIM_TOL: Record<string, number> = { 'tiny-ddpm': 1e-3, 'tiny-ddpm-class': 1e-4 };

describe.each(['tiny-ddpm', 'tiny-ddpm-class'])('the %s pipeline', (name) => {
  it('its DDIM scheduler visits diffusers\' timesteps and the 10-step sample matches the DDIMPipeline\'s', async () => {
    const g = golden(name);
    const { pipeline } = await loadDiffusersModel(join(DIR, name));
    const sample = await denoise(pipeline, Float32Array.from(g.ddim.initial_noise.data), shape4(g.ddim.initial_noise), { steps: g.ddim.num_inference_steps, classLabels: g.ddim.class_labels ?? undefined });
    expect(pipeline.scheduler.timesteps).toEqual(g.ddim.timesteps);
    const worst = maxAbs(sample, g.ddim.final_sample.data);
    console.info(`${name}: 10-step DDIM sample vs diffusers ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(DDIM_TOL[name]!);
    pipeline.unet.dispose();
  });
});

describe('raftlab denoise', () => {
  let server: Server;
  let endpoint = '';
  const work = mkdtempSync(join(tmpdir(), 'raftlab-denoise-'));
  const write = (file: string, name: string, t: T) => writeFileSync(join(work, file), writeSafetensors(new Map([[name, { shape: t.shape, values: Float32Array.from(t.data) }]])));
  const out = (file: string, name: string) => readSafetensors(new Uint8Array(readFileSync(join(work, file)))).tensors.get(name)!;

  beforeAll(async () => {
    ({ server, endpoint } = await startHubServer([]));
    for (const name of ['tiny-ddpm', 'tiny-ddpm-class']) {
      const g = golden(name);
      write(`${name}-noise.safetensors`, 'noise', g.ddim.initial_noise);
      write(`${name}-sample.safetensors`, 'sample', g.unet_forward.sample);
    }
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('from a folder and from a local Hub-layout server (F32 and fp16): DDIM samples and UNet outputs as diffusers\'', { timeout: 180_000 }, async () => {
    const cache = mkdtempSync(join(tmpdir(), 'raftlab-cache-'));
    const lines: string[] = [];
    for (const name of ['tiny-ddpm', 'tiny-ddpm-class']) {
      const g = golden(name);
      const labels = (l: number[] | null) => (l ? ['--class-labels', l.join(',')] : []);
      for (const model of [join(DIR, name), `tiny/${name}`]) {
        const where = model.startsWith('tiny/') ? 'server' : 'folder';
        const samples = await denoiseHere(['--model', model, '--hf-endpoint', endpoint, '--noise', join(work, `${name}-noise.safetensors`), '--steps', '10', ...labels(g.ddim.class_labels), '--out', join(work, `${name}-${where}-final.safetensors`)], { RAFTLAB_CACHE: cache });
        expect(samples.code, samples.err).toBe(0);
        const final = maxAbs(out(`${name}-${where}-final.safetensors`, 'sample').values, g.ddim.final_sample.data);
        expect(final).toBeLessThan(DDIM_TOL[name]!);
        // one forward per timestep over the whole batch: (T, B, C, H, W); row b of timestep b is the golden's row b
        const fwd = await denoiseHere(['--model', model, '--hf-endpoint', endpoint, '--timesteps', g.unet_forward.timesteps.join(','), '--sample', join(work, `${name}-sample.safetensors`), ...labels(g.unet_forward.class_labels), '--out', join(work, `${name}-${where}-out.safetensors`)], { RAFTLAB_CACHE: cache });
        expect(fwd.code, fwd.err).toBe(0);
        const o = out(`${name}-${where}-out.safetensors`, 'output');
        const per = o.values.length / (o.shape[0]! * o.shape[1]!);
        expect(o.shape).toEqual([2, ...g.unet_forward.sample.shape]);
        let worst = 0;
        for (let b = 0; b < 2; b++) worst = Math.max(worst, maxAbs(o.values.subarray((b * 2 + b) * per, (b * 2 + b + 1) * per), g.unet_forward.output.data.slice(b * per, (b + 1) * per)));
        expect(worst).toBeLessThan(1e-5);
        lines.push(`${name} (${where}): UNet ${worst.toExponential(2)}, DDIM ${final.toExponential(2)}`);
      }
    }
    const g = golden('tiny-ddpm');
    const fp16 = await raftlab(['denoise', '--model', 'tiny/tiny-ddpm', '--variant', 'fp16', '--hf-endpoint', endpoint, '--timesteps', '10,500', '--sample', join(work, 'tiny-ddpm-sample.safetensors'), '--out', join(work, 'fp16.safetensors')], { RAFTLAB_CACHE: cache });
    expect(fp16.code, fp16.err).toBe(0);
    const o = out('fp16.safetensors', 'output');
    const per = o.values.length / 4;
    const worst = Math.max(maxAbs(o.values.subarray(0, per), g.unet_forward.output_fp16_weights!.data.slice(0, per)), maxAbs(o.values.subarray(3 * per), g.unet_forward.output_fp16_weights!.data.slice(per)));
    expect(worst).toBeLessThan(1e-5);
    lines.push(`tiny-ddpm fp16 variant (server): UNet ${worst.toExponential(2)}`);
    console.info(lines.join('\n'));
  });

  it('a bare UNet repo (config.json and weights at the top) samples with DDPMScheduler defaults; eta 1 draws seeded noise', { timeout: 60_000 }, async () => {
    const bare = mkdtempSync(join(tmpdir(), 'raftlab-bare-'));
    copyFileSync(join(DIR, 'tiny-ddpm', 'unet', 'config.json'), join(bare, 'config.json'));
    copyFileSync(join(DIR, 'tiny-ddpm', 'unet', 'diffusion_pytorch_model.safetensors'), join(bare, 'diffusion_pytorch_model.safetensors'));
    const { pipeline } = await loadDiffusersModel(bare);
    expect(pipeline.files.layout).toBe('unet');
    expect(pipeline.scheduler.config).toMatchObject({ className: 'DDPMScheduler', clipSample: true, setAlphaToOne: true });
    pipeline.unet.dispose();
    const args = (seed: string, f: string) => ['denoise', '--model', bare, '--noise', join(work, 'tiny-ddpm-noise.safetensors'), '--steps', '5', '--eta', '1', '--seed', seed, '--out', join(work, f)];
    for (const [seed, f] of [['1', 'a'], ['1', 'b'], ['2', 'c']]) expect((await denoiseHere(args(seed!, `${f}.safetensors`).slice(1), {})).code).toBe(0);
    expect(out('a.safetensors', 'sample').values).toEqual(out('b.safetensors', 'sample').values);
    expect(maxAbs(out('a.safetensors', 'sample').values, out('c.safetensors', 'sample').values)).toBeGreaterThan(1e-3);
  });

  it('names what is wrong: a Stable Diffusion pipeline, an unknown block, a truncated file, a bad scheduler, missing labels', { timeout: 120_000 }, async () => {
    const broken = (edit: (dir: string) => void) => {
      const dir = mkdtempSync(join(tmpdir(), 'raftlab-broken-'));
      cpSync(join(DIR, 'tiny-ddpm'), dir, { recursive: true });
      edit(dir);
      return dir;
    };
    const json = (dir: string, file: string, f: (c: Record<string, unknown>) => Record<string, unknown>) => writeFileSync(join(dir, file), JSON.stringify(f(JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, unknown>)));
    const cases: Array<[string, RegExp]> = [
      [broken((d) => json(d, 'model_index.json', (c) => ({ ...c, _class_name: 'StableDiffusionPipeline', unet: ['diffusers', 'UNet2DConditionModel'] }))), /StableDiffusionPipeline is not supported yet \(its UNet is a UNet2DConditionModel\)/],
      [broken((d) => json(d, 'unet/config.json', (c) => ({ ...c, down_block_types: ['DownBlock2D', 'SkipDownBlock2D'] }))), /down block type "SkipDownBlock2D" is not supported/],
      [broken((d) => json(d, 'unet/config.json', (c) => ({ ...c, act_fn: 'softsign' }))), /act_fn "softsign"/],
      [broken((d) => { const f = join(d, 'unet', 'diffusion_pytorch_model.safetensors'); const b = readFileSync(f); writeFileSync(f, b.subarray(0, b.length - 100)); }), /truncated|past the end/],
      [broken((d) => writeFileSync(join(d, 'unet', 'diffusion_pytorch_model.safetensors'), '<!doctype html><p>not found</p>')), /not a safetensors file/],
      [broken((d) => json(d, 'scheduler/scheduler_config.json', (c) => ({ ...c, beta_schedule: 'exponential' }))), /beta_schedule "exponential" is not supported/],
      [broken((d) => json(d, 'scheduler/scheduler_config.json', (c) => ({ ...c, _class_name: 'LMSDiscreteScheduler' }))), /LMSDiscreteScheduler" is not supported/],
      [join(DIR, 'tiny-ddpm-class'), /class-conditional \(10 classes\): give one class label per sample/],
    ];
    // in this process (the command returns its exit code), one of them as a child process too
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    for (const [dir, want] of cases) {
      errors.mockClear();
      const code = await denoiseCommand(['--model', dir, '--noise', join(work, 'tiny-ddpm-noise.safetensors'), '--steps', '2', '--out', join(work, 'x.safetensors')]);
      const err = errors.mock.calls.map((c) => String(c[0])).join('\n');
      expect(code, `${dir}: ${err}`).toBe(2);
      expect(err).toMatch(want);
    }
    errors.mockRestore();
    const child = await raftlab(['denoise', '--model', cases[0]![0], '--noise', join(work, 'tiny-ddpm-noise.safetensors'), '--out', join(work, 'x.safetensors')], {});
    expect(child.code).toBe(2);
    expect(child.err).toMatch(cases[0]![1]);
    const flags = await denoiseHere(['--model', join(DIR, 'tiny-ddpm'), '--steps', 'ten'], {});
    expect(flags.code).toBe(2);
    expect(flags.err).toMatch(/--out is required/);
    expect(flags.err).toMatch(/--steps must be a positive integer/);
    mkdirSync(join(work, 'nothing'));
    const empty = await denoiseHere(['--model', join(work, 'nothing'), '--noise', join(work, 'tiny-ddpm-noise.safetensors'), '--out', join(work, 'x.safetensors')], {});
    expect(empty.err).toMatch(/neither model_index\.json \(a pipeline\) nor config\.json \(a bare UNet\)/);
  });
});
