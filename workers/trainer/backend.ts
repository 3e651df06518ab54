/**
 * The TF.js backend of the trainer worker. A backend asked for by name (the page's select or `?backend=`) is used when
 * it starts (else the next in BACKENDS order, with the reason). "Automatic" starts at once on a sensible choice and
 * times nothing: the figures remembered for this device and model when there are some, else WebGPU on a hardware
 * adapter and WASM when the only WebGPU adapter is a software or fallback one (SwiftShader, llvmpipe, WARP), then
 * WebGL, WASM, CPU as they start. The measurement is separate (`measureBackends`): the page runs it in a second
 * worker while no run is going, times a short forward and backward pass of the run's actual model on each backend
 * (core/step-probe.ts) - never on a software adapter unless the user asked for it - and offers a faster backend for
 * the next run. WASM runs threaded when the page is cross-origin isolated (threads need SharedArrayBuffer), with as
 * many threads as TF.js allows (half the logical cores, 1 to 8); the thread count is reported.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { isImageTaskName } from '../../src/core/config/schema';
import { Gpt } from '../../src/core/models/gpt2/model';
import { unpackWeights, type ModelManifest } from '../../src/core/lm/weights-io';
import { UNet } from '../../src/core/diffusion/unet';
import { unpackUNet, type UNetManifest } from '../../src/core/diffusion/weights-io';
import { SHAPES_RAFT } from '../../src/core/diffusion/shapes-recipe';
import { fetchTensorFile } from '../../src/browser/model-files';
import { probeGpt, probeUNet, type StepProbe } from '../../src/core/step-probe';
import { message } from './events';
import { BACKENDS, type BackendFigure, type BackendName, type DeviceInfo, type Measurement } from '../../src/browser/backend-figures';

export type { BackendFigure, BackendName, DeviceInfo, Measurement };

/** The backends automatic measures, in this order (CPU is the last resort: always far slower). */
const MEASURED: readonly BackendName[] = ['wasm', 'webgpu', 'webgl'];
/** A backend whose warm-up step takes this many times the fastest step so far (and over 2 s) is not timed further. */
const GIVE_UP_FACTOR = 20;

export interface InitOptions {
  /** A backend by name; undefined = automatic (measured). */
  preferred?: BackendName;
  /** The page's base URL (models/<task>/ is fetched against it). */
  page: string;
  /** The task whose model is measured. */
  task: string;
  /** The page's remembered measurement for this device and task, if any. */
  remembered?: Measurement | null;
}

export interface InitResult {
  backend: BackendName;
  /** The backend asked for (undefined = automatic choice). */
  requested?: BackendName;
  /** Why a backend earlier in the order (or the requested one) was not used. */
  fellBackBecause?: string;
  device: DeviceInfo;
  /** Automatic: the figures the choice was made on (measured now, or remembered). */
  measurement?: Measurement;
  remembered?: boolean;
  /** XNNPACK threads of the WASM backend, once it has started (1 without cross-origin isolation). */
  wasmThreads: number | null;
}

let device: DeviceInfo | null = null;

/** Adapter, cores and isolation of this browser (asked once). */
export async function deviceInfo(): Promise<DeviceInfo> {
  if (device) return device;
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<GpuAdapterLike | null> } }).gpu;
  let adapter: string | null = null;
  let softwareAdapter = false;
  try {
    const a = await gpu?.requestAdapter();
    if (a) {
      const info = a.info ?? {};
      adapter = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unknown adapter';
      softwareAdapter = Boolean(info.isFallbackAdapter ?? a.isFallbackAdapter) || /swiftshader|llvmpipe|lavapipe|softpipe|software|basic render|warp/i.test(adapter);
    }
  } catch {
    adapter = null;
  }
  const cores = navigator.hardwareConcurrency || 1;
  const isolated = Boolean((self as { crossOriginIsolated?: boolean }).crossOriginIsolated);
  device = { key: `${adapter ?? 'no-webgpu'}|cores=${cores}|coi=${isolated}|${navigator.userAgent}`, adapter, softwareAdapter, cores, crossOriginIsolated: isolated };
  return device;
}

interface GpuAdapterLike {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
}

/** Start one backend; null when it runs, else why not. */
export async function tryBackend(name: BackendName): Promise<string | null> {
  if (name === 'webgpu') {
    const d = await deviceInfo();
    if (!('gpu' in navigator)) return 'WebGPU is not available in this browser (navigator.gpu is missing)';
    if (!d.adapter) return 'WebGPU gave no adapter (no usable GPU, or WebGPU is disabled)';
  }
  if (name === 'wasm') {
    setWasmPaths({
      'tfjs-backend-wasm.wasm': new URL(wasmUrl, self.location.href).href,
      'tfjs-backend-wasm-simd.wasm': new URL(wasmSimdUrl, self.location.href).href,
      'tfjs-backend-wasm-threaded-simd.wasm': new URL(wasmThreadedSimdUrl, self.location.href).href,
    });
    // threads need SharedArrayBuffer, i.e. a cross-origin isolated page; ask for every logical core (TF.js itself
    // caps XNNPACK at half of them, 1 to 8: it assumes two hardware threads per core)
    if ((await deviceInfo()).crossOriginIsolated) setThreadsCount(Math.max(1, navigator.hardwareConcurrency || 1));
  }
  try {
    const ok = await tf.setBackend(name);
    if (!ok) return `the ${name} backend failed to initialise`;
    await tf.ready();
    return tf.getBackend() === name ? null : `TF.js switched to ${tf.getBackend()} instead of ${name}`;
  } catch (e) {
    return `the ${name} backend failed: ${message(e)}`;
  }
}

/** XNNPACK threads of the WASM backend; null before it has started. */
function wasmThreads(): number | null {
  try {
    return getThreadsCount();
  } catch {
    return null;
  }
}

/** The order automatic tries without remembered figures: WebGPU first only on a hardware adapter. */
export function sensibleOrder(dev: Pick<DeviceInfo, 'adapter' | 'softwareAdapter'>): BackendName[] {
  return dev.adapter && !dev.softwareAdapter ? ['webgpu', 'wasm', 'webgl', 'cpu'] : ['wasm', 'webgl', 'webgpu', 'cpu'];
}

/** Pick and start the backend (see the file comment). Throws when none starts. */
export async function initBackend(opts: InitOptions): Promise<InitResult> {
  const dev = await deviceInfo();
  const reasons: string[] = [];
  const done = (backend: BackendName, extra: Partial<InitResult> = {}): InitResult => {
    const r: InitResult = { backend, device: dev, wasmThreads: wasmThreads(), ...extra };
    if (reasons.length) r.fellBackBecause = reasons.join('; ');
    return r;
  };
  const r = opts.remembered;
  // remembered figures name the model by its weights' fingerprint: trusted only for this device and these weights
  if (!opts.preferred && r && r.deviceKey === dev.key) {
    try {
      if ((await modelKey(opts.task, opts.page)) === r.model && (await tryBackend(r.best)) === null) return done(r.best, { measurement: r, remembered: true });
    } catch {
      // the model did not load: the sensible order below, and the run will say why
    }
  }
  const order = opts.preferred ? [opts.preferred, ...BACKENDS.filter((b) => b !== opts.preferred)] : sensibleOrder(dev);
  // automatic would start on WebGPU with a hardware adapter: without any adapter, say why not (nothing is started)
  if (!opts.preferred && !dev.adapter) reasons.push((await tryBackend('webgpu')) ?? 'WebGPU gave no adapter');
  for (const name of order) {
    const reason = await tryBackend(name);
    if (reason === null) return done(name, opts.preferred ? { requested: opts.preferred } : {});
    reasons.push(reason);
  }
  throw new Error(`no TF.js backend could be started: ${reasons.join('; ')}`);
}

export interface MeasureOptions {
  page: string;
  task: string;
  /** Time WebGPU on a software or fallback adapter too (the user asked for it): otherwise it is left out. */
  includeSoftware?: boolean;
}

/**
 * Time one training step of the task's model on every backend that starts (WASM, WebGL, WebGPU; CPU only when none
 * does) and name the fastest. Run in a worker of its own (the page's background measurement): it switches TF.js's
 * backend as it goes.
 */
export async function measureBackends(opts: MeasureOptions): Promise<Measurement> {
  const dev = await deviceInfo();
  const probe = await modelProbe(opts.task, opts.page);
  const figures: BackendFigure[] = [];
  for (const name of MEASURED) {
    if (name === 'webgpu' && dev.softwareAdapter && !opts.includeSoftware) continue;
    if ((await tryBackend(name)) !== null) continue;
    const best = Math.min(...figures.map((f) => f.msPerStep ?? Infinity));
    try {
      const p = await probe.run(Math.max(2000, best * GIVE_UP_FACTOR));
      figures.push({ backend: name, msPerStep: p.msPerStep, loss: p.loss, outputs: p.outputs, ...(p.warmupOnly ? { warmupOnly: true } : {}) });
    } catch (e) {
      figures.push({ backend: name, msPerStep: null, error: message(e) });
    }
  }
  if (figures.length === 0 && (await tryBackend('cpu')) === null) figures.push({ backend: 'cpu', ...(await probe.run(Infinity).then((p) => ({ msPerStep: p.msPerStep, loss: p.loss, outputs: p.outputs })).catch((e: unknown) => ({ msPerStep: null, error: message(e) }))) });
  const ranked = figures.filter((f) => f.msPerStep !== null).sort((a, b) => a.msPerStep! - b.msPerStep!);
  const best = ranked[0]?.backend;
  if (!best) throw new Error(`no backend could be measured: ${figures.map((f) => `${f.backend}: ${f.error}`).join('; ') || 'none started'}`);
  return { deviceKey: dev.key, model: probe.model, figures, best, measuredAt: Date.now() };
}

/** What identifies the task's model in a measurement: the task and its weights' fingerprint. */
async function modelKey(task: string, page: string): Promise<string> {
  return (await modelProbe(task, page)).model;
}

/** The probe of a task's model on the current backend (built from weights fetched once), and what identifies it. */
async function modelProbe(task: string, page: string): Promise<{ model: string; run: (maxFirstStepMs: number) => Promise<StepProbe & { warmupOnly?: boolean }> }> {
  if (isImageTaskName(task)) {
    const f = await fetchTensorFile<UNetManifest>(task, page, 'raftlab-unet/1', 'U-Net', unpackUNet);
    return {
      model: `${task}:${f.fingerprint}`,
      run: async (maxFirstStepMs) => {
        const m = new UNet(f.manifest.config, f.weights);
        m.attachLora({ rank: SHAPES_RAFT.loraRank, alpha: 16 }, 1);
        try {
          return await probeUNet(m, { maxFirstStepMs });
        } finally {
          m.detachLora();
          m.dispose();
        }
      },
    };
  }
  const f = await fetchTensorFile<ModelManifest>(task, page, 'raftlab-gpt/1', 'model', unpackWeights);
  return {
    model: `${task}:${f.fingerprint}`,
    run: async (maxFirstStepMs) => {
      const m = new Gpt(f.manifest.config, f.weights);
      try {
        return await probeGpt(m, { maxFirstStepMs });
      } finally {
        m.dispose();
      }
    },
  };
}
