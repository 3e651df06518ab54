import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../src/core/config/schema';
import { RaftEngine } from '../src/core/raft/engine';
import { decodeCheckpoint, encodeCheckpoint } from '../src/core/store/checkpoint';
import { exportRun, importRun } from '../src/core/store/run-file';
import { KEEP_CHECKPOINTS, RunStore, StoreError } from '../src/browser/store/run-store';
import { charTokenizer, tinyConfig, tinyModel, toyTask } from './helpers';

let dbCount = 0;
const newStore = () => new RunStore(`raftlab-test-${dbCount++}`);

/** Runs `cycles` cycles of a tiny engine into the store, checkpointing each. */
async function recordRun(store: RunStore, cycles: number) {
  const config = tinyConfig({ seed: 3 });
  const engine = new RaftEngine({ model: tinyModel(1), tokenizer: charTokenizer, task: toyTask, config });
  const run = await store.createRun(config);
  const meta = { config, baseModel: 'tiny' };
  const checkpoints: Uint8Array[] = [];
  for (let c = 0; c < cycles; c++) {
    const r = await engine.runCycle();
    const ck = encodeCheckpoint(await engine.exportState(), meta);
    checkpoints.push(ck);
    await store.saveCycle(run.id, { cycle: r.stats.cycle, stats: r.stats, kept: r.samples.filter((s) => s.kept), evalSamples: r.evalSamples }, ck);
  }
  engine.dispose();
  engine.model.dispose();
  return { run, checkpoints };
}

/** Make IndexedDB puts throw a quota error while `when(value)` holds. */
function simulateQuota(when: (value: unknown) => boolean): () => void {
  const proto = IDBObjectStore.prototype;
  const put = proto.put;
  proto.put = function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
    if (when(value)) throw new DOMException('simulated: quota exceeded', 'QuotaExceededError');
    return put.call(this, value, key);
  };
  return () => {
    proto.put = put;
  };
}

describe('checkpoints', () => {
  it('encode/decode round-trips an engine state; one flipped byte is detected', async () => {
    const engine = new RaftEngine({ model: tinyModel(2), tokenizer: charTokenizer, task: toyTask, config: tinyConfig() });
    await engine.runCycle();
    await engine.runCycle();
    const state = await engine.exportState();
    const bytes = encodeCheckpoint(state, { config: engine.config, baseModel: 'tiny' });
    expect(decodeCheckpoint(bytes).state).toEqual(state);
    const bad = bytes.slice();
    bad[bad.length >> 1]! ^= 0x10;
    expect(() => decodeCheckpoint(bad)).toThrow(/damaged/);
    expect(() => decodeCheckpoint(new TextEncoder().encode('{"hello":1}'.padEnd(40)))).toThrow(/not a RAFT Lab file/);
    engine.dispose();
    engine.model.dispose();
  });
});

describe('run store (IndexedDB)', () => {
  it('keeps each cycle, the two newest checkpoints and the run summary; lists runs', async () => {
    const store = newStore();
    const { run, checkpoints } = await recordRun(store, 3);
    const [listed] = await store.listRuns();
    expect(listed!.id).toBe(run.id);
    expect(listed!.cyclesDone).toBe(3);
    expect(KEEP_CHECKPOINTS).toBe(2);
    expect(listed!.checkpointCycles).toEqual([1, 2]);
    expect(listed!.checkpointBytes).toBe(checkpoints[1]!.byteLength + checkpoints[2]!.byteLength);
    expect(await store.checkpointBytes(run.id, 0)).toBeUndefined();
    expect((await store.getCycles(run.id)).map((c) => c.cycle)).toEqual([0, 1, 2]);
    const { found, skipped } = await store.latestCheckpoint(run.id);
    expect(skipped).toEqual([]);
    expect(found!.cycle).toBe(2);
    expect(found!.state).toEqual(decodeCheckpoint(checkpoints[2]!).state);
  });

  it('a corrupted checkpoint record is detected and the previous one is used', async () => {
    const store = newStore();
    const { run, checkpoints } = await recordRun(store, 3);
    const bad = checkpoints[2]!.slice();
    bad[100]! ^= 0xff;
    await store.putWholeRun((await store.getRun(run.id))!, [], { cycle: 2, bytes: bad });
    const { found, skipped } = await store.latestCheckpoint(run.id);
    expect(skipped).toEqual([{ cycle: 2, error: 'checkpoint: damaged (checksum mismatch)' }]);
    expect(found!.cycle).toBe(1);
  });

  it('on a quota error the cycle is kept without its checkpoint, with a message; the previous checkpoint stays', async () => {
    const store = newStore();
    const { run, checkpoints } = await recordRun(store, 2);
    const restore = simulateQuota((v) => (v as { bytes?: unknown }).bytes !== undefined);
    try {
      const stats = { ...(await store.getCycles(run.id))[1]!.stats, cycle: 2 };
      const res = await store.saveCycle(run.id, { cycle: 2, stats, kept: [], evalSamples: [] }, checkpoints[1]!.slice());
      expect(res.checkpointSaved).toBe(false);
      expect(res.warning).toMatch(/Storage is full: cycle 2's stats were saved but its checkpoint/);
    } finally {
      restore();
    }
    expect((await store.getCycles(run.id)).map((c) => c.cycle)).toEqual([0, 1, 2]);
    expect((await store.latestCheckpoint(run.id)).found!.cycle).toBe(1);
    expect((await store.getRun(run.id))!.checkpointCycles).toEqual([0, 1]);
  });

  it('when nothing fits, nothing is half-written: the cycle is absent and the error says so', async () => {
    const store = newStore();
    const { run } = await recordRun(store, 1);
    const before = await store.getRun(run.id);
    const restore = simulateQuota((v) => (v as { cycle?: number }).cycle === 1);
    try {
      const stats = { ...(await store.getCycles(run.id))[0]!.stats, cycle: 1 };
      await expect(store.saveCycle(run.id, { cycle: 1, stats, kept: [], evalSamples: [] }, new Uint8Array(8))).rejects.toBeInstanceOf(StoreError);
    } finally {
      restore();
    }
    expect((await store.getCycles(run.id)).map((c) => c.cycle)).toEqual([0]);
    expect(await store.getRun(run.id)).toEqual(before);
  });

  it('keeps every checkpoint when asked to', async () => {
    const store = new RunStore(`raftlab-test-${dbCount++}`, { keepCheckpoints: Infinity });
    const { run, checkpoints } = await recordRun(store, 3);
    expect((await store.getRun(run.id))!.checkpointCycles).toEqual([0, 1, 2]);
    expect((await store.getRun(run.id))!.checkpointBytes).toBe(checkpoints.reduce((n, c) => n + c.byteLength, 0));
    expect(() => new RunStore('x', { keepCheckpoints: 0 })).toThrow(/at least 1/);
  });

  it('deleting old checkpoints keeps every cycle\'s stats', async () => {
    const store = new RunStore(`raftlab-test-${dbCount++}`, { keepCheckpoints: Infinity });
    const { run, checkpoints } = await recordRun(store, 3);
    const freed = await store.deleteCheckpoints(run.id, true);
    expect(freed).toBe(checkpoints[0]!.byteLength + checkpoints[1]!.byteLength);
    expect((await store.getRun(run.id))!.checkpointCycles).toEqual([2]);
    expect((await store.getCycles(run.id))).toHaveLength(3);
  });
});

describe('run files (export / import)', () => {
  it('round-trips a run as a new run with its stats and last checkpoint', async () => {
    const store = newStore();
    const { run, checkpoints } = await recordRun(store, 2);
    const file = await exportRun(store, run.id);
    const imported = await importRun(store, file);
    expect(imported.id).not.toBe(run.id);
    expect((await store.getCycles(imported.id)).map((c) => c.stats)).toEqual((await store.getCycles(run.id)).map((c) => c.stats));
    expect((await store.latestCheckpoint(imported.id)).found!.state).toEqual(decodeCheckpoint(checkpoints[1]!).state);
    expect(await store.listRuns()).toHaveLength(2);
  });

  it('a damaged or foreign file gives a clear error and changes nothing', async () => {
    const store = newStore();
    const { run } = await recordRun(store, 1);
    const file = await exportRun(store, run.id);
    const damaged = file.slice();
    damaged[damaged.length - 20]! ^= 1;
    await expect(importRun(store, damaged)).rejects.toThrow(/run file: damaged/);
    await expect(importRun(store, new TextEncoder().encode(JSON.stringify({ config: DEFAULT_CONFIG })))).rejects.toThrow(/not a RAFT Lab file/);
    await expect(importRun(store, new Uint8Array(3))).rejects.toThrow(/too short/);
    expect(await store.listRuns()).toHaveLength(1);
  });
});

describe('run files with bad content', () => {
  it('a well-formed file with an invalid configuration is refused', async () => {
    const { encodeRunFile } = await import('../src/core/store/run-file');
    const store = newStore();
    const { run } = await recordRun(store, 1);
    const bad = encodeRunFile({ run: { ...run, config: { ...run.config, samplesPerPrompt: 999 } }, cycles: [], checkpoint: null });
    await expect(importRun(store, bad)).rejects.toThrow(/invalid configuration.*samplesPerPrompt/);
    expect(await store.listRuns()).toHaveLength(1);
  });

  it('a custom task travels in the run file whole, beyond a link\'s size; a broken task document is refused', async () => {
    const { decodeRunFile, encodeRunFile } = await import('../src/core/store/run-file');
    const { parseTaskDocument, taskDocumentJson } = await import('../src/core/tasks/custom/document');
    const { MAX_TASK_LINK_CHARS, encodeTaskLink } = await import('../src/core/config/task-link');
    const store = newStore();
    const { run } = await recordRun(store, 1);
    // 6000 distinct prompts of scrambled digits (they compress badly): more than a link carries
    const prompts = Array.from({ length: 6000 }, (_, i) => ({ prompt: `review ${((i * 2654435761) >>> 0).toString(36)} ${((i * 40503 + 7) >>> 0).toString(36)}`, id: i }));
    const taskDoc = taskDocumentJson(parseTaskDocument({ raftlabTask: 1, name: 'big', prompts, reward: { kind: 'builtin', name: 'sentiment' } }));
    expect(encodeTaskLink(taskDoc).length).toBeGreaterThan(MAX_TASK_LINK_CHARS);
    const config = { ...run.config, task: 'custom' as const, taskDoc };
    const back = decodeRunFile(encodeRunFile({ run: { ...run, config }, cycles: [], checkpoint: null }));
    expect(back.run.config).toEqual(config);
    const broken = encodeRunFile({ run: { ...run, config: { ...config, taskDoc: '{"raftlabTask": 1, "name": "<b>x</b>", "prompts": [], "reward": {}}' } }, cycles: [], checkpoint: null });
    await expect(importRun(store, broken)).rejects.toThrow(/invalid configuration \(taskDoc: prompts must have at least one prompt/);
  });

  it('a run saved before the newer settings existed reads back, imports and resumes with their defaults', async () => {
    const { encodeRunFile } = await import('../src/core/store/run-file');
    const store = newStore();
    const { run } = await recordRun(store, 1);
    // the config as a run saved before DDIM steps, reward chunk, generation batch and patience were settings
    const { ddimSteps: _d, guidance: _g, noiseDraws: _n, rewardChunk: _r, genBatch: _b, patience: _p, minDelta: _m, ...old } = run.config;
    await store.putWholeRun({ ...run, id: 'old-run', config: old as typeof run.config }, []);
    const back = await store.getRun('old-run');
    expect(back!.config).toEqual(run.config);
    expect((await store.listRuns()).find((r) => r.id === 'old-run')!.config).toEqual(run.config);
    const imported = await importRun(store, encodeRunFile({ run: { ...run, config: old as typeof run.config }, cycles: [], checkpoint: null }));
    expect(imported.config).toEqual(run.config);
  });
});
