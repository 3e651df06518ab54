/**
 * The GPT-2 architecture's settings (the lab's embedded GPT and Hub `model_type: gpt2` checkpoints: gpt2, distilgpt2,
 * gpt2-medium), read from a Hub `config.json`, and its weights' names and shapes; free of TF.js.
 */
import { HubModelError } from '../../hub/errors';

export interface GptConfig {
  vocabSize: number;
  blockSize: number;
  nLayer: number;
  nHead: number;
  nEmbd: number;
}

/** The fields of a GPT-2 `config.json` that the lab reads. */
export interface Gpt2HubConfig {
  model_type: string;
  vocab_size: number;
  n_embd: number;
  n_layer: number;
  n_head: number;
  n_positions: number;
  n_inner?: number | null;
  layer_norm_epsilon?: number;
  activation_function?: string;
  tie_word_embeddings?: boolean;
}

const SUPPORTED = ['gpt2'];

/** The lab's GPT config of a Hub `config.json`; anything the lab's GPT does not compute is refused by name. */
export function gptConfigFromHub(raw: unknown): GptConfig {
  const c = raw as Partial<Gpt2HubConfig> | null;
  if (!c || typeof c !== 'object') throw new HubModelError('config.json is not a JSON object');
  if (c.model_type !== 'gpt2') {
    throw new HubModelError(`model_type ${JSON.stringify(String(c.model_type).slice(0, 40))} is not supported here; supported: ${SUPPORTED.join(', ')}`);
  }
  for (const k of ['vocab_size', 'n_embd', 'n_layer', 'n_head', 'n_positions'] as const) {
    if (!Number.isSafeInteger(c[k]) || (c[k] as number) <= 0) throw new HubModelError(`config.json: ${k} must be a positive integer (got ${JSON.stringify(c[k])})`);
  }
  const C = c.n_embd!;
  if (c.n_inner != null && c.n_inner !== 4 * C) throw new HubModelError(`config.json: n_inner ${c.n_inner} (the lab's GPT has an MLP of 4 x n_embd = ${4 * C})`);
  if (c.activation_function !== undefined && c.activation_function !== 'gelu_new') {
    throw new HubModelError(`config.json: activation_function ${JSON.stringify(c.activation_function)} (the lab's GPT computes gelu_new)`);
  }
  if (c.layer_norm_epsilon !== undefined && Math.abs(c.layer_norm_epsilon - 1e-5) > 1e-12) {
    throw new HubModelError(`config.json: layer_norm_epsilon ${c.layer_norm_epsilon} (the lab's GPT uses 1e-5)`);
  }
  if (C % c.n_head! !== 0) throw new HubModelError(`config.json: n_embd ${C} is not divisible by n_head ${c.n_head}`);
  return { vocabSize: c.vocab_size!, blockSize: c.n_positions!, nLayer: c.n_layer!, nHead: c.n_head!, nEmbd: C };
}

export type Init = { kind: 'normal'; std: number } | { kind: 'const'; value: number };

/** Every parameter's name, shape and initialiser, in a fixed order (which fixes the random init stream). */
export function paramSpecs(c: GptConfig): Array<[string, number[], Init]> {
  const C = c.nEmbd;
  const std: Init = { kind: 'normal', std: 0.02 };
  const resid: Init = { kind: 'normal', std: 0.02 / Math.sqrt(2 * c.nLayer) };
  const zero: Init = { kind: 'const', value: 0 };
  const one: Init = { kind: 'const', value: 1 };
  const specs: Array<[string, number[], Init]> = [
    ['wte', [c.vocabSize, C], std],
    ['wpe', [c.blockSize, C], { kind: 'normal', std: 0.01 }],
  ];
  for (let i = 0; i < c.nLayer; i++) {
    const p = `h${i}`;
    specs.push([`${p}.ln1.g`, [C], one], [`${p}.ln1.b`, [C], zero]);
    for (const m of ['q', 'k', 'v']) specs.push([`${p}.${m}.w`, [C, C], std], [`${p}.${m}.b`, [C], zero]);
    specs.push([`${p}.o.w`, [C, C], resid], [`${p}.o.b`, [C], zero]);
    specs.push([`${p}.ln2.g`, [C], one], [`${p}.ln2.b`, [C], zero]);
    specs.push([`${p}.up.w`, [C, 4 * C], std], [`${p}.up.b`, [4 * C], zero]);
    specs.push([`${p}.down.w`, [4 * C, C], resid], [`${p}.down.b`, [C], zero]);
  }
  specs.push(['lnf.g', [C], one], ['lnf.b', [C], zero]);
  return specs;
}

