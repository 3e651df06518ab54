/**
 * What the page knows about Hub models: this machine's settings (the endpoint models come from, an optional memory
 * budget; kept in localStorage, never in a run or a link), the download in progress (bytes per file, from the
 * worker), the memory estimate of the run being loaded, and the models in the browser's cache (listed and deleted
 * here; the Cache API is the page's as much as the worker's).
 */
import type { MemoryEstimate } from '../../core/hub/memory-fit';
import { DEFAULT_HF_ENDPOINT } from '../../core/hub/source';
import { deleteCachedModel, listCachedModels, type CachedModel } from '../../browser/hub-cache';
import type { MachineSettings, ScoreOutput } from '../trainer-client';

const KEY = 'raftlab:machine-settings';

function loadSettings(): MachineSettings {
  try {
    const raw = JSON.parse(localStorage.getItem(KEY) ?? '{}') as MachineSettings;
    const out: MachineSettings = {};
    if (typeof raw.hfEndpoint === 'string' && /^https?:\/\/\S+$/.test(raw.hfEndpoint)) out.hfEndpoint = raw.hfEndpoint;
    if (typeof raw.memoryBudgetMiB === 'number' && raw.memoryBudgetMiB > 0) out.memoryBudgetMiB = raw.memoryBudgetMiB;
    return out;
  } catch {
    return {};
  }
}

export interface FileDownload {
  file: string;
  loaded: number;
  total: number | null;
  fromCache: boolean;
}

export class HubModels {
  settings = $state<MachineSettings>(loadSettings());
  /** Files of the model being loaded, in order. */
  files = $state<FileDownload[]>([]);
  estimate = $state<{ model: string; estimate: MemoryEstimate } | null>(null);
  cached = $state<CachedModel[]>([]);
  message = $state<string | null>(null);
  /** The last score (the conformance probe) of the Model setting's model. */
  score = $state<{ running?: boolean; error?: string; result?: ScoreOutput } | null>(null);

  readonly loadedBytes = $derived(this.files.reduce((n, f) => n + f.loaded, 0));
  readonly totalBytes = $derived(this.files.every((f) => f.total !== null) ? this.files.reduce((n, f) => n + (f.total ?? 0), 0) : null);
  readonly endpoint = $derived(this.settings.hfEndpoint ?? DEFAULT_HF_ENDPOINT);

  /** Set the endpoint (empty = the Hub) and budget; a bad value is refused with a message. */
  save(endpoint: string, budgetMiB: string): void {
    const next: MachineSettings = {};
    const e = endpoint.trim();
    if (e !== '' && e !== DEFAULT_HF_ENDPOINT) {
      if (!/^https?:\/\/\S+$/.test(e)) {
        this.message = `The endpoint must be an http(s) URL (got ${JSON.stringify(e.slice(0, 60))}).`;
        return;
      }
      next.hfEndpoint = e;
    }
    const b = budgetMiB.trim();
    if (b !== '') {
      const n = Number(b);
      if (!Number.isFinite(n) || n <= 0) {
        this.message = `The memory budget must be a positive number of MiB (got ${JSON.stringify(b.slice(0, 20))}).`;
        return;
      }
      next.memoryBudgetMiB = n;
    }
    this.settings = next;
    this.message = null;
    try {
      localStorage.setItem(KEY, JSON.stringify(next));
    } catch {
      this.message = 'These settings could not be stored in this browser; they hold until the page closes.';
    }
  }

  /** A worker event about a download or an estimate. */
  onDownload(f: FileDownload): void {
    const i = this.files.findIndex((x) => x.file === f.file);
    if (i < 0) this.files = [...this.files, f];
    else this.files[i] = f;
  }

  startLoading(): void {
    this.files = [];
    this.estimate = null;
  }

  async refresh(): Promise<void> {
    try {
      this.cached = await listCachedModels();
    } catch {
      this.cached = [];
    }
  }

  async remove(model: string): Promise<void> {
    await deleteCachedModel(model);
    await this.refresh();
  }

  /** Plain settings for the worker (a reactive proxy cannot be structured-cloned). */
  snapshot(): MachineSettings {
    return { ...this.settings };
  }
}
