/**
 * A task document in a link: its canonical JSON, deflated (fflate) and base64url-encoded, behind a `z` (the
 * encoding's version). Links carry tasks up to MAX_TASK_LINK_CHARS encoded characters (about 36 KB compressed,
 * typically a few thousand prompts); larger tasks travel as files. Decoding is bounded twice: the encoded text's
 * length, and the inflated size (a deflate bomb stops at the task document's limit).
 */
import { Inflate, deflateSync, strToU8, strFromU8 } from 'fflate';
import { anyTaskDocumentJson, parseAnyTaskDocument } from '../tasks/custom/any-document';
import { TASK_LIMITS } from '../tasks/custom/document';
import type { TaskDocumentCodec } from './values';

/** The longest encoded task a link may carry. */
export const MAX_TASK_LINK_CHARS = 48 * 1024;

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64_INDEX = new Map([...B64].map((c, i) => [c, i]));

function base64url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]!;
    if (i + 1 < bytes.length) out += B64[(n >> 6) & 63]!;
    if (i + 2 < bytes.length) out += B64[n & 63]!;
  }
  return out;
}

function fromBase64url(text: string): Uint8Array | null {
  if (text.length % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let at = 0;
  for (let i = 0; i < text.length; i += 4) {
    let n = 0;
    const chunk = text.slice(i, i + 4);
    for (let j = 0; j < 4; j++) {
      const v = j < chunk.length ? B64_INDEX.get(chunk[j]!) : 0;
      if (v === undefined) return null;
      n = (n << 6) | v;
    }
    out[at++] = (n >> 16) & 255;
    if (chunk.length > 2) out[at++] = (n >> 8) & 255;
    if (chunk.length > 3) out[at++] = n & 255;
  }
  return out.subarray(0, at);
}

/** The link form of a task's JSON text. */
export function encodeTaskLink(json: string): string {
  return `z${base64url(deflateSync(strToU8(json), { level: 9 }))}`;
}

export type TaskLinkResult = { ok: true; json: string } | { ok: false; message: string };

/** The JSON text of a task's link form; never throws. */
export function decodeTaskLink(raw: string): TaskLinkResult {
  if (raw.length > MAX_TASK_LINK_CHARS) {
    return { ok: false, message: `the task in this link is ${Math.round(raw.length / 1024)} KB, more than a link may carry (${MAX_TASK_LINK_CHARS / 1024} KB); open the task as a file instead` };
  }
  if (!raw.startsWith('z')) return { ok: false, message: 'the task in this link is not in a form this lab reads (it should start with "z")' };
  const bytes = fromBase64url(raw.slice(1));
  if (!bytes) return { ok: false, message: 'the task in this link is damaged (not base64url); was the link cut or changed?' };
  const chunks: Uint8Array[] = [];
  let size = 0;
  let tooBig = false;
  try {
    const inflate = new Inflate((chunk) => {
      size += chunk.length;
      if (size > TASK_LIMITS.documentChars) {
        tooBig = true;
        throw new Error('too big');
      }
      chunks.push(chunk);
    });
    inflate.push(bytes, true);
  } catch {
    if (tooBig) return { ok: false, message: `the task in this link unpacks to more than ${TASK_LIMITS.documentChars / 1e6} MB; refused` };
    return { ok: false, message: 'the task in this link is damaged (it does not unpack); was the link cut or changed?' };
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  try {
    return { ok: true, json: strFromU8(all) };
  } catch {
    return { ok: false, message: 'the task in this link is not text' };
  }
}

/**
 * The `task` field's document parser, passed to the config's parsers by schema.ts: a document as JSON or its link
 * form, either kind (text or image: tasks/custom/any-document.ts), read strictly into canonical JSON; written back
 * in its link form.
 */
export const TASK_DOCUMENT_CODEC: TaskDocumentCodec = {
  parse(raw) {
    let json = raw;
    if (!raw.trimStart().startsWith('{')) {
      const decoded = decodeTaskLink(raw);
      if (!decoded.ok) return decoded;
      json = decoded.json;
    }
    try {
      return { ok: true, value: anyTaskDocumentJson(parseAnyTaskDocument(json)) };
    } catch (e) {
      return { ok: false, message: (e as Error).message };
    }
  },
  format: encodeTaskLink,
};
