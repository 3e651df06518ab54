/**
 * Loading the embedded denoiser of an image task in the browser: fetch models/<task>/model.json and weights.bin
 * relative to the page and build the U-Net exactly as src/node/diffusion-files.ts does from disk (same core helper:
 * unpackUNet). Runs in the trainer worker (it creates TF.js variables).
 */
import { UNet } from '../core/diffusion/unet';
import { unpackUNet, type UNetManifest } from '../core/diffusion/weights-io';
import { modelFileUrl } from './model-files';

async function fetchOk(url: URL, what: string): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new Error(`could not fetch the ${what} ${url.href}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!res.ok) throw new Error(`could not fetch the ${what} ${url.href}: HTTP ${res.status} ${res.statusText}`.trim());
  return res;
}

export async function loadEmbeddedUNetFromUrl(task: string, base: string | URL): Promise<{ model: UNet; manifest: UNetManifest }> {
  const manifestUrl = modelFileUrl(task, 'model.json', base);
  const weightsUrl = modelFileUrl(task, 'weights.bin', base);
  const [text, data] = await Promise.all([
    fetchOk(manifestUrl, 'model manifest').then((r) => r.text()),
    fetchOk(weightsUrl, 'model weights').then((r) => r.arrayBuffer()),
  ]);
  let manifest: UNetManifest;
  try {
    manifest = JSON.parse(text) as UNetManifest;
  } catch (e) {
    throw new Error(`the model manifest ${manifestUrl.href} is not valid JSON (starts with ${JSON.stringify(text.slice(0, 40))}): ${(e as Error).message}`);
  }
  if (manifest === null || typeof manifest !== 'object' || manifest.format !== 'raftlab-unet/1' || !manifest.config || !Array.isArray(manifest.tensors)) {
    throw new Error(`${manifestUrl.href} is not a raftlab U-Net manifest (expected format "raftlab-unet/1")`);
  }
  const expectedBytes = 4 * manifest.tensors.reduce((n, t) => Math.max(n, t.offset + t.shape.reduce((a, b) => a * b, 1)), 0);
  if (data.byteLength !== expectedBytes) {
    throw new Error(`${weightsUrl.href} has ${data.byteLength} bytes but the manifest needs ${expectedBytes} (stale or truncated file?)`);
  }
  let weights: Map<string, Float32Array>;
  try {
    weights = unpackUNet(manifest, data);
  } catch (e) {
    throw new Error(`${weightsUrl.href}: ${(e as Error).message}`);
  }
  return { model: new UNet(manifest.config, weights), manifest };
}
