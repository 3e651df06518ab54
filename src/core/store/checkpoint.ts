/**
 * Checkpoints: an EngineState (weights or LoRA adapters, Adam moments, RNG states, prompt position, stats so far)
 * plus what it belongs to (config, base model), encoded as one checksummed binary record.
 */
import type { RunConfig } from '../config/schema';
import type { EngineState } from '../raft/engine-state';
import { ContainerError, packContainer, unpackContainer } from './container';

const MAGIC = 'RAFTCKPT';
const VERSION = 1;

export interface CheckpointMeta {
  config: RunConfig;
  /** Identifies the base model the weights apply to (task, parameter count, pre-training facts). */
  baseModel: string;
}

interface Slice {
  name: string;
  shape: number[];
  offset: number;
  length: number;
}

interface Header {
  meta: CheckpointMeta;
  state: Omit<EngineState, 'weights' | 'optimizer'> & { optimizerStep: number };
  weights: Slice[];
  m: Slice[];
  v: Slice[];
}

export function encodeCheckpoint(state: EngineState, meta: CheckpointMeta): Uint8Array {
  const parts: Float32Array[] = [];
  let offset = 0;
  const add = (name: string, shape: number[], values: Float32Array): Slice => {
    parts.push(values);
    const s = { name, shape, offset, length: values.length };
    offset += values.length;
    return s;
  };
  const weights = [...state.weights].map(([name, w]) => add(name, w.shape, w.values));
  const m = [...state.optimizer.m].map(([name, a]) => add(name, [a.length], a));
  const v = [...state.optimizer.v].map(([name, a]) => add(name, [a.length], a));
  const payload = new Float32Array(offset);
  let at = 0;
  for (const p of parts) {
    payload.set(p, at);
    at += p.length;
  }
  const { weights: _w, optimizer, ...rest } = state;
  const header: Header = { meta, state: { ...rest, optimizerStep: optimizer.step }, weights, m, v };
  return packContainer(MAGIC, VERSION, header, payload);
}

export function decodeCheckpoint(bytes: Uint8Array): { state: EngineState; meta: CheckpointMeta } {
  const { header, payload } = unpackContainer(bytes, MAGIC, VERSION, 'checkpoint');
  const h = header as Header;
  if (!h || typeof h !== 'object' || !Array.isArray(h.weights) || !Array.isArray(h.m) || !Array.isArray(h.v) || !h.state || !h.meta) {
    throw new ContainerError('checkpoint: header is missing fields');
  }
  const take = (s: Slice): Float32Array => {
    if (!Number.isInteger(s.offset) || !Number.isInteger(s.length) || s.offset < 0 || s.offset + s.length > payload.length) {
      throw new ContainerError(`checkpoint: tensor ${String(s.name)} out of range`);
    }
    return payload.slice(s.offset, s.offset + s.length);
  };
  const { optimizerStep, ...rest } = h.state;
  const state: EngineState = {
    ...rest,
    weights: new Map(h.weights.map((s) => [s.name, { shape: s.shape, values: take(s) }])),
    optimizer: { step: optimizerStep, m: new Map(h.m.map((s) => [s.name, take(s)])), v: new Map(h.v.map((s) => [s.name, take(s)])) },
  };
  return { state, meta: h.meta };
}
