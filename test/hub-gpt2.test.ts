import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Gpt } from '../src/core/models/gpt2/model';
import { HubModelError } from '../src/core/hub/errors';
import { gptConfigFromHub } from '../src/core/models/gpt2/config';
import { gptWeightsFromHub } from '../src/core/models/gpt2/hub';
import { goldenCases, goldenDiff } from './hub-golden';
import { halfToFloat, readSafetensors, readSafetensorsHeader, readShardIndex, SafetensorsError } from '../src/core/hub/safetensors';

const DIR = join(import.meta.dirname, 'fixtures', 'hf-tiny', 'gpt2');
const file = (name: string) => new Uint8Array(readFileSync(join(DIR, name)));
const json = (name: string) => JSON.parse(readFileSync(join(DIR, name), 'utf8')) as unknown;

/** A safetensors file of the given entries (values written as the dtype's bytes). */
function safetensors(entries: Array<{ name: string; dtype: string; shape: number[]; bytes: Uint8Array }>, headerPatch?: (h: Record<string, unknown>) => void): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let at = 0;
  for (const e of entries) {
    header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [at, at + e.bytes.length] };
    at += e.bytes.length;
  }
  headerPatch?.(header);
  const h = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + at);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  let p = 8 + h.length;
  for (const e of entries) {
    out.set(e.bytes, p);
    p += e.bytes.length;
  }
  return out;
}

const u16 = (xs: number[]) => new Uint8Array(new Uint16Array(xs).buffer);

describe('safetensors', () => {
  it('reads F32, F16 and BF16 as float32', () => {
    const f32 = new Float32Array([1.5, -2, 3.25]);
    const bytes = safetensors([
      { name: 'a', dtype: 'F32', shape: [3], bytes: new Uint8Array(f32.buffer) },
      // F16: 1.0 = 0x3c00, -2.0 = 0xc000, 65504 = 0x7bff, the smallest subnormal 2^-24 = 0x0001
      { name: 'b', dtype: 'F16', shape: [2, 2], bytes: u16([0x3c00, 0xc000, 0x7bff, 0x0001]) },
      // BF16: the top 16 bits of the float32: 1.0 = 0x3f80, -3.5 = 0xc060
      { name: 'c', dtype: 'BF16', shape: [2], bytes: u16([0x3f80, 0xc060]) },
    ]);
    const { tensors, metadata } = readSafetensors(bytes);
    expect(metadata).toEqual({ format: 'pt' });
    expect([...tensors.get('a')!.values]).toEqual([1.5, -2, 3.25]);
    expect([...tensors.get('b')!.values]).toEqual([1, -2, 65504, 2 ** -24]);
    expect(tensors.get('b')!.shape).toEqual([2, 2]);
    expect([...tensors.get('c')!.values]).toEqual([1, -3.5]);
    expect(halfToFloat(0x7c00)).toBe(Infinity);
    expect(Number.isNaN(halfToFloat(0x7e00))).toBe(true);
  });

  it('refuses a damaged or foreign file with a message that names the problem', () => {
    const good = { name: 'w', dtype: 'F32', shape: [2], bytes: new Uint8Array(8) };
    const bad = (bytes: Uint8Array) => () => readSafetensorsHeader(bytes, 'model.safetensors');
    expect(bad(new Uint8Array(3))).toThrow(/too short/);
    expect(bad(new TextEncoder().encode('<!doctype html><html>not found</html>'))).toThrow(/not a safetensors file/);
    const whole = safetensors([good]);
    expect(bad(whole.subarray(0, whole.length - 4))).toThrow(/points past the end of the file .*truncated/);
    expect(bad(safetensors([good], (h) => ((h.w as { data_offsets: number[] }).data_offsets = [0, 400])))).toThrow(/points past the end/);
    expect(bad(safetensors([{ ...good, dtype: 'I64' }]))).toThrow(/dtype "I64"; only F32, F16 and BF16/);
    expect(bad(safetensors([{ ...good, shape: [3] }]))).toThrow(/8 bytes for shape \[3\] of F32 \(expected 12\)/);
    const notJson = safetensors([good]);
    notJson[9] = 0x7b; // '{' -> '{{'
    expect(bad(notJson)).toThrow(SafetensorsError);
    expect(() => readShardIndex({ weight_map: { a: '../../etc/passwd' } })).toThrow(/bad shard file name/);
    expect(readShardIndex({ weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors', c: 'model-00001-of-00002.safetensors' } }).shards)
      .toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
  });
});

describe('GPT-2 from a Hugging Face checkpoint', () => {
  it('matches the golden log-probs of an independent implementation to 1e-4 (tensor counts flat)', async () => {
    const before = tf.memory().numTensors;
    const config = gptConfigFromHub(json('config.json'));
    expect(config).toEqual({ vocabSize: 512, blockSize: 96, nLayer: 3, nHead: 4, nEmbd: 48 });
    const model = new Gpt(config, gptWeightsFromHub(readSafetensors(file('model.safetensors')).tensors, config));
    const golden = { cases: goldenCases('gpt2') };
    const worst = await goldenDiff(model, config.vocabSize, golden.cases);
    model.dispose();
    console.info(`GPT-2 fixture: largest difference from golden.json ${worst.toExponential(2)} over ${golden.cases.length} sequences`);
    expect(worst).toBeLessThan(1e-4);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('takes the transformer. prefix and the causal-mask buffers; refuses other model types, untied heads and missing tensors', () => {
    const config = gptConfigFromHub(json('config.json'));
    const { tensors } = readSafetensors(file('model.safetensors'));
    const prefixed = new Map([...tensors].map(([k, v]) => [`transformer.${k}`, v]));
    prefixed.set('transformer.h.0.attn.bias', { shape: [1, 1, 96, 96], values: new Float32Array(96 * 96) });
    prefixed.set('lm_head.weight', tensors.get('wte.weight')!); // tied: the same values
    expect(gptWeightsFromHub(prefixed, config)).toEqual(gptWeightsFromHub(tensors, config));
    const untied = new Map(tensors);
    untied.set('lm_head.weight', { shape: [512, 48], values: new Float32Array(512 * 48) });
    expect(() => gptWeightsFromHub(untied, config)).toThrow(/untied head/);
    const missing = new Map(tensors);
    missing.delete('h.2.mlp.c_fc.weight');
    expect(() => gptWeightsFromHub(missing, config)).toThrow(/no tensor h\.2\.mlp\.c_fc\.weight/);
    expect(() => gptConfigFromHub({ ...(json('config.json') as object), model_type: 'bert' })).toThrow(/model_type "bert" is not supported here; supported: gpt2/);
    expect(() => gptConfigFromHub({ ...(json('config.json') as object), activation_function: 'relu' })).toThrow(HubModelError);
  });
});
