/**
 * What the trainer worker does beside runs, each with its own model or task, loaded and let go: the conformance probe
 * (a text or token ids scored with a Hub model) and the task editor's "Try the reward".
 */
import { createRunTask } from '../../src/core/tasks/run-task';
import { checkCustomTask } from '../../src/core/tasks/custom/task';
import { parseTaskDocument } from '../../src/core/tasks/custom/document';
import type { RewardResult } from '../../src/core/tasks/types';
import { scoreIds, type ScoreResult } from '../../src/core/lm/score';
import { loadHubModelFromUrl } from '../../src/browser/hub-model';
import { taskContextFor } from '../../src/browser/verify/task-context';
import { send } from './events';
import { deviceLimits, endpointOf, modelPlace, type MachineSettings } from './machine';

/** Score token ids (or a text, by the model's tokenizer) with a Hub model, loaded through the cache and disposed. */
export async function scoreWithHubModel(pageUrl: string, modelName: string, input: { text?: string; ids?: number[] }, settings: MachineSettings): Promise<ScoreResult & { architecture: string; pinned: string }> {
  send({ type: 'status', message: `loading ${modelName} to score` });
  const shape = { inferenceOnly: true, lora: 0, loraTargets: 'q', batchSize: 1, genBatch: 1, maxNewTokens: 0 };
  const h = await loadHubModelFromUrl(modelName, settings.hfEndpoint, shape, deviceLimits(settings), modelPlace(pageUrl, modelName, settings));
  try {
    const ids = input.ids ?? h.tokenizer.encode(input.text ?? '');
    return { ...(await scoreIds(h.model, ids)), architecture: h.model.architecture, pinned: h.pinned };
  } finally {
    h.model.dispose();
    send({ type: 'status', message: '' });
  }
}

/**
 * "Try the reward": check a task document's reward (Python compiles and passes the sandbox's policy, a classifier
 * has its label) and score one completion of one of its prompts, in the same sandboxed workers a run uses.
 */
export async function tryReward(pageUrl: string, taskDoc: string, sample: { prompt: string; completion: string; row?: Record<string, unknown> }, settings: MachineSettings = {}): Promise<RewardResult> {
  const doc = parseTaskDocument(taskDoc);
  const config = { task: 'custom' as const, taskDoc };
  const ctx = taskContextFor(config, pageUrl, endpointOf(settings));
  await checkCustomTask(doc, ctx);
  const task = createRunTask(config, ctx);
  const [r] = await task.rewardMany!([{ prompt: sample.prompt, completion: sample.completion, row: { prompt: sample.prompt, ...(sample.row ?? {}) } }]);
  return r!;
}
