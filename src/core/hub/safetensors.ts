/**
 * The safetensors format, read (Hugging Face Hub checkpoints): an 8-byte little-endian header length N, N bytes of
 * JSON `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {...}}`, then the raw little-endian data,
 * offsets relative to its start. Everything is checked before a value is used: the header length against the file,
 * the JSON, each entry's dtype (F32, F16 and BF16 are read; others are refused by name), its shape, and that its
 * offsets lie inside the data and cover exactly shape x dtype bytes. Values come out as float32.
 */

export class SafetensorsError extends Error {}

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16';
const BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 };
/** Headers of real checkpoints are a few hundred kB at most; a larger one is a damaged or hostile file. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface TensorEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Byte range inside the data section. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  tensors: Map<string, TensorEntry>;
  metadata: Record<string, string>;
  /** Byte offset of the data section in the file (8 + header length). */
  dataStart: number;
}

/** Parse and check the header of a whole file's bytes. `what` names the file in messages. */
export function readSafetensorsHeader(bytes: Uint8Array, what = 'safetensors file'): SafetensorsHeader {
  if (bytes.length < 8) throw new SafetensorsError(`${what}: too short to be a safetensors file (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n < 2 || n > MAX_HEADER_BYTES || 8 + n > bytes.length) {
    throw new SafetensorsError(`${what}: not a safetensors file (header length ${n} does not fit its ${bytes.length} bytes)`);
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch {
    throw new SafetensorsError(`${what}: not a safetensors file (its header is not JSON)`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new SafetensorsError(`${what}: the header is not a JSON object`);
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  const tensors = new Map<string, TensorEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw && typeof raw === 'object') metadata = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, String(v)]));
      continue;
    }
    tensors.set(name, checkEntry(name, raw, dataLength, what));
  }
  return { tensors, metadata, dataStart };
}

function checkEntry(name: string, raw: unknown, dataLength: number, what: string): TensorEntry {
  const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
  const label = `${what}: tensor ${JSON.stringify(name.slice(0, 120))}`;
  if (!e || typeof e !== 'object') throw new SafetensorsError(`${label} has no entry`);
  if (typeof e.dtype !== 'string' || !(e.dtype in BYTES)) {
    throw new SafetensorsError(`${label} has dtype ${JSON.stringify(String(e.dtype).slice(0, 20))}; only F32, F16 and BF16 are read`);
  }
  const dtype = e.dtype as SafetensorsDtype;
  if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new SafetensorsError(`${label} has a bad shape`);
  const shape = e.shape as number[];
  const o = e.data_offsets;
  if (!Array.isArray(o) || o.length !== 2 || !o.every((x) => Number.isSafeInteger(x) && x >= 0) || o[0] > o[1]) {
    throw new SafetensorsError(`${label} has bad data_offsets`);
  }
  const [begin, end] = o as [number, number];
  if (end > dataLength) throw new SafetensorsError(`${label} points past the end of the file (byte ${end} of ${dataLength}: truncated?)`);
  const want = shape.reduce((a, b) => a * b, 1) * BYTES[dtype];
  if (end - begin !== want) throw new SafetensorsError(`${label}: ${end - begin} bytes for shape [${shape.join(', ')}] of ${dtype} (expected ${want})`);
  return { name, dtype, shape, begin, end };
}

/** One tensor's values as float32 (F16 and BF16 widened exactly). */
export function readTensor(bytes: Uint8Array, header: SafetensorsHeader, name: string): Float32Array {
  const e = header.tensors.get(name);
  if (!e) throw new SafetensorsError(`no tensor ${JSON.stringify(name)} in the checkpoint`);
  const start = header.dataStart + e.begin;
  const count = (e.end - e.begin) / BYTES[e.dtype];
  const view = new DataView(bytes.buffer, bytes.byteOffset + start, e.end - e.begin);
  const out = new Float32Array(count);
  if (e.dtype === 'F32') {
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  } else if (e.dtype === 'BF16') {
    const u32 = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) u32[i] = view.getUint16(i * 2, true) << 16;
  } else {
    for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
  }
  return out;
}

/** Every tensor of a file, by name. */
export function readSafetensors(bytes: Uint8Array, what?: string): { tensors: Map<string, { shape: number[]; values: Float32Array }>; metadata: Record<string, string> } {
  const header = readSafetensorsHeader(bytes, what);
  const tensors = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const [name, e] of header.tensors) tensors.set(name, { shape: e.shape, values: readTensor(bytes, header, name) });
  return { tensors, metadata: header.metadata };
}

/**
 * Write tensors as a safetensors file (the Hub's format, readable by `safetensors` and `transformers`): F32 as they
 * are, or F16 / BF16 rounded to nearest even. Tensors are laid out in the order given.
 */
export function writeSafetensors(
  tensors: ReadonlyMap<string, { shape: number[]; values: Float32Array }>,
  opts: { dtype?: SafetensorsDtype; metadata?: Record<string, string> } = {},
): Uint8Array {
  const dtype = opts.dtype ?? 'F32';
  const header: Record<string, unknown> = { __metadata__: { format: 'pt', ...(opts.metadata ?? {}) } };
  let at = 0;
  for (const [name, t] of tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.values.length) throw new SafetensorsError(`tensor ${name}: ${t.values.length} values for shape [${t.shape.join(', ')}]`);
    header[name] = { dtype, shape: t.shape, data_offsets: [at, at + size * BYTES[dtype]] };
    at += size * BYTES[dtype];
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8); // the data starts 8-byte aligned, as the reference writer does
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + at);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let p = 8 + head.length;
  for (const t of tensors.values()) {
    for (let i = 0; i < t.values.length; i++) {
      if (dtype === 'F32') view.setFloat32(p + i * 4, t.values[i]!, true);
      else view.setUint16(p + i * 2, dtype === 'BF16' ? floatToBf16(t.values[i]!) : floatToHalf(t.values[i]!), true);
    }
    p += t.values.length * BYTES[dtype];
  }
  return out;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 -> bfloat16 bits, round to nearest even (NaN stays NaN). */
export function floatToBf16(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  if ((bits & 0x7f800000) === 0x7f800000 && bits & 0x7fffff) return (bits >>> 16) | 0x40;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

/** float32 -> IEEE half bits, round to nearest even, overflow to infinity, subnormals kept. */
export function floatToHalf(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rest > mid || (rest === mid && half & 1) ? 1 : 0));
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++; // a carry into the exponent is the right rounding
  return sign | half;
}

/** IEEE 754 half precision (as 16 bits) to a number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // zero and subnormals
  if (exp === 0x1f) return frac ? Number.NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * A sharded checkpoint's `model.safetensors.index.json`: `{weight_map: {tensor: shard file}}`. Returns the shard of
 * each tensor and the shard files in order; refuses file names that leave the folder.
 */
export function readShardIndex(json: unknown, what = 'model.safetensors.index.json'): { weightMap: Map<string, string>; shards: string[] } {
  const map = (json as { weight_map?: unknown } | null)?.weight_map;
  if (!map || typeof map !== 'object') throw new SafetensorsError(`${what} has no weight_map`);
  const weightMap = new Map<string, string>();
  for (const [tensor, file] of Object.entries(map as Record<string, unknown>)) {
    if (typeof file !== 'string' || !/^[\w.-]+\.safetensors$/.test(file)) throw new SafetensorsError(`${what}: bad shard file name for ${tensor}`);
    weightMap.set(tensor, file);
  }
  return { weightMap, shards: [...new Set(weightMap.values())] };
}
