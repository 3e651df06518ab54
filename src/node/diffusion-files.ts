/** Reading and writing the embedded denoisers (the shapes U-Net, the scenes DiT) under public/models/<task>/ (model.json + weights.bin) from Node. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { encodePng } from '../core/diffusion/png';
import type { DiTConfig } from '../core/diffusion/dit/config';
import { SceneDiT } from '../core/diffusion/dit/model';
import { packDiT, unpackDiT, type DiTManifest } from '../core/diffusion/dit/weights-io';
import { UNet, type UNetConfig } from '../core/diffusion/unet';
import { packUNet, unpackUNet, type UNetManifest } from '../core/diffusion/weights-io';
import { modelDir } from './model-files';
import { weightsFingerprint } from '../core/store/base-model';

export async function loadEmbeddedUNet(task: string): Promise<{ model: UNet; manifest: UNetManifest; fingerprint: string }> {
  const dir = modelDir(task);
  let manifest: UNetManifest;
  let data: Buffer;
  try {
    manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as UNetManifest;
    data = readFileSync(join(dir, 'weights.bin'));
  } catch (e) {
    throw new Error(`no embedded model for task "${task}" in ${dir} (run: npm run pretrain -- --task ${task}): ${(e as Error).message}`);
  }
  return { model: new UNet(manifest.config, unpackUNet(manifest, data)), manifest, fingerprint: weightsFingerprint(data) };
}

export function saveEmbeddedUNet(
  task: string, config: UNetConfig, weights: ReadonlyMap<string, { shape: number[]; values: Float32Array }>, meta: UNetManifest['meta'],
): number {
  const dir = modelDir(task);
  mkdirSync(dir, { recursive: true });
  const { manifest, data } = packUNet(config, weights, meta);
  writeFileSync(join(dir, 'model.json'), JSON.stringify(manifest, null, 1) + '\n');
  writeFileSync(join(dir, 'weights.bin'), data);
  return data.byteLength;
}

/**
 * A DiT folder (model.json + weights.bin: the embedded model, a pre-training checkpoint): its manifest, the named
 * weights and the bytes' fingerprint. Throws with the folder named when a file is missing, unreadable or does not
 * match its manifest.
 */
export function readDiTFolder(dir: string): { manifest: DiTManifest; weights: Map<string, Float32Array>; fingerprint: string } {
  let manifest: DiTManifest;
  let data: Buffer;
  try {
    manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as DiTManifest;
    data = readFileSync(join(dir, 'weights.bin'));
  } catch (e) {
    throw new Error(`no DiT model in ${dir}: ${(e as Error).message}`);
  }
  try {
    return { manifest, weights: unpackDiT(manifest, data), fingerprint: weightsFingerprint(data) };
  } catch (e) {
    throw new Error(`a broken DiT model in ${dir}: ${(e as Error).message}`);
  }
}

export async function loadEmbeddedDiT(task: string): Promise<{ model: SceneDiT; manifest: DiTManifest; fingerprint: string }> {
  let folder: ReturnType<typeof readDiTFolder>;
  try {
    folder = readDiTFolder(modelDir(task));
  } catch (e) {
    throw new Error(`no embedded model for task "${task}" (run: node bin/run-ts.mjs scripts/pretrain-scenes.ts): ${(e as Error).message}`);
  }
  const { manifest, weights, fingerprint } = folder;
  return { model: new SceneDiT(manifest.config, weights), manifest, fingerprint };
}

/** An image task's embedded denoiser: the scenes DiT for task scenes, else the task's U-Net. */
export function loadEmbeddedDenoiser(task: string): Promise<{ model: UNet | SceneDiT; manifest: UNetManifest | DiTManifest; fingerprint: string }> {
  return task === 'scenes' ? loadEmbeddedDiT(task) : loadEmbeddedUNet(task);
}

/** Write the DiT's files into `dir` (default public/models/<task>/); returns the weights' bytes. */
export function saveEmbeddedDiT(
  task: string, config: DiTConfig, weights: ReadonlyMap<string, { shape: number[]; values: Float32Array }>, meta: DiTManifest['meta'], dir = modelDir(task),
): number {
  mkdirSync(dir, { recursive: true });
  const { manifest, data } = packDiT(config, weights, meta);
  writeFileSync(join(dir, 'model.json'), JSON.stringify(manifest, null, 1) + '\n');
  writeFileSync(join(dir, 'weights.bin'), data);
  return data.byteLength;
}

/** Write an RGB image (values in [0, 1]) as a zlib-compressed PNG. */
export function writePng(file: string, rgb: ArrayLike<number>, width: number, height: number): void {
  writeFileSync(file, encodePng(rgb, width, height, (raw) => new Uint8Array(deflateSync(raw))));
}
