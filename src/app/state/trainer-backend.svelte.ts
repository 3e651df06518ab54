/**
 * The trainer worker and its TF.js backend, as the page sees them: the worker started (again after a crash or a
 * Reset that cut a cycle short), the backend chosen (`?backend=` or automatic, with the figures measured earlier on
 * this device remembered per embedded model), and which start of the worker is the current one: events and answers
 * of an older worker are dropped.
 */
import { createTrainer, type BackendName, type InitResult, type TrainerClient, type TrainerEvent } from '../trainer-client';
import { forgetMeasurement, rememberedMeasurement, rememberMeasurement } from './backend-memory';
import { errorText } from './error-text';

export interface TrainerHandlers {
  /** The embedded model the backends are measured on (the configured task's). */
  model(): string;
  event(e: TrainerEvent): void;
  /** The worker stopped unexpectedly. */
  lost(text: string): void;
}

export class TrainerBackend {
  /** 'auto' = WebGPU, else WebGL, WASM, CPU. */
  choice = $state<'auto' | BackendName>('auto');
  result = $state<InitResult | null>(null);
  error = $state<string | null>(null);
  busy = $state(true);

  #trainer: TrainerClient | null = null;
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

  /** Stop the worker; its events and answers from now on are dropped. */
  terminate(): void {
    this.#generation++;
    this.#trainer?.terminate();
    this.#trainer = null;
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
  }

  /** Start the backend: the one chosen, or automatic with the figures remembered for this model (saved when new). */
  async #init(trainer: TrainerClient): Promise<InitResult> {
    const model = this.handlers.model();
    const r = this.choice === 'auto' ? await trainer.init(undefined, model, rememberedMeasurement(model)) : await trainer.init(this.choice, model);
    if (r.measurement && !r.remembered) rememberMeasurement(model, r.measurement);
    return r;
  }
}
