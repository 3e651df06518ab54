/**
 * LoRA adapters in PEFT's format (what `PeftModel.from_pretrained(base, dir)` opens): `adapter_config.json` and
 * `adapter_model.safetensors` with `base_model.model.<module path>.lora_A.weight` (r, in) and `...lora_B.weight`
 * (out, r). PEFT computes a module's delta as x A^T B^T * lora_alpha / r (alpha / sqrt(r) with `use_rslora`); the
 * lab's adapters are a (in, r), b (r, out), so A = a^T and B = b^T.
 *
 * Module paths are the architecture's (models/<type>/lora.ts): e.g. GPT-2's `transformer.h.{i}.attn.c_attn` (q, k, v
 * side by side on the output axis; Conv1D, hence `fan_in_fan_out: true`), Llama's and Qwen's
 * `model.layers.{i}.self_attn.{q,k,v,o}_proj` and `model.layers.{i}.mlp.{gate,up,down}_proj`.
 *
 * The lab's separate q, k, v adapters of a GPT-2 export exactly as one `c_attn` adapter of their summed rank (A
 * stacked, B block-diagonal), with `rank_pattern` / `alpha_pattern` keeping each module's scale; importing gives a
 * joint q|k|v adapter with the same outputs.
 */
import type { LanguageModel } from '../lm/language-model';
import type { LoraLayer } from '../lm/lora-config';
import { architectureOf } from '../models/registry';
import { HubModelError } from './errors';
import { transpose } from './transpose';

export interface PeftAdapter {
  config: Record<string, unknown>;
  tensors: Map<string, { shape: number[]; values: Float32Array }>;
}

const PREFIX = 'base_model.model.';

/** The module (path, and its target_modules suffix) a lab adapter `h{i}.{layer}` sits in. */
function moduleOf(arch: string, adapter: string): { path: string; target: string; part?: number } {
  const m = /^h(\d+)\.(\w+)$/.exec(adapter);
  const module = m ? architectureOf(arch).lora.peftModule(Number(m[1]), m[2] as LoraLayer) : null;
  if (!module) throw new HubModelError(`LoRA adapter ${adapter} has no ${arch} module`);
  return module;
}

/** The model's adapters as a PEFT LoRA adapter of the base model `base` (a Hub id or a path). */
export async function loraToPeft(model: LanguageModel, base: string, revision?: string | null): Promise<PeftAdapter> {
  const lora = model.lora;
  if (!lora) throw new HubModelError('the model has no LoRA adapters to export');
  // group the lab's adapters by module (GPT-2's q, k, v share c_attn)
  const modules = new Map<string, { target: string; parts: Array<{ part?: number; a: Float32Array; b: Float32Array; nIn: number; nOut: number; r: number; scale: number }> }>();
  for (const [name, r] of lora.ranks()) {
    const ad = lora.get(name)!;
    const { path, target, part } = moduleOf(model.architecture, name);
    const entry = modules.get(path) ?? { target, parts: [] };
    entry.parts.push({ part, a: (await ad.a.data()) as Float32Array, b: (await ad.b.data()) as Float32Array, nIn: ad.a.shape[0]!, nOut: ad.b.shape[1]!, r, scale: ad.scale });
    modules.set(path, entry);
  }
  const tensors = new Map<string, { shape: number[]; values: Float32Array }>();
  const rankOf = new Map<string, number>();
  const scaleOf = new Map<string, number>();
  for (const [path, { target, parts }] of modules) {
    const nIn = parts[0]!.nIn;
    const R = parts.reduce((n, p) => n + p.r, 0);
    const split = parts[0]!.part !== undefined;
    const nOut = split ? 3 * parts[0]!.nOut : parts[0]!.nOut;
    const scale = parts[0]!.scale;
    const A = new Float32Array(R * nIn); // (R, in)
    const B = new Float32Array(nOut * R); // (out, R)
    let row = 0;
    for (const p of parts) {
      A.set(transpose(p.a, p.nIn, p.r), row * nIn);
      const bt = transpose(p.b, p.r, p.nOut); // (out_p, r)
      const off = split ? p.part! * p.nOut : 0;
      const fold = p.scale / scale; // parts of one module with another scale: folded into B
      for (let o = 0; o < p.nOut; o++) for (let j = 0; j < p.r; j++) B[(off + o) * R + row + j] = bt[o * p.r + j]! * fold;
      row += p.r;
    }
    tensors.set(`${PREFIX}${path}.lora_A.weight`, { shape: [R, nIn], values: A });
    tensors.set(`${PREFIX}${path}.lora_B.weight`, { shape: [nOut, R], values: B });
    rankOf.set(target, R);
    scaleOf.set(target, scale);
  }
  // r and lora_alpha of the run's own setting where a module has them, else of the most common module; the others
  // in rank_pattern / alpha_pattern (keyed by target)
  const counts = new Map<string, number>();
  for (const [t, r] of rankOf) counts.set(`${r}/${scaleOf.get(t)}`, (counts.get(`${r}/${scaleOf.get(t)}`) ?? 0) + 1);
  const own = `${lora.config.rank}/${lora.scale}`;
  const common = counts.has(own) ? own : [...counts].sort((a, b) => b[1] - a[1])[0]![0];
  const [r0, s0] = common.split('/').map(Number) as [number, number];
  const rankPattern: Record<string, number> = {};
  const alphaPattern: Record<string, number> = {};
  for (const [t, r] of rankOf) {
    if (r !== r0 || scaleOf.get(t) !== s0) {
      rankPattern[t] = r;
      alphaPattern[t] = scaleOf.get(t)! * r;
    }
  }
  const targets = [...rankOf.keys()];
  // both c_proj of a GPT-2 block: PEFT's plain name matches both
  const targetModules = targets.includes('attn.c_proj') && targets.includes('mlp.c_proj')
    ? [...targets.filter((t) => !t.endsWith('c_proj')), 'c_proj'] : targets;
  if (targetModules.includes('c_proj') && (rankPattern['attn.c_proj'] !== rankPattern['mlp.c_proj'] || alphaPattern['attn.c_proj'] !== alphaPattern['mlp.c_proj'])) {
    targetModules.splice(targetModules.indexOf('c_proj'), 1, 'attn.c_proj', 'mlp.c_proj');
  }
  const config: Record<string, unknown> = {
    peft_type: 'LORA', task_type: 'CAUSAL_LM', base_model_name_or_path: base, revision: revision ?? null,
    r: r0, lora_alpha: s0 * r0, target_modules: targetModules, fan_in_fan_out: architectureOf(model.architecture).lora.fanInFanOut,
    lora_dropout: 0, bias: 'none', use_rslora: false, use_dora: false, modules_to_save: null, inference_mode: true,
    init_lora_weights: true, layers_to_transform: null, layers_pattern: null, rank_pattern: rankPattern, alpha_pattern: alphaPattern,
  };
  return { config, tensors };
}

/** The value of a PEFT pattern (rank_pattern, alpha_pattern) for a module path: its key is a suffix of the path. */
export function patternValue(pattern: unknown, path: string): number | undefined {
  if (!pattern || typeof pattern !== 'object') return undefined;
  for (const [key, v] of Object.entries(pattern as Record<string, unknown>)) {
    if ((path === key || path.endsWith(`.${key}`)) && typeof v === 'number') return v;
  }
  return undefined;
}

/** The lab adapter (name, layer, in, out) of a PEFT module path, for the model's architecture. */
function adapterOf(model: LanguageModel, path: string): { name: string; layer: LoraLayer } {
  const found = architectureOf(model.architecture).lora.layerOfPeftModule(path);
  if (!found) throw new HubModelError(`the adapter has a module ${path}, which a ${model.architecture} model does not have (or the lab does not adapt)`);
  return { name: `h${found.block}.${found.layer}`, layer: found.layer };
}

/**
 * Attach a PEFT LoRA adapter to the model (replacing its adapters): every module's A and B as read, with its own
 * rank and scale. Refuses what it does not compute (DoRA, bias training, modules_to_save) and shapes that do not fit.
 */
export function applyPeft(model: LanguageModel, adapter: PeftAdapter): void {
  const c = adapter.config;
  if (c.peft_type !== 'LORA') throw new HubModelError(`adapter_config.json: peft_type ${JSON.stringify(c.peft_type)} (only LORA adapters are read)`);
  if (c.task_type !== undefined && c.task_type !== null && c.task_type !== 'CAUSAL_LM') throw new HubModelError(`adapter_config.json: task_type ${JSON.stringify(c.task_type)} (CAUSAL_LM expected)`);
  if (c.use_dora === true) throw new HubModelError('adapter_config.json: use_dora (DoRA adapters are not supported)');
  if (c.bias !== undefined && c.bias !== 'none') throw new HubModelError(`adapter_config.json: bias ${JSON.stringify(c.bias)} (only "none": the lab trains no biases)`);
  if (Array.isArray(c.modules_to_save) && c.modules_to_save.length > 0) throw new HubModelError('adapter_config.json: modules_to_save (fully trained modules are not supported)');
  const alpha = typeof c.lora_alpha === 'number' ? c.lora_alpha : undefined;
  if (alpha === undefined) throw new HubModelError('adapter_config.json has no lora_alpha');
  const found = new Map<string, { a?: { shape: number[]; values: Float32Array }; b?: { shape: number[]; values: Float32Array } }>();
  for (const [name, t] of adapter.tensors) {
    const m = /^base_model\.model\.(.+)\.lora_([AB])(?:\.default)?\.weight$/.exec(name);
    if (!m) throw new HubModelError(`adapter_model.safetensors: ${name} is not a LoRA weight (base_model.model.<module>.lora_A|B.weight)`);
    const entry = found.get(m[1]!) ?? {};
    entry[m[2] === 'A' ? 'a' : 'b'] = t;
    found.set(m[1]!, entry);
  }
  if (found.size === 0) throw new HubModelError('adapter_model.safetensors has no LoRA weights');
  const planned: Array<{ name: string; layer: LoraLayer; a: Float32Array; b: Float32Array; nIn: number; nOut: number; scale: number }> = [];
  for (const [path, { a, b }] of found) {
    if (!a || !b) throw new HubModelError(`adapter_model.safetensors: ${path} has lora_${a ? 'B' : 'A'} missing`);
    const { name, layer } = adapterOf(model, path);
    if (a.shape.length !== 2 || b.shape.length !== 2 || b.shape[1] !== a.shape[0]) {
      throw new HubModelError(`adapter ${path}: lora_A [${a.shape.join(', ')}] and lora_B [${b.shape.join(', ')}] are not (r, in) and (out, r)`);
    }
    const [r, nIn] = a.shape as [number, number];
    const nOut = b.shape[0]!;
    const want = weightShape(model, name, layer);
    if (want[0] !== nIn || want[1] !== nOut) throw new HubModelError(`adapter ${path}: (in ${nIn}, out ${nOut}) does not fit the model's layer (${want[0]}, ${want[1]})`);
    const a0 = patternValue(c.alpha_pattern, path) ?? alpha;
    const scale = c.use_rslora === true ? a0 / Math.sqrt(r) : a0 / r;
    planned.push({ name, layer, a: transpose(a.values, r, nIn), b: transpose(b.values, nOut, r), nIn, nOut, scale });
  }
  const layers = [...new Set(planned.map((p) => p.layer))];
  const rank = typeof c.r === 'number' && c.r >= 1 ? c.r : 1;
  const lora = model.attachLora({ rank, alpha, targets: layers }, 0);
  for (const p of planned) lora.setAdapter(p.name, p.a, p.b, p.nIn, p.nOut, p.scale);
  // layers of a targeted kind that the file lacks (layers_to_transform) keep a fresh adapter: B = 0, an exact no-op
}

/** (in, out) of the layer an adapter sits on; a joint qkv is (C, 3C). */
function weightShape(model: LanguageModel, name: string, layer: LoraLayer): [number, number] {
  if (layer === 'qkv') {
    const q = model.params.get(`${name.slice(0, -3)}q.w`);
    if (!q) throw new HubModelError(`the model has no layer ${name}`);
    return [q.shape[0]!, 3 * q.shape[1]!];
  }
  const w = model.params.get(`${name}.w`);
  if (!w) throw new HubModelError(`the model has no layer ${name}`);
  return [w.shape[0]!, w.shape[1]!];
}
