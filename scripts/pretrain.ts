/**
 * Pre-trains a task's embedded base model on its synthetic corpus and writes public/models/<task>/.
 * Seeded and reproducible on the same backend.   Run: npm run pretrain -- [--task sentiment] [--steps N]
 */
import { parseArgs } from 'node:util';
import { Adam } from '../src/core/lm/adam';
import { Gpt } from '../src/core/lm/gpt';
import { disposeBatch, makeBatch, totalNll, trainStep, type Sequence } from '../src/core/lm/train';
import { Rng } from '../src/core/rng';
import { createTask, pretrainRecipe } from '../src/core/tasks/registry';
import { initNodeBackend } from '../src/node/backend';
import { loadTokenizer, saveEmbeddedModel } from '../src/node/model-files';

const { values } = parseArgs({
  options: { task: { type: 'string', default: 'sentiment' }, steps: { type: 'string' }, backend: { type: 'string', default: 'wasm' } },
});
const taskName = values.task!;
const recipe = pretrainRecipe(taskName);
const steps = values.steps ? Number(values.steps) : recipe.steps;
const backend = await initNodeBackend(values.backend as 'wasm' | 'cpu');
const tokenizer = await loadTokenizer(taskName);
const task = createTask(taskName);
const eos = tokenizer.eosId;
const docs: Sequence[] = recipe.corpus(recipe.seed).map((t) => ({ tokens: [eos, ...tokenizer.encode(t), eos], lossFrom: 1 }));
const heldOut: Sequence[] = task.heldOutText.map((t) => ({ tokens: [eos, ...tokenizer.encode(t), eos], lossFrom: 1 }));
const config = { ...recipe.model, vocabSize: tokenizer.vocabSize };
const model = new Gpt(config, undefined, recipe.seed);
const opt = new Adam();
const rng = Rng.derive(recipe.seed, 'pretrain/batches');
console.log(`pretrain ${taskName}: ${model.numParams()} params, ${docs.length} docs, ${steps} steps of ${recipe.batchSize}, backend ${backend}`);

/** Linear warm-up, then cosine decay to a tenth. */
function lrAt(step: number): number {
  if (step < recipe.warmup) return (recipe.lr * (step + 1)) / recipe.warmup;
  const p = (step - recipe.warmup) / Math.max(1, steps - recipe.warmup);
  return recipe.lr * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * p)));
}

async function heldOutPerplexity(): Promise<number> {
  const { nll, tokens } = await totalNll(model, heldOut, eos);
  return Math.exp(nll / tokens);
}

const t0 = performance.now();
let order: Sequence[] = [];
let cursor = 0;
let running = 0;
for (let step = 0; step < steps; step++) {
  if (cursor + recipe.batchSize > order.length) {
    order = rng.shuffled(docs);
    cursor = 0;
  }
  const batch = makeBatch(order.slice(cursor, cursor + recipe.batchSize), config.blockSize, eos);
  cursor += recipe.batchSize;
  const loss = await trainStep(model, opt, batch, lrAt(step), 1);
  disposeBatch(batch);
  running = step === 0 ? loss : 0.98 * running + 0.02 * loss;
  if ((step + 1) % 100 === 0 || step === steps - 1) {
    const sec = (performance.now() - t0) / 1000;
    let line = `step ${step + 1}/${steps}  loss ${running.toFixed(3)}  lr ${lrAt(step).toExponential(2)}  ${sec.toFixed(0)} s`;
    if ((step + 1) % 500 === 0 || step === steps - 1) line += `  held-out ppl ${(await heldOutPerplexity()).toFixed(3)}`;
    console.log(line);
  }
}
const ppl = await heldOutPerplexity();
const bytes = await saveEmbeddedModel(taskName, model, {
  task: taskName, seed: recipe.seed, steps, batchSize: recipe.batchSize, lr: recipe.lr, backend,
  trainLoss: Number(running.toFixed(4)), heldOutPerplexity: Number(ppl.toFixed(4)),
  seconds: Math.round((performance.now() - t0) / 1000),
});
console.log(`wrote public/models/${taskName}/ (${(bytes / 1e6).toFixed(2)} MB weights), held-out perplexity ${ppl.toFixed(3)}`);
opt.dispose();
model.dispose();
