/**
 * The Hub tools that use the trainer's model: the trained model's download (a zip: its LoRA adapter in PEFT's format,
 * or the merged model) and the conformance probe (a text or token ids scored with the Model setting's Hub model).
 */
import type { RunConfig } from '../../core/config/schema';
import { download } from '../export';
import type { TrainerClient } from '../trainer-client';
import { errorText } from './error-text';
import type { HubModels } from './hub-models.svelte';

export interface ModelToolsHost {
  readonly trainer: TrainerClient | null;
  /** A command is in progress (the model is in use). */
  readonly busy: boolean;
  readonly config: RunConfig;
}

export class ModelTools {
  /** A model download being made, or why it failed. */
  download = $state<{ busy: boolean; error: string | null }>({ busy: false, error: null });

  constructor(private readonly host: ModelToolsHost, private readonly hub: HubModels) {}

  /** Download the run's trained model (a zip): its LoRA adapter in PEFT's format, or the merged model. */
  async downloadModel(kind: 'adapter' | 'merged'): Promise<void> {
    const trainer = this.host.trainer;
    if (!trainer || this.host.busy || this.download.busy) return;
    this.download = { busy: true, error: null };
    try {
      const { name, zip } = await trainer.exportModel(kind);
      download(name, zip, 'application/zip');
      this.download = { busy: false, error: null };
    } catch (e) {
      this.download = { busy: false, error: errorText(e) };
    }
  }

  /**
   * Score a text (or token ids, "ids: 1,2,3") with the Model setting's Hub model in the worker: the conformance
   * probe. Not while a run is in memory (its model holds the worker's memory).
   */
  async scoreModel(input: string): Promise<void> {
    const trainer = this.host.trainer;
    if (!trainer || this.host.busy) return;
    const m = /^\s*ids:\s*(.*)$/s.exec(input);
    const ids = m ? m[1]!.split(',').map((x) => Number(x.trim())) : undefined;
    if (ids && !ids.every((x) => Number.isSafeInteger(x) && x >= 0)) {
      this.hub.score = { error: 'ids: must be followed by non-negative integers separated by commas' };
      return;
    }
    this.hub.startLoading();
    this.hub.score = { running: true };
    try {
      const r = await trainer.score(this.host.config.model, ids ? { ids } : { text: input }, this.hub.snapshot());
      this.hub.score = { result: r };
    } catch (e) {
      this.hub.score = { error: errorText(e) };
    }
    void this.hub.refresh();
  }
}
