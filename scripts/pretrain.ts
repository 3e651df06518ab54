/**
 * Pre-trains a task's embedded base model on its synthetic corpus and writes public/models/<task>/.
 * Seeded and reproducible on the same backend.   Run: npm run pretrain -- [--task sentiment] [--steps N]
 * `--task generalist`: the shared model of the four language tasks (registry.ts SHARED_MODELS).
 * Image tasks (`--task shapes`) run scripts/pretrain-diffusion.ts (a denoiser, not a GPT).
 */
import { parseArgs } from 'node:util';
import { Gpt } from '../src/core/models/gpt2/model';
import { pretrain } from '../src/core/lm/pretrain';
import { totalNll, type Sequence } from '../src/core/lm/train';
import { createTask, isImageTask, isSharedModel, pretrainRecipe, taskNeedsVerifier } from '../src/core/tasks/registry';
import { initNodeBackend, type NodeBackend } from '../src/node/backend';
import { loadTokenizer, saveEmbeddedModel } from '../src/node/model-files';
import { createNodeVerifiers } from '../src/node/verify/index';

// image tasks (shapes) pre-train a denoiser instead: scripts/pretrain-diffusion.ts takes over
if (isImageTask(String(parseArgs({ options: { task: { type: 'string' } }, strict: false, allowPositionals: true }).values.task ?? ''))) {
  await import('./pretrain-diffusion');
  process.exit(0);
}

const { values } = parseArgs({
  options: { task: { type: 'string', default: 'sentiment' }, steps: { type: 'string' }, backend: { type: 'string', default: 'wasm' } },
});
const taskName = values.task!;
const recipe = pretrainRecipe(taskName);
const steps = values.steps ? Number(values.steps) : recipe.steps;
const backend = await initNodeBackend(values.backend as NodeBackend);
const tokenizer = await loadTokenizer(taskName);
// code tasks are created with a verifier (its workers start only when used: pre-training reads the texts only)
// a shared model (generalist) has no task: its recipe names its held-out text
const shared = isSharedModel(taskName);
const verifier = !shared && taskNeedsVerifier(taskName) ? createNodeVerifiers() : undefined;
const heldOutText = recipe.heldOutText?.() ?? createTask(taskName, { verifier }).heldOutText;
const eos = tokenizer.eosId;
const asDoc = (t: string): Sequence => ({ tokens: [eos, ...tokenizer.encode(t), eos], lossFrom: 1 });
const docs = recipe.corpus(recipe.seed).map(asDoc);
const heldOut = heldOutText.map(asDoc);
const model = new Gpt({ ...recipe.model, vocabSize: tokenizer.vocabSize }, undefined, recipe.seed);
console.log(`pretrain ${taskName}: ${model.numParams()} params, ${docs.length} docs, ${steps} steps of ${recipe.batchSize}, backend ${backend}`);

async function heldOutPerplexity(): Promise<number> {
  const { nll, tokens } = await totalNll(model, heldOut, eos);
  return Math.exp(nll / tokens);
}

const t0 = performance.now();
const loss = await pretrain(model, docs, {
  ...recipe, steps, padId: eos,
  onLog: async (step, running, lr) => {
    let line = `step ${step}/${steps}  loss ${running.toFixed(3)}  lr ${lr.toExponential(2)}  ${((performance.now() - t0) / 1000).toFixed(0)} s`;
    if (step % 500 === 0) line += `  held-out ppl ${(await heldOutPerplexity()).toFixed(3)}`;
    console.log(line);
  },
});
const ppl = await heldOutPerplexity();
const bytes = await saveEmbeddedModel(taskName, model, {
  task: taskName, seed: recipe.seed, steps, batchSize: recipe.batchSize, lr: recipe.lr, backend,
  trainLoss: Number(loss.toFixed(4)), heldOutPerplexity: Number(ppl.toFixed(4)),
  seconds: Math.round((performance.now() - t0) / 1000),
});
console.log(`wrote public/models/${taskName}/ (${(bytes / 1e6).toFixed(2)} MB weights), held-out perplexity ${ppl.toFixed(3)}`);
model.dispose();
await verifier?.dispose();
