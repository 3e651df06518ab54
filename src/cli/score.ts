/**
 * `raftlab score --model M (--text TEXT | --ids 1,2,3) [--adapter DIR] [--hf-endpoint URL]`: the conformance probe
 * of a model source (with `--adapter`, of a PEFT LoRA adapter applied to it). M is a local folder in the Hub's layout, a Hub id `org/name[@revision]`, or an http(s) folder URL (Hub
 * models are downloaded once into the cache, src/node/hub-download.ts; the endpoint is --hf-endpoint, else
 * $HF_ENDPOINT, else the Hub). Loads the model (any architecture of src/core/models/registry.ts; src/node/hub-folder.ts), scores the token ids of the text (the
 * tokenizer's ids, no special tokens added) or the ids given, and prints JSON
 * `{model, modelType, ids, logprobs, nll, perplexity}` with `logprobs[t-1] = log p(ids[t] | ids[:t])` (natural log),
 * `nll` their negated mean and `perplexity = exp(nll)`. Bad flags or a broken folder: a message and exit 2.
 */
import { scoreIds, scoreProblem } from '../core/lm/score';
import { HubModelError } from '../core/hub/errors';
import { SafetensorsError } from '../core/hub/safetensors';
import { initNodeBackend, type NodeBackend } from '../node/backend';
import { loadHubFolder } from '../node/hub-folder';
import { loadAdapterFolder } from '../node/hub-save';
import { downloadModel } from '../node/hub-download';
import { parseModelSource } from '../core/hub/source';
import { HUB_MODEL_TYPES } from '../core/models/registry';
import { existsSync } from 'node:fs';

export interface ScoreArgs {
  model?: string;
  endpoint?: string;
  text?: string;
  ids?: number[];
  adapter?: string;
  help: boolean;
}

const USAGE = 'usage: raftlab score --model DIR|ORG/NAME[@REV]|URL (--text TEXT | --ids 1,2,3) [--adapter DIR] [--hf-endpoint URL]';

export function parseScoreArgs(argv: readonly string[]): { args: ScoreArgs; errors: string[] } {
  const args: ScoreArgs = { help: false };
  const errors: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--help' || token === '-h') {
      args.help = true;
      continue;
    }
    const eq = token.indexOf('=');
    const flag = eq < 0 ? token : token.slice(0, eq);
    if (!['--model', '--text', '--ids', '--hf-endpoint', '--adapter'].includes(flag)) {
      errors.push(`unknown argument ${JSON.stringify(token.slice(0, 60))} (${USAGE})`);
      continue;
    }
    const value = eq < 0 ? argv[++i] : token.slice(eq + 1);
    if (value === undefined) {
      errors.push(`missing value for ${flag}`);
      continue;
    }
    if (flag === '--model') args.model = value;
    else if (flag === '--hf-endpoint') args.endpoint = value;
    else if (flag === '--adapter') args.adapter = value;
    else if (flag === '--text') args.text = value;
    else {
      const ids = value.split(',').map((x) => Number(x.trim()));
      if (ids.length < 2 || !ids.every((x) => Number.isSafeInteger(x) && x >= 0)) errors.push(`--ids needs at least two non-negative integers (got ${JSON.stringify(value.slice(0, 60))})`);
      else args.ids = ids;
    }
  }
  if (!args.help) {
    if (args.model === undefined) errors.push(`score needs --model DIR (${USAGE})`);
    if ((args.text === undefined) === (args.ids === undefined)) errors.push('score needs exactly one of --text and --ids');
  }
  return { args, errors };
}

export async function scoreCommand(argv: readonly string[]): Promise<number> {
  const { args, errors } = parseScoreArgs(argv);
  if (args.help) {
    console.log(`${USAGE}\n\nScores a text (or token ids) with a model folder in the Hugging Face Hub's layout (config.json, model.safetensors or a sharded index, tokenizer.json; model_type ${HUB_MODEL_TYPES.join(', ')}), with --adapter a PEFT LoRA adapter folder (adapter_config.json, adapter_model.safetensors) applied to it, and prints {model, modelType, ids, logprobs, nll, perplexity} as JSON.`);
    return 0;
  }
  if (errors.length) {
    for (const e of errors) console.error(`raftlab: ${e}`);
    return 2;
  }
  await initNodeBackend((process.env.RAFTLAB_BACKEND as NodeBackend) ?? 'wasm');
  let loaded;
  let revision: string | null = null;
  try {
    let dir = args.model!;
    if (!existsSync(dir)) {
      const source = parseModelSource(dir);
      if (!source) throw new HubModelError(`--model ${JSON.stringify(dir.slice(0, 80))} is neither a folder nor a Hub id (org/name[@revision]) nor an http(s) URL`);
      const got = await downloadModel(source, args.endpoint ?? process.env.HF_ENDPOINT);
      dir = got.dir;
      revision = got.revision;
    }
    loaded = await loadHubFolder(dir);
    if (args.adapter !== undefined) {
      try {
        loadAdapterFolder(args.adapter, loaded.model);
      } catch (e) {
        loaded.model.dispose();
        throw e;
      }
    }
  } catch (e) {
    if (e instanceof HubModelError || e instanceof SafetensorsError) {
      console.error(`raftlab: ${e.message}`);
      return 2;
    }
    throw e;
  }
  const { model, tokenizer } = loaded;
  try {
    const ids = args.ids ?? tokenizer.encode(args.text!);
    const problem = scoreProblem(model, ids);
    if (problem) {
      console.error(`raftlab: ${problem}`);
      return 2;
    }
    const scored = await scoreIds(model, ids);
    console.log(JSON.stringify({ model: args.model, ...(revision ? { revision } : {}), modelType: model.architecture, ...scored }, null, 2));
    return 0;
  } finally {
    model.dispose();
  }
}
