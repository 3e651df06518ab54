/**
 * Images at the scenes CLIP's side: an (S, S, 3) HWC image of any side resampled to (T, T, 3) by area averaging
 * (each output pixel the coverage-weighted mean of the input pixels under it), so a 48 px image is scored as its
 * 32 px downscale. The identity when S = T.
 */

/** The side of a square HWC RGB image. */
export function sideOf(px: ArrayLike<number>): number {
  const s = Math.round(Math.sqrt(px.length / 3));
  if (s * s * 3 !== px.length) throw new Error(`scenes CLIP: ${px.length} values are not a square RGB image`);
  return s;
}

/** (S, S, 3) -> (T, T, 3) by area averaging; the input itself when S = T. */
export function resampleTo(px: Float32Array, target: number): Float32Array {
  const S = sideOf(px);
  if (S === target) return px;
  const out = new Float32Array(target * target * 3);
  const r = S / target; // input pixels per output pixel
  // weights of input rows/columns for each output row/column (the same along both axes)
  const spans: Array<Array<[number, number]>> = [];
  for (let o = 0; o < target; o++) {
    const a = o * r;
    const b = (o + 1) * r;
    const span: Array<[number, number]> = [];
    for (let k = Math.floor(a); k < Math.min(S, Math.ceil(b)); k++) span.push([k, (Math.min(b, k + 1) - Math.max(a, k)) / r]);
    spans.push(span);
  }
  for (let i = 0; i < target; i++) {
    for (let j = 0; j < target; j++) {
      for (const [y, wy] of spans[i]!) {
        for (const [x, wx] of spans[j]!) {
          const w = wy * wx;
          const p = (y * S + x) * 3;
          const q = (i * target + j) * 3;
          for (let c = 0; c < 3; c++) out[q + c] = out[q + c]! + w * px[p + c]!;
        }
      }
    }
  }
  return out;
}
