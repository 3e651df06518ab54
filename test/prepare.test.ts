/**
 * The one run set-up of the CLI and the trainer worker (src/core/run/prepare.ts): a custom task's reward is checked
 * before any model loads, the run records the model as its source pinned it, and a refused engine leaves no model.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { parseTaskDocument, taskDocumentJson } from '../src/core/tasks/custom/document';
import { createRunEngine, prepareRun, type LoadedModel } from '../src/core/run/prepare';
import { charTokenizer, tinyConfig, tinyModel } from './helpers';

const pythonTask = taskDocumentJson(parseTaskDocument({
  raftlabTask: 1, name: 'python reward', prompts: ['a', 'b', 'c', 'd'],
  reward: { kind: 'python', code: 'def reward(prompts, completions, **kw):\n    return [1.0 for _ in completions]\n' },
}));

describe('prepareRun', () => {
  it('builds the task and the general tasks, and the run names the model as its source pinned it', async () => {
    const loaded: string[] = [];
    const run = await prepareRun(tinyConfig({ task: 'sentiment', model: 'org/tiny', general: 'arithmetic' }), {}, async (config, task) => {
      loaded.push(`${config.model} for ${task.name}`);
      return { model: tinyModel(1), tokenizer: charTokenizer, baseId: 'tiny', linkModel: 'org/tiny@abc123' } satisfies LoadedModel;
    });
    expect(loaded).toEqual(['org/tiny for sentiment']);
    expect(run.config.model).toBe('org/tiny@abc123');
    expect(run.task.name).toBe('sentiment');
    expect(run.general.map((t) => t.name)).toEqual(['arithmetic']);
    run.base.model.dispose();
  });

  it('refuses a custom task whose reward cannot be checked before any model loads', async () => {
    let calls = 0;
    const statuses: string[] = [];
    const config = tinyConfig({ task: 'custom', taskDoc: pythonTask });
    const source = async () => {
      calls++;
      return { model: tinyModel(1), tokenizer: charTokenizer, baseId: 'tiny', linkModel: 'embedded' };
    };
    await expect(prepareRun(config, {}, source, (s) => statuses.push(s))).rejects.toThrow(/needs the Python verifier/);
    expect(calls).toBe(0);
    expect(statuses).toEqual(['checking the reward of "python reward"']);
  });

  it('disposes the model when the engine refuses the settings', async () => {
    const before = tf.memory().numTensors;
    const run = await prepareRun(tinyConfig({ lora: 4, loraTargets: 'q_proj' }), {}, async () => ({ model: tinyModel(1), tokenizer: charTokenizer, baseId: 'tiny', linkModel: 'embedded' }));
    expect(() => createRunEngine(run)).toThrow(/q_proj/);
    expect(tf.memory().numTensors).toBe(before);
  });
});
