/**
 * A small binary container for checkpoints and run files:
 *   magic (8 ASCII bytes) | u32 format version | u32 header length | header (UTF-8 JSON) | zero padding to 4 |
 *   float32 payload | u32 CRC-32 of everything before it.
 * Little-endian. Decoding checks magic, version, lengths and checksum before anything is used.
 */
import { crc32 } from './checksum';

export class ContainerError extends Error {}

export function packContainer(magic: string, version: number, header: unknown, payload: Float32Array): Uint8Array {
  if (magic.length !== 8) throw new Error('container magic must be 8 characters');
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerEnd = 16 + json.length;
  const payloadStart = Math.ceil(headerEnd / 4) * 4;
  const total = payloadStart + payload.byteLength + 4;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) out[i] = magic.charCodeAt(i);
  view.setUint32(8, version, true);
  view.setUint32(12, json.length, true);
  out.set(json, 16);
  out.set(new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength), payloadStart);
  view.setUint32(total - 4, crc32(out.subarray(0, total - 4)), true);
  return out;
}

export function unpackContainer(bytes: Uint8Array, magic: string, version: number, what: string): { header: unknown; payload: Float32Array } {
  if (!(bytes instanceof Uint8Array)) throw new ContainerError(`${what}: not binary data`);
  if (bytes.length < 20) throw new ContainerError(`${what}: too short (${bytes.length} bytes)`);
  const found = String.fromCharCode(...bytes.subarray(0, 8));
  if (found !== magic) throw new ContainerError(`${what}: not a RAFT Lab file of this kind (starts with ${JSON.stringify(found.replace(/[^\x20-\x7e]/g, '?'))})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const v = view.getUint32(8, true);
  if (v !== version) throw new ContainerError(`${what}: format version ${v} is not supported (expected ${version})`);
  const stored = view.getUint32(bytes.length - 4, true);
  if (crc32(bytes.subarray(0, bytes.length - 4)) !== stored) throw new ContainerError(`${what}: damaged (checksum mismatch)`);
  const jsonLength = view.getUint32(12, true);
  const headerEnd = 16 + jsonLength;
  const payloadStart = Math.ceil(headerEnd / 4) * 4;
  const payloadBytes = bytes.length - 4 - payloadStart;
  if (headerEnd > bytes.length - 4 || payloadBytes < 0 || payloadBytes % 4 !== 0) throw new ContainerError(`${what}: inconsistent lengths`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(16, headerEnd)));
  } catch {
    throw new ContainerError(`${what}: header is not valid JSON`);
  }
  const payload = new Float32Array(bytes.slice(payloadStart, payloadStart + payloadBytes).buffer);
  return { header, payload };
}
