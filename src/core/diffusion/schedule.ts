/**
 * DDPM noise schedules: linear betas over T steps (Ho et al. 2020) or the cosine schedule (Nichol & Dhariwal 2021,
 * better for small images: less of it is spent on near-pure noise), and what training and sampling need from them:
 * alphaBar(t) = prod_{s<=t} (1 - beta_s), x_t = sqrt(alphaBar) x_0 + sqrt(1 - alphaBar) eps.
 * Timesteps are 0-based: t = 0 is the least noisy step, t = T-1 the noisiest.
 */
export interface NoiseSchedule {
  readonly steps: number;
  readonly alphaBar: Float64Array;
}

export function linearSchedule(steps = 1000, betaStart = 1e-4, betaEnd = 0.02): NoiseSchedule {
  const alphaBar = new Float64Array(steps);
  let prod = 1;
  for (let t = 0; t < steps; t++) {
    const beta = betaStart + ((betaEnd - betaStart) * t) / Math.max(1, steps - 1);
    prod *= 1 - beta;
    alphaBar[t] = prod;
  }
  return { steps, alphaBar };
}

/** Cosine schedule: alphaBar(t) = f(t) / f(0), f(t) = cos^2(((t + 1) / T + s) / (1 + s) * pi / 2), betas <= 0.999. */
export function cosineSchedule(steps = 1000, s = 0.008): NoiseSchedule {
  const f = (t: number) => Math.cos(((t / steps + s) / (1 + s)) * (Math.PI / 2)) ** 2;
  const alphaBar = new Float64Array(steps);
  let prev = 1;
  for (let t = 0; t < steps; t++) {
    const beta = Math.min(0.999, 1 - f(t + 1) / f(t));
    prev *= 1 - beta;
    alphaBar[t] = prev;
  }
  return { steps, alphaBar };
}

/** The DDIM timesteps, noisiest first: `n` evenly spaced steps of the schedule ending at 0. */
export function ddimTimesteps(schedule: NoiseSchedule, n: number): number[] {
  const stride = schedule.steps / n;
  const out: number[] = [];
  for (let i = n - 1; i >= 0; i--) out.push(Math.round(i * stride + stride - 1));
  return out;
}

/** Sinusoidal features of timesteps (transformer-style), `dim` even: [sin(t w_k), cos(t w_k)]. Row-major (n, dim). */
export function timestepFeatures(ts: readonly number[], dim: number): Float32Array {
  const half = dim / 2;
  const out = new Float32Array(ts.length * dim);
  ts.forEach((t, i) => {
    for (let k = 0; k < half; k++) {
      const w = Math.exp((-Math.log(10000) * k) / half);
      out[i * dim + k] = Math.sin(t * w);
      out[i * dim + half + k] = Math.cos(t * w);
    }
  });
  return out;
}
