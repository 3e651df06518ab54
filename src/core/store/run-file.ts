/**
 * A run as one file (export / import): the run's record, every cycle's stats and samples, and its newest valid
 * checkpoint, in a checksummed container. Importing validates everything before anything is written, so a damaged
 * or foreign file changes nothing.
 */
import { decodeConfigHash, encodeConfigHash } from '../config/url';
import { checkConfig, completeConfig, fieldOf, parseFieldValue, type ConfigProblem, type RunConfig } from '../config/schema';
import { decodeCheckpoint } from './checkpoint';
import { ContainerError, packContainer, unpackContainer } from './container';
import type { CycleRecord, RunRecord, RunStorage } from './records';

const MAGIC = 'RAFTRUN1';
const VERSION = 1;

export interface RunFile {
  run: RunRecord;
  cycles: CycleRecord[];
  checkpoint: { cycle: number; bytes: Uint8Array } | null;
}

export function encodeRunFile(file: RunFile): Uint8Array {
  const ck = file.checkpoint?.bytes ?? new Uint8Array(0);
  const payload = new Float32Array(ck.slice().buffer); // checkpoints are a multiple of 4 bytes long
  const cycles = file.cycles.map((c) => mapImages(c, (rgba) => (rgba instanceof Uint8ClampedArray || rgba instanceof Uint8Array ? toBase64(rgba) : rgba)));
  return packContainer(MAGIC, VERSION, { run: file.run, cycles, checkpointCycle: file.checkpoint?.cycle ?? null }, payload);
}

/** Decode and validate a run file; throws a ContainerError saying what is wrong. */
export function decodeRunFile(bytes: Uint8Array): RunFile {
  const { header, payload } = unpackContainer(bytes, MAGIC, VERSION, 'run file');
  const h = header as { run?: RunRecord; cycles?: CycleRecord[]; checkpointCycle?: number | null };
  if (!h || typeof h !== 'object' || !h.run || typeof h.run !== 'object' || !Array.isArray(h.cycles)) {
    throw new ContainerError('run file: missing run or cycles');
  }
  const { config, problems } = checkedConfig(h.run.config);
  if (problems.length > 0) throw new ContainerError(`run file: invalid configuration (${problems.map((p) => p.message).join('; ')})`);
  for (const c of h.cycles) {
    if (!c || typeof c !== 'object' || !Number.isInteger(c.cycle) || !c.stats || typeof c.stats.evalReward !== 'number') {
      throw new ContainerError('run file: a cycle record is malformed');
    }
  }
  let checkpoint: RunFile['checkpoint'] = null;
  if (h.checkpointCycle !== null && h.checkpointCycle !== undefined) {
    const ck = new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
    const { state } = decodeCheckpoint(ck); // throws if damaged
    if (state.cycle !== h.checkpointCycle + 1) throw new ContainerError('run file: checkpoint does not match its cycle');
    checkpoint = { cycle: h.checkpointCycle, bytes: ck.slice() };
  }
  const cycles = h.cycles.map((c) => mapImages(c, (rgba) => (typeof rgba === 'string' ? fromBase64(rgba) : rgba)));
  return { run: { ...h.run, config }, cycles, checkpoint };
}

/**
 * Image runs' samples carry their thumbnails as RGBA bytes (image.rgba, a Uint8ClampedArray): base64 text in the
 * file's JSON header, bytes again when read.
 */
function mapImages(c: CycleRecord, f: (rgba: unknown) => unknown): CycleRecord {
  const map = (list: unknown) =>
    Array.isArray(list)
      ? list.map((s: { image?: { rgba?: unknown } }) => (s && s.image && typeof s.image === 'object' ? { ...s, image: { ...s.image, rgba: f(s.image.rgba) } } : s))
      : list;
  return { ...c, kept: map(c.kept) as CycleRecord['kept'], evalSamples: map(c.evalSamples) as CycleRecord['evalSamples'] };
}

function toBase64(bytes: Uint8Array | Uint8ClampedArray): string {
  let text = '';
  for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]!);
  return btoa(text);
}

function fromBase64(text: string): Uint8ClampedArray {
  const bin = atob(text);
  const out = new Uint8ClampedArray(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * A stored configuration checked as strictly as a link: every setting through the URL hash's parser, and a custom
 * task's document on its own (the run file carries it whole: a link's size limit does not apply to files).
 */
function checkedConfig(stored: unknown): { config: RunConfig; problems: ConfigProblem[] } {
  const raw = stored && typeof stored === 'object' ? (stored as { taskDoc?: unknown }).taskDoc : undefined;
  const taskDoc = typeof raw === 'string' ? raw : '';
  const decoded = decodeConfigHash(safeHash(stored && typeof stored === 'object' ? { ...stored, taskDoc: '' } : stored));
  const config = decoded.config;
  // the missing document was taken out above; it is checked here and the cross-field checks run again
  const problems = decoded.problems.filter((p) => p.key !== 'taskDoc');
  if (taskDoc !== '') {
    const parsed = parseFieldValue(fieldOf('taskDoc'), taskDoc);
    if (parsed.ok) config.taskDoc = parsed.value;
    else problems.push({ key: 'taskDoc', value: taskDoc.slice(0, 60), message: parsed.message });
  }
  for (const p of checkConfig(config)) if (!problems.some((q) => q.message === p.message)) problems.push(p);
  return { config, problems };
}

function safeHash(config: unknown): string {
  try {
    return encodeConfigHash(completeConfig(config as Partial<RunConfig>));
  } catch {
    return 'v=0';
  }
}

export async function exportRun(store: RunStorage, runId: string): Promise<Uint8Array> {
  const run = await store.getRun(runId);
  if (!run) throw new Error(`no run ${runId}`);
  const cycles = await store.getCycles(runId);
  const { found } = await store.latestCheckpoint(runId);
  const bytes = found ? await store.checkpointBytes(runId, found.cycle) : undefined;
  return encodeRunFile({ run, cycles, checkpoint: found && bytes ? { cycle: found.cycle, bytes } : null });
}

/** Import a run file as a new run (new id); nothing is written unless the whole file is valid. */
export async function importRun(store: RunStorage, bytes: Uint8Array): Promise<RunRecord> {
  const file = decodeRunFile(bytes);
  const id = globalThis.crypto?.randomUUID?.() ?? `run-${Date.now().toString(36)}`;
  const run: RunRecord = {
    ...file.run,
    id,
    name: `${file.run.name} (imported)`,
    status: file.run.status === 'running' ? 'interrupted' : file.run.status,
    checkpointCycles: file.checkpoint ? [file.checkpoint.cycle] : [],
    checkpointBytes: file.checkpoint?.bytes.byteLength ?? 0,
    updatedAt: Date.now(),
  };
  await store.putWholeRun(run, file.cycles.map((c) => ({ ...c, runId: id })), file.checkpoint ?? undefined);
  return run;
}
