/**
 * The figures of the trainer worker's automatic backend choice (workers/trainer/backend.ts), as the page shows and
 * remembers them. Plain data and text: no TF.js here, so the page can import it.
 */

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
/** Every TF.js backend, in the order of fallbacks when a named one does not start (and of the page's select). */
export const BACKENDS: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/** The machine as far as the choice depends on it; `key` names it for remembering a measurement. */
export interface DeviceInfo {
  key: string;
  /** The WebGPU adapter (vendor, architecture, description), null without one. */
  adapter: string | null;
  /** A software or fallback adapter: WebGPU runs on the CPU. */
  softwareAdapter: boolean;
  cores: number;
  crossOriginIsolated: boolean;
}

export interface BackendFigure {
  backend: BackendName;
  /** Milliseconds per forward + backward step; null when the backend failed. */
  msPerStep: number | null;
  /** Only the warm-up step was timed (it was already far slower than the best). */
  warmupOnly?: boolean;
  /** Loss and first outputs of the probe's seeded batch: equal across backends up to float error. */
  loss?: number;
  outputs?: number[];
  error?: string;
}

/** A measurement, as the page remembers it (localStorage) and hands back on the next load. */
export interface Measurement {
  deviceKey: string;
  /** The model measured: task and weights fingerprint. */
  model: string;
  figures: BackendFigure[];
  best: BackendName;
  measuredAt: number;
}

/** "wasm (2 threads) 0.9 s/step; webgpu, software adapter (SwiftShader ...) 9.8 s/step". */
export function describeFigures(m: Measurement, dev: DeviceInfo, threads: number | null): string {
  return m.figures
    .map((f) => {
      const name = f.backend === 'webgpu' && dev.adapter
        ? `webgpu, ${dev.softwareAdapter ? 'software adapter' : 'adapter'} (${dev.adapter})`
        : f.backend === 'wasm' && threads !== null ? `wasm (${threads} thread${threads === 1 ? '' : 's'})` : f.backend;
      if (f.msPerStep === null) return `${name} failed: ${f.error}`;
      return `${name} ${f.warmupOnly ? '>= ' : ''}${(f.msPerStep / 1000).toFixed(f.msPerStep < 100 ? 3 : 2)} s/step`;
    })
    .join('; ');
}

/** A measured backend faster than the one in use: offered for the next run, never switched to under a run. */
export interface BackendOffer {
  backend: BackendName;
  /** How many times faster than the current backend; null when the current one was not timed (a software adapter). */
  factor: number | null;
}

/** Below this speed-up a switch is not worth offering (timings of a busy machine vary by that much). */
const OFFER_FACTOR = 1.25;

/** The offer `m` makes to a page running on `current` (null: keep it). */
export function betterBackend(m: Measurement, current: BackendName): BackendOffer | null {
  const ms = (b: BackendName) => m.figures.find((f) => f.backend === b)?.msPerStep ?? null;
  const best = ms(m.best);
  if (m.best === current || best === null) return null;
  const now = ms(current);
  if (now === null) return { backend: m.best, factor: null };
  const factor = now / best;
  return factor >= OFFER_FACTOR ? { backend: m.best, factor } : null;
}
