/**
 * An image run's eval images as files, one folder per cycle (`--images DIR`): DIR/eval-cycle-N/ (cycle 0 = the base
 * model) holds each eval image as its own PNG at the size it was drawn, `p<prompt>-<k>.png` (the k-th fixed seed of
 * eval prompt <prompt>), and index.jsonl, one line per image: {"file", "prompt", "seed", "reward", "breakdown"}
 * (`file` relative to the folder, `reward` the run's reward of the image), so anyone can score them their own way.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageSample } from '../core/diffusion/engine';
import { writePng } from './diffusion-files';

/** Writes a cycle's eval images and their index; returns the folder. */
export function writeEvalImages(dir: string, cycle: number, samples: readonly ImageSample[]): string {
  const folder = join(dir, `eval-cycle-${cycle}`);
  mkdirSync(folder, { recursive: true });
  const seen = new Map<number, number>();
  const lines = samples.map((s) => {
    const k = seen.get(s.promptIndex) ?? 0;
    seen.set(s.promptIndex, k + 1);
    const file = `p${s.promptIndex}-${k}.png`;
    const side = Math.round(Math.sqrt(s.pixels.length / 3));
    writePng(join(folder, file), s.pixels, side, side);
    return JSON.stringify({ file, prompt: s.prompt, seed: s.seed, reward: s.reward, breakdown: s.breakdown ?? {} });
  });
  writeFileSync(join(folder, 'index.jsonl'), lines.map((l) => `${l}\n`).join(''));
  return folder;
}
