import { describe, expect, it } from 'vitest';
import { RaftEngine } from '../src/core/raft/engine';
import type { CycleStats } from '../src/core/raft/stats';
import { charTokenizer, tinyConfig, tinyModel, toyTask } from './helpers';

const withoutTimes = (s: CycleStats) => ({ ...s, ms: null, verifyPerSec: null }); // timings differ between identical runs

describe('resuming a run from its state', () => {
  for (const lora of [0, 4]) {
    it(`the resumed run's remaining cycles equal an uninterrupted run (lora ${lora})`, async () => {
      const config = tinyConfig({ lora, seed: 11, samplesPerPrompt: 4, promptsPerCycle: 4, select: 'global', keepTopPercent: 50 });
      const make = () => new RaftEngine({ model: tinyModel(1), tokenizer: charTokenizer, task: toyTask, config });
      const whole = make();
      const all = [];
      for (let c = 0; c <= 4; c++) all.push(await whole.runCycle());

      const first = make();
      await first.runCycle();
      await first.runCycle();
      const state = await first.exportState();
      first.dispose();
      first.model.dispose();

      const resumed = make(); // a fresh base model, as after a reload
      resumed.restoreState(state);
      expect(resumed.cycle).toBe(2);
      for (let c = 2; c <= 4; c++) {
        const r = await resumed.runCycle();
        expect(withoutTimes(r.stats)).toEqual(withoutTimes(all[c]!.stats));
        expect(r.samples).toEqual(all[c]!.samples);
        expect(r.evalSamples).toEqual(all[c]!.evalSamples);
      }
      expect(resumed.history.map(withoutTimes)).toEqual(whole.history.map(withoutTimes));
      for (const e of [whole, resumed]) {
        e.dispose();
        e.model.dispose();
      }
    });
  }
});
