/**
 * The Llama family's settings and weight shapes, free of TF.js (the memory estimate reads them): Llama itself and
 * the families that are Llama with a difference or two, each with its own folder that sets the switches below
 * (Qwen2: biases on q, k, v; Qwen3: an RMSNorm on each head's q and k, and an explicit head_dim).
 */

export interface LlamaConfig {
  vocabSize: number;
  /** Positions the rotary table covers (max_position_embeddings). */
  blockSize: number;
  nLayer: number;
  nHead: number;
  nKvHead: number;
  nEmbd: number;
  /** Channels per attention head (head_dim; hidden / heads unless the config says otherwise). */
  headDim: number;
  /** MLP width (intermediate_size). */
  nInner: number;
  rmsEps: number;
  ropeTheta: number;
  tiedHead: boolean;
  /** q, k and v projections carry biases (Qwen2). */
  qkvBias: boolean;
  /** An RMSNorm over each head's channels on q and k, before the rotary embedding (Qwen3). */
  qkNorm: boolean;
}

/** The weights a Llama-family model of `c` has, by the lab's name, with their (in, out) shapes. */
export function llamaParamShapes(c: LlamaConfig): Array<[string, number[]]> {
  const C = c.nEmbd;
  const D = c.headDim;
  const out: Array<[string, number[]]> = [['embed', [c.vocabSize, C]]];
  for (let i = 0; i < c.nLayer; i++) {
    out.push([`h${i}.norm1`, [C]], [`h${i}.q.w`, [C, c.nHead * D]], [`h${i}.k.w`, [C, c.nKvHead * D]], [`h${i}.v.w`, [C, c.nKvHead * D]]);
    if (c.qkvBias) out.push([`h${i}.q.b`, [c.nHead * D]], [`h${i}.k.b`, [c.nKvHead * D]], [`h${i}.v.b`, [c.nKvHead * D]]);
    if (c.qkNorm) out.push([`h${i}.qnorm`, [D]], [`h${i}.knorm`, [D]]);
    out.push([`h${i}.o.w`, [c.nHead * D, C]], [`h${i}.norm2`, [C]]);
    out.push([`h${i}.gate.w`, [C, c.nInner]], [`h${i}.up.w`, [C, c.nInner]], [`h${i}.down.w`, [c.nInner, C]]);
  }
  out.push(['norm', [C]]);
  if (!c.tiedHead) out.push(['head', [C, c.vocabSize]]);
  return out;
}
