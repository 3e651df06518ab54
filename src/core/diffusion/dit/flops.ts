/**
 * Analytic FLOP counts of the denoisers (1 multiply-add = 2 FLOPs), for the train-step benchmark
 * (scripts/bench-denoiser.ts). Only the matMuls and convolutions are counted (elementwise work, norms and Adam are
 * what the achieved rate pays for); a training step is counted as 3 forward passes (forward, input gradient,
 * weight gradient), the usual convention.
 */
import type { UNetConfig } from '../unet';
import { convOf, inputChannelsOf, keyPoolOf, mixFfnOf, type DiTConfig } from './config';

/** FLOPs of one DiT forward pass on b images of side `size` with L text tokens (the encoder included). */
export function ditForwardFlops(c: DiTConfig, b: number, size: number): number {
  const C = c.width;
  const L = c.maxTokens;
  const T = (size / c.patch) ** 2;
  const cc = convOf(c);
  const inC = inputChannelsOf(c);
  const P = c.patch * c.patch * (cc || 3);
  const Pin = c.patch * c.patch * (cc || inC);
  const hid = c.mlpRatio * C;
  const K = T / keyPoolOf(c) ** 2;
  const mm = (n: number, k: number, m: number) => 2 * n * k * m;
  let f = mm(b * L, c.vocabSize, C);
  f += c.textLayers * (mm(b * L, C, 3 * C) + mm(b * L, C, C) + 2 * mm(b * L, C, hid) + 2 * mm(b * L, L, C));
  f += mm(b, c.timeDim, C) + 2 * mm(b, C, C) + mm(b * T, Pin, C);
  // the shared adaLN projection; per block: q, kv of the (pooled) tokens, ctx (text k, v), o, MLP, attention (T queries, K + L keys)
  f += mm(b, C, 6 * C) + c.depth * (mm(b * T, C, C) + mm(b * K, C, 2 * C) + mm(b * L, C, 2 * C) + mm(b * T, C, C) + 2 * mm(b * T, C, hid) + 2 * mm(b * T, K + L, C));
  // Mix-FFN: 9 multiply-adds per hidden value per block
  if (mixFfnOf(c)) f += c.depth * mm(b * T, 9, hid);
  f += mm(b, C, 2 * C) + mm(b * T, C, P);
  // the conv stem and head: 3x3 convolutions at full resolution, 3 (6 self-conditioned) -> c, c -> c, c -> 3
  if (cc > 0) f += mm(b * size * size, 9 * inC, cc) + mm(b * size * size, 9 * cc, cc) + mm(b * size * size, 9 * cc, 3) + mm(b, C, cc);
  return f;
}

/** FLOPs of one U-Net (../unet.ts) forward pass on b images of side `size`. */
export function unetForwardFlops(c: UNetConfig, b: number, size: number): number {
  const [c0, c1] = c.channels;
  const conv = (s: number, k: number, cin: number, cout: number) => 2 * b * s * s * k * cin * cout;
  const block = (s: number, cin: number, cout: number) =>
    conv(s, 9, cin, cout) + conv(s, 9, cout, cout) + 2 * b * c.embDim * cout + (cin !== cout ? conv(s, 1, cin, cout) : 0);
  const s0 = size;
  const s1 = size / 2;
  const s2 = size / 4;
  return 2 * b * (c.timeDim * c.embDim + c.embDim * c.embDim + c.numClasses * c.embDim)
    + conv(s0, 9, 3, c0) + block(s0, c0, c0) + block(s1, c0, c1) + block(s2, c1, c1)
    + block(s1, 2 * c1, c1) + block(s0, c1 + c0, c0) + conv(s0, 9, c0, 3);
}
