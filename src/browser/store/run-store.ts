/**
 * The run store in IndexedDB (through `idb`): runs, their per-cycle stats and kept samples, and a checkpoint at
 * every cycle boundary. A cycle's stats, samples, checkpoint and the run's summary are written in ONE transaction,
 * so a crash mid-write leaves the previous cycle (and its checkpoint) as the last valid one. Checkpoints carry a
 * CRC-32: a damaged one is skipped and the one before it is used. On a quota error the cycle is saved without its
 * checkpoint and the caller is told; nothing is ever half-written.
 * Works wherever IndexedDB exists (page, worker; fake-indexeddb in unit tests).
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import { completeConfig, type RunConfig } from '../../core/config/schema';
import { decodeCheckpoint } from '../../core/store/checkpoint';
import { taskLabel } from '../../core/tasks/custom/document';
import { formatBytes, StoreError, type CycleRecord, type LoadedCheckpoint, type RunRecord, type RunStatus, type RunStorage, type SaveResult } from '../../core/store/records';

export { StoreError, formatBytes, type CycleRecord, type LoadedCheckpoint, type RunRecord, type RunStatus, type SaveResult } from '../../core/store/records';

interface CheckpointRecord {
  runId: string;
  cycle: number;
  bytes: Uint8Array;
  createdAt: number;
}

interface RaftLabDB extends DBSchema {
  runs: { key: string; value: RunRecord };
  cycles: { key: [string, number]; value: CycleRecord; indexes: { runId: string } };
  checkpoints: { key: [string, number]; value: CheckpointRecord; indexes: { runId: string } };
}

/**
 * Checkpoints a run keeps: the newest (resume) and the one before it (the fallback when the newest turns out damaged).
 * Older ones are deleted when a new one is written; every cycle's stats and samples stay.
 */
export const KEEP_CHECKPOINTS = 2;

export class RunStore implements RunStorage {
  readonly #db: Promise<IDBPDatabase<RaftLabDB>>;
  readonly #keepCheckpoints: number;

  /** `keepCheckpoints`: how many of a run's newest checkpoints are kept (Infinity keeps all). */
  constructor(name = 'raftlab', { keepCheckpoints = KEEP_CHECKPOINTS }: { keepCheckpoints?: number } = {}) {
    if (!(keepCheckpoints >= 1)) throw new Error(`keepCheckpoints must be at least 1 (got ${keepCheckpoints})`);
    this.#keepCheckpoints = keepCheckpoints;
    this.#db = openDB<RaftLabDB>(name, 1, {
      upgrade(db) {
        db.createObjectStore('runs', { keyPath: 'id' });
        db.createObjectStore('cycles', { keyPath: ['runId', 'cycle'] }).createIndex('runId', 'runId');
        db.createObjectStore('checkpoints', { keyPath: ['runId', 'cycle'] }).createIndex('runId', 'runId');
      },
    });
  }

  async createRun(config: RunConfig, name?: string): Promise<RunRecord> {
    const now = Date.now();
    const run: RunRecord = {
      id: newId(),
      name: name ?? `${taskLabel(config)} seed ${config.seed}`,
      task: config.task,
      config,
      createdAt: now,
      updatedAt: now,
      cyclesDone: 0,
      bestReward: null,
      status: 'running',
      checkpointBytes: 0,
      checkpointCycles: [],
    };
    await (await this.#db).put('runs', run);
    return run;
  }

  /**
   * Record a finished cycle and (optionally) its checkpoint atomically. If the checkpoint does not fit the quota,
   * the cycle is recorded without it; if even that fails, a StoreError('quota') is thrown and nothing is written.
   */
  async saveCycle(runId: string, record: Omit<CycleRecord, 'runId'>, checkpoint?: Uint8Array): Promise<SaveResult> {
    try {
      await this.#writeCycle(runId, record, checkpoint);
      return { checkpointSaved: checkpoint !== undefined };
    } catch (e) {
      if (!isQuotaError(e) || !checkpoint) throw wrap(e);
    }
    try {
      await this.#writeCycle(runId, record, undefined);
    } catch (e) {
      throw wrap(e);
    }
    return {
      checkpointSaved: false,
      warning: `Storage is full: cycle ${record.cycle}'s stats were saved but its checkpoint (${formatBytes(checkpoint.byteLength)}) was not. Delete old checkpoints to make room.`,
    };
  }

  async #writeCycle(runId: string, record: Omit<CycleRecord, 'runId'>, checkpoint: Uint8Array | undefined): Promise<void> {
    const db = await this.#db;
    const tx = db.transaction(['runs', 'cycles', 'checkpoints'], 'readwrite');
    const run = await tx.objectStore('runs').get(runId);
    if (!run) {
      tx.abort();
      throw new StoreError(`no run ${runId}`, 'missing');
    }
    await tx.objectStore('cycles').put({ runId, ...record });
    const next: RunRecord = {
      ...run,
      updatedAt: Date.now(),
      cyclesDone: Math.max(run.cyclesDone, record.cycle + 1),
      bestReward: Math.max(run.bestReward ?? -Infinity, record.stats.evalReward),
    };
    if (checkpoint) {
      const store = tx.objectStore('checkpoints');
      await store.put({ runId, cycle: record.cycle, bytes: checkpoint, createdAt: Date.now() });
      // in the same transaction: the old checkpoints go only if the new one is written; one read gives the cycles to
      // delete and the size of the ones kept
      const all = (await store.index('runId').getAll(runId)).sort((a, b) => a.cycle - b.cycle);
      const kept = all.slice(Math.max(0, all.length - this.#keepCheckpoints));
      for (const r of all.slice(0, all.length - kept.length)) await store.delete([runId, r.cycle]);
      next.checkpointCycles = kept.map((r) => r.cycle);
      next.checkpointBytes = kept.reduce((n, r) => n + toBytes(r.bytes).byteLength, 0);
    }
    await tx.objectStore('runs').put(next);
    await tx.done.catch((e: unknown) => {
      throw e;
    });
  }

  async setStatus(runId: string, status: RunStatus): Promise<void> {
    const db = await this.#db;
    const tx = db.transaction('runs', 'readwrite');
    const run = await tx.store.get(runId);
    if (run) await tx.store.put({ ...run, status, updatedAt: Date.now() });
    await tx.done;
  }

  /** Every run, newest first; configs completed with the settings added since they were saved (completeConfig). */
  async listRuns(): Promise<RunRecord[]> {
    const runs = await (await this.#db).getAll('runs');
    return runs.map(withCompleteConfig).sort((a, b) => b.updatedAt - a.updatedAt);
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    const run = await (await this.#db).get('runs', runId);
    return run && withCompleteConfig(run);
  }

  async getCycles(runId: string): Promise<CycleRecord[]> {
    const rows = await (await this.#db).getAllFromIndex('cycles', 'runId', runId);
    return rows.sort((a, b) => a.cycle - b.cycle);
  }

  /** The newest checkpoint that decodes (null if none); damaged ones are skipped and listed. */
  async latestCheckpoint(runId: string): Promise<{ found: LoadedCheckpoint | null; skipped: Array<{ cycle: number; error: string }> }> {
    const db = await this.#db;
    const keys = (await db.getAllKeysFromIndex('checkpoints', 'runId', runId)).sort((a, b) => b[1] - a[1]);
    const skipped: Array<{ cycle: number; error: string }> = [];
    for (const key of keys) {
      const rec = await db.get('checkpoints', key);
      if (!rec) continue;
      try {
        const { state, meta } = decodeCheckpoint(toBytes(rec.bytes));
        if (state.cycle !== rec.cycle + 1) throw new Error(`checkpoint: holds the state after cycle ${state.cycle - 1}, stored as ${rec.cycle}`);
        return { found: { cycle: rec.cycle, state, meta }, skipped };
      } catch (e) {
        skipped.push({ cycle: rec.cycle, error: e instanceof Error ? e.message : String(e) });
      }
    }
    return { found: null, skipped };
  }

  /** Raw checkpoint bytes of one cycle (for export). */
  async checkpointBytes(runId: string, cycle: number): Promise<Uint8Array | undefined> {
    const rec = await (await this.#db).get('checkpoints', [runId, cycle]);
    return rec ? toBytes(rec.bytes) : undefined;
  }

  /** Delete a run's checkpoints (all, or all but the newest); its stats and samples stay. Returns bytes freed. */
  async deleteCheckpoints(runId: string, keepNewest = false): Promise<number> {
    const db = await this.#db;
    const tx = db.transaction(['runs', 'checkpoints'], 'readwrite');
    const keys = (await tx.objectStore('checkpoints').index('runId').getAllKeys(runId)).sort((a, b) => a[1] - b[1]);
    const doomed = keepNewest ? keys.slice(0, -1) : keys;
    const before = await sizeOfCheckpoints(tx.objectStore('checkpoints'), runId);
    for (const k of doomed) await tx.objectStore('checkpoints').delete(k);
    const after = await sizeOfCheckpoints(tx.objectStore('checkpoints'), runId);
    const run = await tx.objectStore('runs').get(runId);
    if (run) {
      const left = new Set(keys.filter((k) => !doomed.includes(k)).map((k) => k[1]));
      await tx.objectStore('runs').put({ ...run, checkpointBytes: after, checkpointCycles: run.checkpointCycles.filter((c) => left.has(c)) });
    }
    await tx.done;
    return before - after;
  }

  async deleteRun(runId: string): Promise<void> {
    const db = await this.#db;
    const tx = db.transaction(['runs', 'cycles', 'checkpoints'], 'readwrite');
    for (const k of await tx.objectStore('cycles').index('runId').getAllKeys(runId)) await tx.objectStore('cycles').delete(k);
    for (const k of await tx.objectStore('checkpoints').index('runId').getAllKeys(runId)) await tx.objectStore('checkpoints').delete(k);
    await tx.objectStore('runs').delete(runId);
    await tx.done;
  }

  /** Write a whole run (from an import) in one transaction. */
  async putWholeRun(run: RunRecord, cycles: CycleRecord[], checkpoint?: { cycle: number; bytes: Uint8Array }): Promise<void> {
    const db = await this.#db;
    const tx = db.transaction(['runs', 'cycles', 'checkpoints'], 'readwrite');
    for (const c of cycles) await tx.objectStore('cycles').put({ ...c, runId: run.id });
    if (checkpoint) await tx.objectStore('checkpoints').put({ runId: run.id, cycle: checkpoint.cycle, bytes: checkpoint.bytes, createdAt: Date.now() });
    await tx.objectStore('runs').put(run);
    await tx.done;
  }

  async close(): Promise<void> {
    (await this.#db).close();
  }
}

/** Storage used and available for this origin, where the browser says. */
export async function storageEstimate(): Promise<{ usage: number; quota: number } | null> {
  const nav = (globalThis as { navigator?: { storage?: { estimate?: () => Promise<{ usage?: number; quota?: number }> } } }).navigator;
  if (!nav?.storage?.estimate) return null;
  const e = await nav.storage.estimate();
  return { usage: e.usage ?? 0, quota: e.quota ?? 0 };
}

async function sizeOfCheckpoints(store: { index(name: 'runId'): { getAll(q: string): Promise<CheckpointRecord[]> } }, runId: string): Promise<number> {
  const all = await store.index('runId').getAll(runId);
  return all.reduce((n, r) => n + toBytes(r.bytes).byteLength, 0);
}

function toBytes(b: Uint8Array | ArrayBuffer): Uint8Array {
  return b instanceof Uint8Array ? b : new Uint8Array(b);
}

function wrap(e: unknown): Error {
  if (e instanceof StoreError) return e;
  if (isQuotaError(e)) return new StoreError('Storage is full: this cycle could not be saved. Delete old runs or checkpoints to make room.', 'quota');
  return new StoreError(`Saving failed: ${e instanceof Error ? e.message : String(e)}`, 'other');
}

function newId(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  return c?.randomUUID ? c.randomUUID() : `run-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

function withCompleteConfig(run: RunRecord): RunRecord {
  return { ...run, config: completeConfig(run.config) };
}

/** The storage-full error of IndexedDB (Chromium and Firefox name it differently). */
function isQuotaError(e: unknown): boolean {
  const name = (e as { name?: string } | null)?.name;
  return name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED';
}
