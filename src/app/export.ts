/**
 * Run exports: the whole run as one JSON document (config, backend, per-cycle stats, kept samples) and the kept
 * samples as JSONL, one `{"prompt", "completion", "reward"}` object per line (ready for supervised fine-tuning).
 */
import type { RunConfig } from '../core/config/schema';
import { encodeConfigHash } from '../core/config/url';
import type { SampleRecord } from '../core/raft/types';
import type { CycleStats } from '../core/raft/stats';
import type { ImageCycleStats } from '../core/diffusion/stats';

/** A cycle's stats: a language task's, or an image task's (heldOutLoss and evalDiversity instead of perplexity ...). */
export type AnyCycleStats = CycleStats | ImageCycleStats;

export function isImageStats(s: AnyCycleStats): s is ImageCycleStats {
  return 'heldOutLoss' in s;
}

export interface CycleRecord {
  stats: AnyCycleStats;
  /** Training samples (all K per prompt, `kept` marks the selection; image tasks: ImageSampleRecord); empty for cycle 0. */
  samples: SampleRecord[];
  /** Held-out evaluation samples (the same prompts every cycle). */
  evalSamples: SampleRecord[];
}

export interface RunExport {
  format: 'raftlab-run/1';
  exportedAt: string;
  config: RunConfig;
  url: string;
  backend: string | null;
  cycles: AnyCycleStats[];
  kept: Array<{ cycle: number; prompt: string; completion: string; reward: number; breakdown?: SampleRecord['breakdown'] }>;
}

export function runExport(config: RunConfig, backend: string | null, cycles: readonly CycleRecord[], now = new Date()): RunExport {
  return {
    format: 'raftlab-run/1',
    exportedAt: now.toISOString(),
    config: { ...config },
    url: `#${encodeConfigHash(config)}`,
    backend,
    cycles: cycles.map((c) => c.stats),
    kept: cycles.flatMap((c) =>
      c.samples.filter((s) => s.kept).map((s) => ({ cycle: c.stats.cycle, prompt: s.prompt, completion: s.completion, reward: s.reward, breakdown: s.breakdown })),
    ),
  };
}

/** One JSON object per kept sample and line, in cycle order. */
export function keptJsonl(cycles: readonly CycleRecord[]): string {
  return cycles
    .flatMap((c) => c.samples.filter((s) => s.kept))
    .map((s) => JSON.stringify({ prompt: s.prompt, completion: s.completion, reward: s.reward }))
    .map((line) => `${line}\n`)
    .join('');
}

/** Offer `text` (or bytes) as a file download (UI thread only). */
export function download(filename: string, text: string | Uint8Array, type: string): void {
  const url = URL.createObjectURL(new Blob([text as BlobPart], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
