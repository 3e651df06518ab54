import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { RunConfig } from '../src/core/config/schema';
import { RaftEngine } from '../src/core/raft/engine';
import type { CycleStats } from '../src/core/raft/stats';
import { RunRecorder, interruptedRuns } from '../src/core/store/run-recorder';
import { RunStore } from '../src/browser/store/run-store';
import { charTokenizer, tinyConfig, tinyModel, toyTask } from './helpers';

let n = 0;
const makeEngine = async (config: RunConfig) => new RaftEngine({ model: tinyModel(1), tokenizer: charTokenizer, task: toyTask, config });
const noTimes = (s: CycleStats) => ({ ...s, ms: null, verifyPerSec: null }); // timings differ between identical runs

describe('run recorder', () => {
  it('an interrupted run resumes from its last saved cycle and ends equal to an uninterrupted run', async () => {
    const config = tinyConfig({ seed: 21, cycles: 4 });
    const whole = await makeEngine(config);
    for (let c = 0; c <= 4; c++) await whole.runCycle();

    const store = new RunStore(`recorder-${n++}`);
    const recorder = new RunRecorder(store, 'tiny');
    const run = await recorder.start(config);
    const first = await makeEngine(config);
    for (let c = 0; c <= 2; c++) await recorder.record(run.id, first, await first.runCycle());
    await first.runCycle(); // cycle 3 finishes in memory but the "tab closes" before it is saved
    first.dispose();

    expect((await interruptedRuns(store)).map((r) => r.id)).toEqual([run.id]);
    const { engine, cycles, notes } = await recorder.resume(run.id, makeEngine);
    expect(notes).toEqual([]);
    expect(engine.cycle).toBe(3);
    expect(cycles.map((c) => c.cycle)).toEqual([0, 1, 2]);
    while (engine.cycle <= config.cycles) await recorder.record(run.id, engine, await engine.runCycle());
    const saved = (await store.getCycles(run.id)).map((c) => noTimes(c.stats as CycleStats));
    expect(saved).toEqual(whole.history.map(noTimes));
    expect((await store.getRun(run.id))!.status).toBe('done');
    expect(await interruptedRuns(store)).toEqual([]);
  });

  it('a checkpoint of another base model is not restored, and says so', async () => {
    const config = tinyConfig({ seed: 2, cycles: 2 });
    const store = new RunStore(`recorder-${n++}`);
    const run = await new RunRecorder(store, 'model-a').start(config);
    const e = await makeEngine(config);
    await new RunRecorder(store, 'model-a').record(run.id, e, await e.runCycle());
    const { engine, notes } = await new RunRecorder(store, 'model-b').resume(run.id, makeEngine);
    expect(engine.cycle).toBe(0);
    expect(notes[0]).toMatch(/another base model/);
  });
});
