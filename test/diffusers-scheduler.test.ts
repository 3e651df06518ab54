// diffusers' DDIM scheduler reimplemented (src/core/diffusers/scheduler.ts) against the real library's outputs
// (test/fixtures/diffusers-tiny/ddim-scheduler-golden.json): alphas_cumprod of each beta schedule, set_timesteps of
// each spacing and offset, and single steps over every prediction type, clipping, set_alpha_to_one and eta 1.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alphasCumprod, Scheduler, schedulerConfigFromJson, setTimesteps } from '../src/core/diffusers/scheduler';

interface T { shape: number[]; data: number[] }
const G = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'diffusers-tiny', 'ddim-scheduler-golden.json'), 'utf8')) as {
  alphas_cumprod: Record<string, { config: Record<string, unknown>; data: number[] }>;
  set_timesteps: Array<Record<string, unknown> & { num_inference_steps: number; timesteps: number[] }>;
  step_cases: Array<{ config: Record<string, unknown>; num_inference_steps: number; timestep: number; eta: number; variance_noise: boolean; prev_sample: number[]; pred_original_sample: number[] }>;
  inputs: Record<'sample' | 'model_output' | 'variance_noise', T>;
};
const exact = (t: T) => Float32Array.from(t.data); // 9 significant digits: float64 -> float32 is the exact input
const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe('DDIM scheduler against diffusers', () => {
  it('alphas_cumprod of linear, scaled_linear and squaredcos_cap_v2 to a relative 1e-6', () => {
    for (const [name, { config, data }] of Object.entries(G.alphas_cumprod)) {
      const got = alphasCumprod(schedulerConfigFromJson(config));
      expect(got, name).toHaveLength(data.length);
      const worst = data.reduce((m, v, i) => Math.max(m, Math.abs(got[i]! - v) / v), 0);
      expect(worst, name).toBeLessThan(1e-6);
    }
  });

  it('set_timesteps equals diffusers exactly for leading, linspace and trailing, offsets 0 and 1, n = 10, 7, 50', () => {
    expect(G.set_timesteps.length).toBe(18);
    for (const c of G.set_timesteps) expect(setTimesteps(schedulerConfigFromJson(c), c.num_inference_steps), JSON.stringify(c).slice(0, 90)).toEqual(c.timesteps);
  });

  it('45 single steps (epsilon, v_prediction, sample; clipping; set_alpha_to_one; eta 1 with explicit noise) to 1e-5', () => {
    const x = exact(G.inputs.sample);
    const m = exact(G.inputs.model_output);
    const noise = exact(G.inputs.variance_noise);
    let worst = 0;
    for (const c of G.step_cases) {
      const s = new Scheduler(schedulerConfigFromJson(c.config));
      s.setTimesteps(c.num_inference_steps);
      const out = s.ddimStep(m, c.timestep, x, c.eta, c.variance_noise ? noise : undefined);
      worst = Math.max(worst, maxAbs(out.prevSample, c.prev_sample), maxAbs(out.predOriginalSample, c.pred_original_sample));
    }
    console.info(`DDIM scheduler steps: largest difference from diffusers ${worst.toExponential(2)} over ${G.step_cases.length} cases`);
    expect(worst).toBeLessThan(1e-5);
  });

  it('reads a DDPMScheduler config as the DDIM pipeline does, and refuses unknown values by name', () => {
    const ddpm = schedulerConfigFromJson({ _class_name: 'DDPMScheduler', beta_schedule: 'linear', num_train_timesteps: 1000, variance_type: 'fixed_small', clip_sample: true });
    expect(ddpm).toMatchObject({ className: 'DDPMScheduler', setAlphaToOne: true, stepsOffset: 0, timestepSpacing: 'leading', predictionType: 'epsilon' });
    expect(() => schedulerConfigFromJson({ beta_schedule: 'sigmoid' })).toThrow(/beta_schedule "sigmoid" is not supported \(supported: linear, scaled_linear, squaredcos_cap_v2\)/);
    expect(() => schedulerConfigFromJson({ prediction_type: 'flow' })).toThrow(/prediction_type "flow"/);
    expect(() => schedulerConfigFromJson({ timestep_spacing: 'karras' })).toThrow(/timestep_spacing "karras"/);
    expect(() => schedulerConfigFromJson({ _class_name: 'EulerDiscreteScheduler' })).toThrow(/EulerDiscreteScheduler" is not supported \(supported: DDIMScheduler, DDPMScheduler\)/);
    expect(() => schedulerConfigFromJson({ thresholding: true })).toThrow(/thresholding/);
    expect(() => schedulerConfigFromJson({ _class_name: 'DDPMScheduler', variance_type: 'learned_range' })).toThrow(/variance_type "learned_range"/);
    expect(() => schedulerConfigFromJson([1, 2])).toThrow(/not a JSON object/);
  });

  it('a DDPM step at the last timestep is the posterior mean, deterministic; earlier steps add noise of the posterior variance', () => {
    const s = new Scheduler(schedulerConfigFromJson({ _class_name: 'DDPMScheduler', clip_sample: false }));
    s.setTimesteps(1000);
    const x = Float32Array.from([0.5, -1]);
    const eps = Float32Array.from([0.1, 0.2]);
    // at t = 0: a_prev = 1, beta = 1 - a_0, x_prev = x̂0 exactly
    const last = s.ddpmStep(eps, 0, x);
    const a0 = s.alphasCumprod[0]!;
    expect(maxAbs(last.prevSample, [(0.5 - Math.sqrt(1 - a0) * 0.1) / Math.sqrt(a0), (-1 - Math.sqrt(1 - a0) * 0.2) / Math.sqrt(a0)])).toBeLessThan(1e-6);
    const zero = s.ddpmStep(eps, 500, x, new Float32Array(2));
    const one = s.ddpmStep(eps, 500, x, Float32Array.from([1, 1]));
    const a = s.alphasCumprod[500]!;
    const ap = s.alphasCumprod[499]!;
    const sd = Math.sqrt(((1 - ap) / (1 - a)) * (1 - a / ap));
    expect(one.prevSample[0]! - zero.prevSample[0]!).toBeCloseTo(sd, 6);
  });
});
