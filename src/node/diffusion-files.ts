/** Reading and writing the embedded denoiser under public/models/<task>/ (model.json + weights.bin) from Node. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { encodePng } from '../core/diffusion/png';
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

/** Write an RGB image (values in [0, 1]) as a zlib-compressed PNG. */
export function writePng(file: string, rgb: ArrayLike<number>, width: number, height: number): void {
  writeFileSync(file, encodePng(rgb, width, height, (raw) => new Uint8Array(deflateSync(raw))));
}
