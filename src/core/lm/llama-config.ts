/** The Llama architecture's settings and weight shapes, free of TF.js (the page's memory estimate reads them). */

export interface LlamaConfig {
  vocabSize: number;
  /** Positions the rotary table covers (max_position_embeddings). */
  blockSize: number;
  nLayer: number;
  nHead: number;
  nKvHead: number;
  nEmbd: number;
  /** MLP width (intermediate_size). */
  nInner: number;
  rmsEps: number;
  ropeTheta: number;
  tiedHead: boolean;
}

/** The weights a Llama of `c` has, by the lab's name, with their (in, out) shapes. */
export function llamaParamShapes(c: LlamaConfig): Array<[string, number[]]> {
  const C = c.nEmbd;
  const D = C / c.nHead;
  const out: Array<[string, number[]]> = [['embed', [c.vocabSize, C]]];
  for (let i = 0; i < c.nLayer; i++) {
    out.push([`h${i}.norm1`, [C]], [`h${i}.q.w`, [C, c.nHead * D]], [`h${i}.k.w`, [C, c.nKvHead * D]], [`h${i}.v.w`, [C, c.nKvHead * D]]);
    out.push([`h${i}.o.w`, [c.nHead * D, C]], [`h${i}.norm2`, [C]]);
    out.push([`h${i}.gate.w`, [C, c.nInner]], [`h${i}.up.w`, [C, c.nInner]], [`h${i}.down.w`, [c.nInner, C]]);
  }
  out.push(['norm', [C]]);
  if (!c.tiedHead) out.push(['head', [C, c.vocabSize]]);
  return out;
}

