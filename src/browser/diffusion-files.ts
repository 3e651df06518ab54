/**
 * Loading the embedded denoiser of an image task in the browser: fetch models/<task>/model.json and weights.bin
 * relative to the page (the same checks as the language models: model-files.ts fetchTensorFile) and build the U-Net
 * (shapes) or the DiT (scenes) as src/node/diffusion-files.ts does from disk. Runs in the trainer worker (it creates TF.js variables).
 */
import { SceneDiT } from '../core/diffusion/dit/model';
import { unpackDiT, type DiTManifest } from '../core/diffusion/dit/weights-io';
import { UNet } from '../core/diffusion/unet';
import { unpackUNet, type UNetManifest } from '../core/diffusion/weights-io';
import { fetchTensorFile } from './model-files';

/** The denoiser, its manifest, and the fingerprint of its weights file (see core/store/base-model.ts weightsFingerprint). */
export async function loadEmbeddedUNetFromUrl(task: string, base: string | URL): Promise<{ model: UNet; manifest: UNetManifest; fingerprint: string }> {
  const { manifest, weights, fingerprint } = await fetchTensorFile<UNetManifest>(task, base, 'raftlab-unet/1', 'U-Net', unpackUNet);
  return { model: new UNet(manifest.config, weights), manifest, fingerprint };
}

/** The scenes task's DiT (src/core/diffusion/dit/), its manifest and the fingerprint of its weights file. */
export async function loadEmbeddedDiTFromUrl(task: string, base: string | URL): Promise<{ model: SceneDiT; manifest: DiTManifest; fingerprint: string }> {
  const { manifest, weights, fingerprint } = await fetchTensorFile<DiTManifest>(task, base, 'raftlab-dit/1', 'DiT', unpackDiT);
  return { model: new SceneDiT(manifest.config, weights), manifest, fingerprint };
}

/** An image task's embedded denoiser: the scenes DiT for task scenes, else the task's U-Net. */
export function loadEmbeddedDenoiserFromUrl(task: string, base: string | URL): Promise<{ model: UNet | SceneDiT; manifest: UNetManifest | DiTManifest; fingerprint: string }> {
  return task === 'scenes' ? loadEmbeddedDiTFromUrl(task, base) : loadEmbeddedUNetFromUrl(task, base);
}
