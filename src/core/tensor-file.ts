/**
 * The file layout shared by the embedded models: a JSON manifest (a format tag, the model's config, facts about how
 * it was made, tensor names/shapes/offsets) and one little-endian float32 binary with every tensor end to end.
 * Typed wrappers per model kind: lm/weights-io.ts (GPT) and diffusion/weights-io.ts (U-Net).
 */

export interface TensorManifest<F extends string, C> {
  format: F;
  config: C;
  /** Free-form facts about how it was made (task, seed, steps, loss). */
  meta: Record<string, string | number | boolean>;
  tensors: Array<{ name: string; shape: number[]; offset: number }>;
}

export function packTensors<F extends string, C>(
  format: F,
  config: C,
  weights: ReadonlyMap<string, { shape: number[]; values: Float32Array }>,
  meta: TensorManifest<F, C>['meta'],
): { manifest: TensorManifest<F, C>; data: Uint8Array } {
  const tensors: TensorManifest<F, C>['tensors'] = [];
  let total = 0;
  for (const [name, w] of weights) {
    tensors.push({ name, shape: w.shape, offset: total });
    total += w.values.length;
  }
  const all = new Float32Array(total);
  for (const t of tensors) all.set(weights.get(t.name)!.values, t.offset);
  return { manifest: { format, config, meta, tensors }, data: new Uint8Array(all.buffer) };
}

/** Named arrays of a manifest and its binary; `what` names the model kind in error messages. */
export function unpackTensors<F extends string, C>(
  manifest: TensorManifest<F, C>,
  data: ArrayBufferView | ArrayBuffer,
  format: F,
  what: string,
): Map<string, Float32Array> {
  if (manifest?.format !== format) throw new Error(`not a raftlab ${what} manifest`);
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (bytes.byteLength % 4 !== 0) throw new Error(`${what} weights: size is not a multiple of 4 bytes`);
  const all = new Float32Array(bytes.slice().buffer);
  const out = new Map<string, Float32Array>();
  for (const t of manifest.tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (t.offset < 0 || t.offset + size > all.length) throw new Error(`${what} weights: tensor ${t.name} out of range`);
    out.set(t.name, all.subarray(t.offset, t.offset + size));
  }
  return out;
}
