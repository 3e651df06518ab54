/**
 * A small PNG encoder (8-bit RGB, no filter) and image grids. Pure code for the browser and Node: the zlib stream
 * uses stored (uncompressed) deflate blocks unless the caller passes a `deflate` (Node: zlib.deflateSync).
 */
import { crc32 } from '../store/checksum';
import { IMAGE_SIZE } from './dataset';

function adler32(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (let i = 0; i < bytes.length; i++) {
    a = (a + bytes[i]!) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** zlib stream of stored deflate blocks (no compression). */
export function zlibStored(raw: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(raw.length / 65535));
  const out = new Uint8Array(2 + raw.length + blocks * 5 + 4);
  out[0] = 0x78;
  out[1] = 0x01;
  let o = 2;
  for (let i = 0; i < blocks; i++) {
    const chunk = raw.subarray(i * 65535, Math.min(raw.length, (i + 1) * 65535));
    out[o++] = i === blocks - 1 ? 1 : 0;
    out[o++] = chunk.length & 0xff;
    out[o++] = chunk.length >>> 8;
    out[o++] = ~chunk.length & 0xff;
    out[o++] = (~chunk.length >>> 8) & 0xff;
    out.set(chunk, o);
    o += chunk.length;
  }
  const ad = adler32(raw);
  out[o++] = ad >>> 24;
  out[o++] = (ad >>> 16) & 0xff;
  out[o++] = (ad >>> 8) & 0xff;
  out[o++] = ad & 0xff;
  return out;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  dv.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** PNG bytes of an RGB image: `rgb` holds width * height * 3 values in [0, 1] (row-major). */
export function encodePng(rgb: ArrayLike<number>, width: number, height: number, deflate: (raw: Uint8Array) => Uint8Array = zlibStored): Uint8Array {
  if (rgb.length !== width * height * 3) throw new Error('encodePng: pixel count does not match the size');
  const raw = new Uint8Array(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    raw[y * (1 + width * 3)] = 0; // filter: none
    for (let i = 0; i < width * 3; i++) {
      const v = rgb[y * width * 3 + i]!;
      raw[y * (1 + width * 3) + 1 + i] = Math.round(Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)) * 255);
    }
  }
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8 bit, RGB, deflate, adaptive filtering, no interlace
  const parts = [new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflate(raw)), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export interface GridOptions {
  columns: number;
  /** Each image pixel becomes scale x scale pixels. */
  scale?: number;
  /** Gap between tiles in output pixels. */
  gap?: number;
  /** Per tile: draw a frame of this colour (e.g. a green frame for kept images); null = none. */
  frames?: ReadonlyArray<[number, number, number] | null>;
}

/** Tiles square images (pixels in [0, 1], HWC, all one size; 16x16 when there are none) into one RGB image, row by row. */
export function imageGrid(images: readonly Float32Array[], o: GridOptions): { rgb: Float32Array; width: number; height: number } {
  const s = o.scale ?? 4;
  const gap = o.gap ?? 2;
  const side = images.length ? Math.round(Math.sqrt(images[0]!.length / 3)) : IMAGE_SIZE;
  if (images.some((im) => im.length !== side * side * 3)) throw new Error('imageGrid: images are not all square and of one size');
  const tile = side * s;
  const cols = Math.max(1, o.columns);
  const rows = Math.max(1, Math.ceil(images.length / cols));
  const width = cols * tile + (cols + 1) * gap;
  const height = rows * tile + (rows + 1) * gap;
  const rgb = new Float32Array(width * height * 3).fill(1);
  images.forEach((im, k) => {
    const x0 = gap + (k % cols) * (tile + gap);
    const y0 = gap + Math.floor(k / cols) * (tile + gap);
    const frame = o.frames?.[k] ?? null;
    for (let y = 0; y < tile; y++) {
      for (let x = 0; x < tile; x++) {
        const src = (Math.floor(y / s) * side + Math.floor(x / s)) * 3;
        const dst = ((y0 + y) * width + x0 + x) * 3;
        const edge = frame && (x < 2 || y < 2 || x >= tile - 2 || y >= tile - 2);
        for (let c = 0; c < 3; c++) rgb[dst + c] = edge ? frame[c]! : im[src + c]!;
      }
    }
  });
  return { rgb, width, height };
}
