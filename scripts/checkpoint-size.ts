/**
 * Bytes one saved checkpoint takes for the embedded model of a task, full fine-tuning vs LoRA:
 *   npx tsx scripts/checkpoint-size.ts [--task sentiment] [--lora 8]
 * Runs cycle 0 and one training cycle of a tiny configuration (the checkpoint's size does not depend on the
 * sampling settings), then encodes the engine's state with the run store's encoder (src/core/store/checkpoint.ts),
 * exactly as the trainer worker does before writing it to IndexedDB, and prints the sizes.
 */
import type { RunConfig } from '../src/core/config/schema';
import { DEFAULT_CONFIG } from '../src/core/config/schema';
import { RaftEngine } from '../src/core/raft/engine';
import { encodeCheckpoint } from '../src/core/store/checkpoint';
import { formatBytes } from '../src/browser/store/run-store';
import { createTask } from '../src/core/tasks/registry';
import { initNodeBackend } from '../src/node/backend';
import { loadEmbeddedModel } from '../src/node/model-files';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const taskName = arg('--task', 'sentiment') as RunConfig['task'];
const loraRank = Number(arg('--lora', '8'));

await initNodeBackend('wasm');

interface Measure {
  label: string;
  afterCycle0: number;
  afterCycle1: number;
  tensors: number;
  floats: number;
  params: number;
}

async function measure(lora: number): Promise<Measure> {
  const { model, tokenizer, manifest } = await loadEmbeddedModel(taskName);
  const config: RunConfig = {
    ...DEFAULT_CONFIG,
    task: taskName,
    seed: 1,
    cycles: 1,
    promptsPerCycle: 2,
    samplesPerPrompt: 2,
    maxNewTokens: 8,
    evalPrompts: 2,
    evalSamplesPerPrompt: 1,
    evalTexts: 4,
    epochsPerCycle: 1,
    lora,
  };
  const engine = new RaftEngine({ model, tokenizer, task: createTask(taskName), config });
  const meta = { config, baseModel: `${taskName}:${String(manifest.meta.steps)}:${String(manifest.meta.seed)}:${model.numParams()}` };
  try {
    await engine.runCycle();
    const afterCycle0 = encodeCheckpoint(await engine.exportState(), meta).byteLength;
    await engine.runCycle();
    const state = await engine.exportState();
    const afterCycle1 = encodeCheckpoint(state, meta).byteLength;
    const floats =
      [...state.weights.values()].reduce((n, w) => n + w.values.length, 0) +
      [...state.optimizer.m.values(), ...state.optimizer.v.values()].reduce((n, a) => n + a.length, 0);
    return {
      label: lora ? `LoRA rank ${lora} (${config.loraTargets})` : 'full fine-tuning',
      afterCycle0,
      afterCycle1,
      tensors: state.weights.size,
      floats,
      params: model.numParams(),
    };
  } finally {
    engine.dispose();
    model.dispose();
  }
}

const rows = [await measure(0), await measure(loraRank)];
console.log(`checkpoint sizes for the embedded "${taskName}" model (${rows[0]!.params.toLocaleString('en-US')} parameters):`);
for (const r of rows) {
  console.log(
    `  ${r.label}: ${r.afterCycle1.toLocaleString('en-US')} bytes (${formatBytes(r.afterCycle1)}) per trained cycle` +
      ` = ${r.floats.toLocaleString('en-US')} float32 (${r.tensors} weight tensors + Adam m and v) + header;` +
      ` cycle 0 (no optimizer state yet): ${r.afterCycle0.toLocaleString('en-US')} bytes`,
  );
}
console.log(`  ratio full / LoRA: ${(rows[0]!.afterCycle1 / rows[1]!.afterCycle1).toFixed(1)}x`);
