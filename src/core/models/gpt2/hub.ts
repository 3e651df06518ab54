/**
 * GPT-2 checkpoints in the Hugging Face layout (`model_type: gpt2`: gpt2, distilgpt2, gpt2-medium) as the lab's
 * GPT (model.ts is the same architecture: pre-LayerNorm blocks, GELU with the tanh approximation, LayerNorm
 * epsilon 1e-5, learned positions, head tied to the token embedding).
 *
 * Names: `wte.weight`, `wpe.weight`, `h.{i}.ln_1.*`, `h.{i}.attn.c_attn.*` (q, k, v side by side on the output
 * axis), `h.{i}.attn.c_proj.*`, `h.{i}.ln_2.*`, `h.{i}.mlp.c_fc.*`, `h.{i}.mlp.c_proj.*`, `ln_f.*`, optionally with
 * a `transformer.` prefix; `h.{i}.attn.bias` / `masked_bias` (causal-mask buffers) are not weights and are skipped.
 * The weights are Conv1D, shape (in, out) and y = x W + b: the lab's orientation, so they are copied as they are.
 */
import { HubModelError } from '../../hub/errors';
import type { GptConfig } from './config';

/** Hub tensors (by Hub name) -> the lab's weights (by the lab's names), checked against `config`. */
export function gptWeightsFromHub(tensors: ReadonlyMap<string, { shape: number[]; values: Float32Array }>, config: GptConfig): Map<string, Float32Array> {
  const byName = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const [name, t] of tensors) {
    const local = name.startsWith('transformer.') ? name.slice('transformer.'.length) : name;
    if (/^h\.\d+\.attn\.(bias|masked_bias)$/.test(local)) continue; // causal-mask buffers
    byName.set(local, t);
  }
  const C = config.nEmbd;
  const take = (name: string, shape: number[]): Float32Array => {
    const t = byName.get(name);
    if (!t) throw new HubModelError(`the checkpoint has no tensor ${name}`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new HubModelError(`tensor ${name} has shape [${t.shape.join(', ')}], config.json implies [${shape.join(', ')}]`);
    }
    byName.delete(name);
    return t.values;
  };
  const out = new Map<string, Float32Array>();
  out.set('wte', take('wte.weight', [config.vocabSize, C]));
  out.set('wpe', take('wpe.weight', [config.blockSize, C]));
  for (let i = 0; i < config.nLayer; i++) {
    const h = `h.${i}`;
    out.set(`h${i}.ln1.g`, take(`${h}.ln_1.weight`, [C]));
    out.set(`h${i}.ln1.b`, take(`${h}.ln_1.bias`, [C]));
    const w = take(`${h}.attn.c_attn.weight`, [C, 3 * C]);
    const b = take(`${h}.attn.c_attn.bias`, [3 * C]);
    ['q', 'k', 'v'].forEach((m, j) => {
      const wm = new Float32Array(C * C);
      for (let r = 0; r < C; r++) wm.set(w.subarray(r * 3 * C + j * C, r * 3 * C + (j + 1) * C), r * C);
      out.set(`h${i}.${m}.w`, wm);
      out.set(`h${i}.${m}.b`, b.slice(j * C, (j + 1) * C));
    });
    out.set(`h${i}.o.w`, take(`${h}.attn.c_proj.weight`, [C, C]));
    out.set(`h${i}.o.b`, take(`${h}.attn.c_proj.bias`, [C]));
    out.set(`h${i}.ln2.g`, take(`${h}.ln_2.weight`, [C]));
    out.set(`h${i}.ln2.b`, take(`${h}.ln_2.bias`, [C]));
    out.set(`h${i}.up.w`, take(`${h}.mlp.c_fc.weight`, [C, 4 * C]));
    out.set(`h${i}.up.b`, take(`${h}.mlp.c_fc.bias`, [4 * C]));
    out.set(`h${i}.down.w`, take(`${h}.mlp.c_proj.weight`, [4 * C, C]));
    out.set(`h${i}.down.b`, take(`${h}.mlp.c_proj.bias`, [C]));
  }
  out.set('lnf.g', take('ln_f.weight', [C]));
  out.set('lnf.b', take('ln_f.bias', [C]));
  const head = byName.get('lm_head.weight');
  if (head) {
    const wte = out.get('wte')!;
    if (head.values.length !== wte.length || head.values.some((v, i) => v !== wte[i])) {
      throw new HubModelError('the checkpoint has an lm_head.weight different from wte.weight (an untied head), which the lab\'s GPT does not have yet');
    }
    byName.delete('lm_head.weight');
  }
  if (byName.size > 0) throw new HubModelError(`the checkpoint has tensors a GPT-2 does not: ${[...byName.keys()].slice(0, 5).join(', ')}`);
  return out;
}

/**
 * The lab's GPT as a GPT-2 checkpoint in the Hub's layout (the inverse of gptConfigFromHub / gptWeightsFromHub):
 * the `config.json` fields and the tensors by Hub name, q, k, v joined into `c_attn`. `transformers` opens the folder
 * as a GPT2LMHeadModel (the head is tied to `wte`).
 */
export function gptToHub(config: GptConfig, weights: ReadonlyMap<string, Float32Array>, eosId: number): {
  config: Record<string, unknown>;
  tensors: Map<string, { shape: number[]; values: Float32Array }>;
} {
  const C = config.nEmbd;
  const get = (name: string) => {
    const v = weights.get(name);
    if (!v) throw new HubModelError(`the model has no weight ${name}`);
    return v;
  };
  const tensors = new Map<string, { shape: number[]; values: Float32Array }>();
  const put = (name: string, shape: number[], values: Float32Array) => tensors.set(name, { shape, values });
  put('wte.weight', [config.vocabSize, C], get('wte'));
  put('wpe.weight', [config.blockSize, C], get('wpe'));
  for (let i = 0; i < config.nLayer; i++) {
    const h = `h.${i}`;
    put(`${h}.ln_1.weight`, [C], get(`h${i}.ln1.g`));
    put(`${h}.ln_1.bias`, [C], get(`h${i}.ln1.b`));
    const w = new Float32Array(C * 3 * C);
    const b = new Float32Array(3 * C);
    ['q', 'k', 'v'].forEach((m, j) => {
      const wm = get(`h${i}.${m}.w`);
      for (let r = 0; r < C; r++) w.set(wm.subarray(r * C, (r + 1) * C), r * 3 * C + j * C);
      b.set(get(`h${i}.${m}.b`), j * C);
    });
    put(`${h}.attn.c_attn.weight`, [C, 3 * C], w);
    put(`${h}.attn.c_attn.bias`, [3 * C], b);
    put(`${h}.attn.c_proj.weight`, [C, C], get(`h${i}.o.w`));
    put(`${h}.attn.c_proj.bias`, [C], get(`h${i}.o.b`));
    put(`${h}.ln_2.weight`, [C], get(`h${i}.ln2.g`));
    put(`${h}.ln_2.bias`, [C], get(`h${i}.ln2.b`));
    put(`${h}.mlp.c_fc.weight`, [C, 4 * C], get(`h${i}.up.w`));
    put(`${h}.mlp.c_fc.bias`, [4 * C], get(`h${i}.up.b`));
    put(`${h}.mlp.c_proj.weight`, [4 * C, C], get(`h${i}.down.w`));
    put(`${h}.mlp.c_proj.bias`, [C], get(`h${i}.down.b`));
  }
  put('ln_f.weight', [C], get('lnf.g'));
  put('ln_f.bias', [C], get('lnf.b'));
  const hubConfig = {
    model_type: 'gpt2', architectures: ['GPT2LMHeadModel'], vocab_size: config.vocabSize, n_embd: C, n_layer: config.nLayer,
    n_head: config.nHead, n_positions: config.blockSize, n_ctx: config.blockSize, n_inner: null, layer_norm_epsilon: 1e-5,
    activation_function: 'gelu_new', resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0, bos_token_id: eosId, eos_token_id: eosId,
    tie_word_embeddings: true,
  };
  return { config: hubConfig, tensors };
}
