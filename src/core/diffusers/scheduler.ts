/**
 * diffusers' DDIM and DDPM schedulers from a `scheduler_config.json`, free of TF.js: the beta schedules (`linear`,
 * `scaled_linear`, `squaredcos_cap_v2`, or `trained_betas`), `alphas_cumprod` in float32 as torch builds it,
 * `set_timesteps` with every `timestep_spacing`, and one `step` of each sampler (DDIM: any `eta`, every
 * `prediction_type`, `clip_sample`, `set_alpha_to_one`; DDPM: the `fixed_small` / `fixed_large` posterior
 * variance). A DDIM pipeline reads a DDPMScheduler config as diffusers' `DDIMScheduler.from_config` does: missing DDIM
 * keys take DDIM's defaults and DDPM-only keys are ignored (`variance_type` is read for the DDPM sampler: a value it does
 * not compute is refused, as every unknown value is, by name).
 * Arrays are flat Float32Arrays of any shape (the sampler works per element).
 */

export class SchedulerConfigError extends Error {}

export type PredictionType = 'epsilon' | 'v_prediction' | 'sample';
export type TimestepSpacing = 'leading' | 'linspace' | 'trailing';

export interface SchedulerConfig {
  /** The config's own class: DDIMScheduler or DDPMScheduler. */
  className: 'DDIMScheduler' | 'DDPMScheduler';
  numTrainTimesteps: number;
  betaStart: number;
  betaEnd: number;
  betaSchedule: 'linear' | 'scaled_linear' | 'squaredcos_cap_v2';
  trainedBetas: number[] | null;
  predictionType: PredictionType;
  clipSample: boolean;
  clipSampleRange: number;
  setAlphaToOne: boolean;
  stepsOffset: number;
  timestepSpacing: TimestepSpacing;
  /** DDPM only: the posterior variance. */
  varianceType: 'fixed_small' | 'fixed_large';
}

const f32 = Math.fround;

function oneOf<T extends string>(c: Record<string, unknown>, key: string, allowed: readonly T[], dflt: T): T {
  const v = c[key] ?? dflt;
  if (!allowed.includes(v as T)) throw new SchedulerConfigError(`scheduler_config.json: ${key} ${JSON.stringify(v)} is not supported (supported: ${allowed.join(', ')})`);
  return v as T;
}

function num(c: Record<string, unknown>, key: string, dflt: number, test: (v: number) => boolean, what: string): number {
  const v = c[key] ?? dflt;
  if (typeof v !== 'number' || !test(v)) throw new SchedulerConfigError(`scheduler_config.json: ${key} must be ${what} (got ${JSON.stringify(v)})`);
  return v;
}

/** A `scheduler_config.json` (DDIMScheduler or DDPMScheduler) as the lab reads it; anything else refused by name. */
export function schedulerConfigFromJson(raw: unknown): SchedulerConfig {
  const c = raw as Record<string, unknown> | null;
  if (!c || typeof c !== 'object' || Array.isArray(c)) throw new SchedulerConfigError('scheduler_config.json is not a JSON object');
  const className = c._class_name ?? 'DDIMScheduler';
  if (className !== 'DDIMScheduler' && className !== 'DDPMScheduler') {
    throw new SchedulerConfigError(`scheduler_config.json: _class_name ${JSON.stringify(String(className).slice(0, 40))} is not supported (supported: DDIMScheduler, DDPMScheduler)`);
  }
  if (c.thresholding === true) throw new SchedulerConfigError('scheduler_config.json: thresholding (dynamic thresholding) is not supported');
  if (c.rescale_betas_zero_snr === true) throw new SchedulerConfigError('scheduler_config.json: rescale_betas_zero_snr is not supported');
  const ddpm = className === 'DDPMScheduler';
  const trained = c.trained_betas;
  if (trained != null && (!Array.isArray(trained) || trained.some((b) => typeof b !== 'number' || !(b > 0 && b < 1)))) {
    throw new SchedulerConfigError('scheduler_config.json: trained_betas must be a list of numbers in (0, 1)');
  }
  const numTrainTimesteps = num(c, 'num_train_timesteps', 1000, (v) => Number.isSafeInteger(v) && v >= 2 && v <= 100_000, 'an integer from 2 to 100000');
  if (trained != null && trained.length !== numTrainTimesteps) throw new SchedulerConfigError(`scheduler_config.json: trained_betas has ${trained.length} values for ${numTrainTimesteps} timesteps`);
  return {
    className,
    numTrainTimesteps,
    betaStart: num(c, 'beta_start', 0.0001, (v) => v > 0 && v < 1, 'in (0, 1)'),
    betaEnd: num(c, 'beta_end', 0.02, (v) => v > 0 && v < 1, 'in (0, 1)'),
    betaSchedule: oneOf(c, 'beta_schedule', ['linear', 'scaled_linear', 'squaredcos_cap_v2'] as const, 'linear'),
    trainedBetas: (trained as number[] | null | undefined) ?? null,
    predictionType: oneOf(c, 'prediction_type', ['epsilon', 'v_prediction', 'sample'] as const, 'epsilon'),
    clipSample: c.clip_sample === undefined ? true : c.clip_sample === true,
    clipSampleRange: num(c, 'clip_sample_range', 1, (v) => v > 0, 'positive'),
    // a DDPM config has no set_alpha_to_one or steps_offset: the DDIM pipeline takes DDIM's defaults (true, 0)
    setAlphaToOne: c.set_alpha_to_one === undefined ? true : c.set_alpha_to_one === true,
    stepsOffset: num(c, 'steps_offset', 0, (v) => Number.isSafeInteger(v) && v >= 0, 'a non-negative integer'),
    timestepSpacing: oneOf(c, 'timestep_spacing', ['leading', 'linspace', 'trailing'] as const, 'leading'),
    varianceType: ddpm ? oneOf(c, 'variance_type', ['fixed_small', 'fixed_large'] as const, 'fixed_small') : 'fixed_small',
  };
}

/** torch.linspace(start, end, n) in float32 as its CPU kernel computes it: a float32 step, the first half counted
 * from the start and the second from the end. */
function linspace32(start: number, end: number, n: number): Float32Array {
  const s = f32(start);
  const e = f32(end);
  const step = f32(f32(e - s) / (n - 1));
  const half = Math.floor(n / 2);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = i < half ? s + f32(step * i) : e - f32(step * (n - 1 - i));
  return out;
}

/** The betas of the config, float32. */
export function betas(c: SchedulerConfig): Float32Array {
  const T = c.numTrainTimesteps;
  if (c.trainedBetas) return Float32Array.from(c.trainedBetas);
  if (c.betaSchedule === 'linear') return linspace32(c.betaStart, c.betaEnd, T);
  if (c.betaSchedule === 'scaled_linear') return linspace32(Math.sqrt(c.betaStart), Math.sqrt(c.betaEnd), T).map((b) => f32(b * b));
  // betas_for_alpha_bar (cosine), in float64, then float32
  const alphaBar = (t: number) => Math.cos(((t + 0.008) / 1.008) * Math.PI / 2) ** 2;
  const out = new Float32Array(T);
  for (let i = 0; i < T; i++) out[i] = Math.min(1 - alphaBar((i + 1) / T) / alphaBar(i / T), 0.999);
  return out;
}

/** cumprod(1 - betas) as torch computes it on the CPU: float32 factors, the running product in float64. */
export function alphasCumprod(c: SchedulerConfig): Float32Array {
  const b = betas(c);
  const out = new Float32Array(b.length);
  let p = 1;
  for (let i = 0; i < b.length; i++) out[i] = p *= f32(1 - b[i]!);
  return out;
}

/** set_timesteps(n): the timesteps a sampler of n steps visits, in order (integers). */
export function setTimesteps(c: SchedulerConfig, n: number): number[] {
  const T = c.numTrainTimesteps;
  if (!Number.isSafeInteger(n) || n < 1 || n > T) throw new SchedulerConfigError(`the number of inference steps must be an integer from 1 to ${T} (got ${n})`);
  if (c.timestepSpacing === 'leading') {
    const ratio = Math.floor(T / n);
    return Array.from({ length: n }, (_, i) => (n - 1 - i) * ratio + c.stepsOffset);
  }
  if (c.timestepSpacing === 'linspace') {
    // np.linspace(0, T - 1, n).round() (half to even), reversed
    return Array.from({ length: n }, (_, i) => roundHalfEven(n === 1 ? 0 : ((T - 1) * i) / (n - 1))).reverse();
  }
  // trailing: np.round(np.arange(T, 0, -T / n)) - 1
  const step = T / n;
  const out: number[] = [];
  for (let v = T; v > 0 && out.length < n; v -= step) out.push(roundHalfEven(v) - 1);
  return out;
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** A sampler over a config: its alphas and the steps. */
export class Scheduler {
  readonly alphasCumprod: Float32Array;
  readonly finalAlphaCumprod: number;
  #n = 0;
  #timesteps: number[] = [];

  constructor(readonly config: SchedulerConfig) {
    this.alphasCumprod = alphasCumprod(config);
    this.finalAlphaCumprod = config.setAlphaToOne ? 1 : this.alphasCumprod[0]!;
  }

  setTimesteps(n: number): number[] {
    this.#n = n;
    this.#timesteps = setTimesteps(this.config, n);
    return this.#timesteps;
  }

  get timesteps(): readonly number[] {
    return this.#timesteps;
  }

  /** The previous timestep diffusers' step uses: t - T // n (for every spacing). */
  prevTimestep(t: number): number {
    if (this.#n === 0) throw new Error('setTimesteps first');
    return t - Math.floor(this.config.numTrainTimesteps / this.#n);
  }

  /**
   * x̂0 and ε̂ of a model output at t, x̂0 clipped where the config clips. In float32, operation by operation, as torch
   * computes it (at t near T, x̂0 = (x - sqrt(1 - a) ε) / sqrt(a) multiplies rounding by 1 / sqrt(a) ~ 150).
   */
  #predict(modelOutput: Float32Array, t: number, x: Float32Array): { x0: Float32Array; eps: Float32Array } {
    const a = this.alphasCumprod[t]!;
    const sa = f32(Math.sqrt(a));
    const sb = f32(Math.sqrt(f32(1 - a)));
    const x0 = new Float32Array(x.length);
    const eps = new Float32Array(x.length);
    const type = this.config.predictionType;
    for (let i = 0; i < x.length; i++) {
      const m = modelOutput[i]!;
      const xi = x[i]!;
      if (type === 'epsilon') {
        x0[i] = f32(xi - f32(sb * m)) / sa;
        eps[i] = m;
      } else if (type === 'v_prediction') {
        x0[i] = f32(sa * xi) - f32(sb * m);
        eps[i] = f32(sa * m) + f32(sb * xi);
      } else {
        x0[i] = m;
        eps[i] = f32(xi - f32(sa * m)) / sb;
      }
    }
    if (this.config.clipSample) {
      const r = this.config.clipSampleRange;
      for (let i = 0; i < x0.length; i++) x0[i] = Math.min(r, Math.max(-r, x0[i]!));
    }
    return { x0, eps };
  }

  /**
   * One DDIM step from t: `x_prev = sqrt(a_prev) x̂0 + sqrt(1 - a_prev - s^2) ε̂ + s noise`, s = eta * sqrt((1 - a_prev) /
   * (1 - a_t) (1 - a_t / a_prev)); `noise` (same length) is needed when eta > 0. Float32 as torch computes it.
   */
  ddimStep(modelOutput: Float32Array, t: number, x: Float32Array, eta = 0, noise?: Float32Array): { prevSample: Float32Array; predOriginalSample: Float32Array } {
    const prev = this.prevTimestep(t);
    const a = this.alphasCumprod[t]!;
    const aPrev = prev >= 0 ? this.alphasCumprod[prev]! : this.finalAlphaCumprod;
    const { x0, eps } = this.#predict(modelOutput, t, x);
    const variance = f32(f32(f32(1 - aPrev) / f32(1 - a)) * f32(1 - f32(a / aPrev)));
    const sigma = f32(eta * f32(Math.sqrt(variance)));
    if (eta > 0 && (!noise || noise.length !== x.length)) throw new Error('a DDIM step with eta > 0 needs noise of the sample\'s size');
    const dir = f32(Math.sqrt(Math.max(0, f32(f32(1 - aPrev) - f32(sigma * sigma)))));
    const sp = f32(Math.sqrt(aPrev));
    const out = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const v = f32(f32(sp * x0[i]!) + f32(dir * eps[i]!));
      out[i] = eta > 0 ? v + f32(sigma * noise![i]!) : v;
    }
    return { prevSample: out, predOriginalSample: x0 };
  }

  /**
   * One DDPM (ancestral) step from t to the previous timestep: the posterior mean of x̂0 and x, plus noise times the
   * posterior standard deviation (fixed_small: beta~; fixed_large: beta). `noise` is needed unless t is the last.
   */
  ddpmStep(modelOutput: Float32Array, t: number, x: Float32Array, noise?: Float32Array): { prevSample: Float32Array; predOriginalSample: Float32Array } {
    // DDPMScheduler steps to the next timestep of its list (-1 after the last), whatever the spacing
    const at = this.#timesteps.indexOf(t);
    const prev = at < 0 ? this.prevTimestep(t) : at + 1 < this.#timesteps.length ? this.#timesteps[at + 1]! : -1;
    const a = this.alphasCumprod[t]!;
    const aPrev = prev >= 0 ? this.alphasCumprod[prev]! : 1;
    const beta = 1 - a / aPrev;
    const { x0 } = this.#predict(modelOutput, t, x);
    const cx0 = (Math.sqrt(aPrev) * beta) / (1 - a);
    const cx = (Math.sqrt(1 - beta) * (1 - aPrev)) / (1 - a);
    const variance = this.config.varianceType === 'fixed_large' ? beta : Math.max(((1 - aPrev) / (1 - a)) * beta, 1e-20);
    const sd = t > 0 ? Math.sqrt(variance) : 0;
    if (sd > 0 && (!noise || noise.length !== x.length)) throw new Error('a DDPM step needs noise of the sample\'s size');
    const out = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = cx0 * x0[i]! + cx * x[i]! + (sd > 0 ? sd * noise![i]! : 0);
    return { prevSample: out, predOriginalSample: x0 };
  }
}
