/**
 * A spoiled image of the world: a 3x3 binomial blur (edges clamped) of an (S, S, 3) image in [0, 1]. The scenes CLIP
 * trains on blurred pairs (clip/train.ts); its evaluation, the fidelity tests and scripts/scenes-fidelity.ts measure
 * both rewards on blurred images.
 */

/** A 3x3 binomial blur of an (S, S, 3) image, edges clamped. */
export function blur3(px: Float32Array): Float32Array {
  const S = Math.round(Math.sqrt(px.length / 3));
  const out = new Float32Array(px.length);
  const k = [0.25, 0.5, 0.25];
  for (let i = 0; i < S; i++) {
    for (let j = 0; j < S; j++) {
      for (let c = 0; c < 3; c++) {
        let v = 0;
        for (let a = -1; a <= 1; a++) {
          for (let b = -1; b <= 1; b++) v += k[a + 1]! * k[b + 1]! * px[(Math.min(S - 1, Math.max(0, i + a)) * S + Math.min(S - 1, Math.max(0, j + b))) * 3 + c]!;
        }
        out[(i * S + j) * 3 + c] = v;
      }
    }
  }
  return out;
}
