/**
 * The trainer worker and its TF.js backend, as the page sees them: the worker started (again after a crash or a
 * Reset that cut a cycle short), the backend chosen (`?backend=` or automatic, which starts at once: on the figures
 * measured earlier on this device, remembered per embedded model, or on a sensible guess), and which start of the
 * worker is the current one: events and answers of an older worker are dropped.
 *
 * The measurement runs in the background, in a second worker, only while no run is going (`measureSoon` when the
 * page is idle, `stopMeasuring` when a run starts: the probe worker is terminated and starts over later). A faster
 * backend it finds is offered (`offer`) for the next run, never switched to by itself.
 */
import { betterBackend, type BackendOffer, type Measurement } from '../../browser/backend-figures';
import { createTrainer, type BackendName, type InitResult, type TrainerClient, type TrainerEvent } from '../trainer-client';
import { forgetMeasurement, rememberedMeasurement, rememberMeasurement } from './backend-memory';
import { errorText } from './error-text';

export interface TrainerHandlers {
  /** The embedded model the backends are measured on (the configured task's). */
  model(): string;
  event(e: TrainerEvent): void;
  /** The worker stopped unexpectedly. */
  lost(text: string): void;
  /** No run is going: a measurement may start. */
  idle(): boolean;
}

/** How long the page must stay idle before the background measurement starts (a click on Run comes first). */
const MEASURE_DELAY_MS = 1500;

export class TrainerBackend {
  /** 'auto' = started at once on remembered figures or a sensible guess (backend.ts), measured in the background. */
  choice = $state<'auto' | BackendName>('auto');
  result = $state<InitResult | null>(null);
  error = $state<string | null>(null);
  busy = $state(true);
  /** The figures of the configured model on this device: remembered, or measured in the background. */
  measurement = $state<Measurement | null>(null);
  /** The background measurement is under way. */
  measuring = $state(false);
  measureError = $state<string | null>(null);

  #trainer: TrainerClient | null = null;
  #probe: TrainerClient | null = null;
  #probeTimer: ReturnType<typeof setTimeout> | null = null;
  /** The next measurement includes a software WebGPU adapter (the user asked: Measure every backend). */
  #includeSoftware = false;
  #generation = 0;

  constructor(search: string, private readonly handlers: TrainerHandlers) {
    const b = new URLSearchParams(search).get('backend');
    if (b === 'webgpu' || b === 'webgl' || b === 'wasm' || b === 'cpu') this.choice = b;
  }

  /** The current worker (null before the start and after terminate). */
  get trainer(): TrainerClient | null {
    return this.#trainer;
  }

  /** Which start of the worker is the current one: an answer from an older start is stale. */
  get generation(): number {
    return this.#generation;
  }

  /** Start the worker and its backend. */
  async start(): Promise<void> {
    this.busy = true;
    this.error = null;
    const gen = this.#generation;
    const trainer = createTrainer((m) => {
      if (gen === this.#generation) this.handlers.lost(`The trainer stopped unexpectedly (${m}).`);
    });
    this.#trainer = trainer;
    await trainer.subscribe((e) => {
      if (gen === this.#generation) this.handlers.event(e);
    });
    try {
      const r = await this.#init(trainer);
      if (gen === this.#generation) this.result = r;
    } catch (e) {
      if (gen === this.#generation) this.error = errorText(e);
    } finally {
      if (gen === this.#generation) this.busy = false;
    }
  }

  /** A faster measured backend than the one in use, for the next run. */
  get offer(): BackendOffer | null {
    const m = this.#current(this.measurement);
    return m && this.result ? betterBackend(m, this.result.backend) : null;
  }

  /** `m` when it is of this device and the configured model. */
  #current(m: Measurement | null): Measurement | null {
    const r = this.result;
    return m && r && m.deviceKey === r.device.key && m.model.startsWith(`${this.handlers.model()}:`) ? m : null;
  }

  /**
   * Measure the backends in a worker of their own once the page has stayed idle a moment, unless the figures of
   * this model are known (automatic choice only; `all` = every backend, a software adapter too, asked by the user).
   */
  measureSoon(all = false): void {
    if (all) {
      this.#includeSoftware = true;
      this.measurement = null;
    }
    if (this.#probe || this.#probeTimer || !this.result) return;
    if (!all && !this.#includeSoftware && (this.choice !== 'auto' || this.#current(this.measurement))) return;
    this.#probeTimer = setTimeout(() => {
      this.#probeTimer = null;
      if (this.handlers.idle() && !this.busy) void this.#measure();
    }, all ? 0 : MEASURE_DELAY_MS);
  }

  /** A run starts: the measurement stops (its worker terminated) and starts over when the page is idle again. */
  stopMeasuring(): void {
    if (this.#probeTimer) clearTimeout(this.#probeTimer);
    this.#probeTimer = null;
    this.#probe?.terminate();
    this.#probe = null;
    this.measuring = false;
  }

  async #measure(): Promise<void> {
    const model = this.handlers.model();
    const probe = createTrainer();
    this.#probe = probe;
    this.measuring = true;
    this.measureError = null;
    try {
      const m = await probe.measure(model, this.#includeSoftware);
      if (this.#probe !== probe) return; // stopped meanwhile
      this.#includeSoftware = false;
      rememberMeasurement(model, m);
      if (model === this.handlers.model()) this.measurement = m;
    } catch (e) {
      if (this.#probe === probe) this.measureError = errorText(e);
    } finally {
      if (this.#probe === probe) {
        probe.terminate();
        this.#probe = null;
        this.measuring = false;
      }
    }
  }

  /** Stop the worker; its events and answers from now on are dropped. */
  terminate(): void {
    this.#generation++;
    this.#trainer?.terminate();
    this.#trainer = null;
  }

  /** The page goes away: both workers stop. */
  dispose(): void {
    this.stopMeasuring();
    this.terminate();
  }

  /** Start the chosen backend in the running worker. */
  async choose(choice: 'auto' | BackendName): Promise<void> {
    this.choice = choice;
    this.busy = true;
    this.error = null;
    try {
      this.result = await this.#init(this.#trainer!);
    } catch (e) {
      this.error = errorText(e);
    } finally {
      this.busy = false;
    }
  }

  /** Forget the figures remembered for the configured model (the next automatic choice measures again). */
  forget(): void {
    forgetMeasurement(this.handlers.model());
    this.measurement = null;
  }

  /** Start the backend: the one chosen, or automatic with the figures remembered for this model (saved when new). */
  async #init(trainer: TrainerClient): Promise<InitResult> {
    const model = this.handlers.model();
    const remembered = rememberedMeasurement(model);
    const r = this.choice === 'auto' ? await trainer.init(undefined, model, remembered) : await trainer.init(this.choice, model);
    // an explicit choice is used as asked; figures measured earlier still offer a faster backend
    this.measurement = r.measurement ?? (remembered && remembered.deviceKey === r.device.key ? remembered : null);
    return r;
  }
}
