import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate } from '../src/core/lm/generate';
import { totalNll } from '../src/core/lm/train';
import type { ModelManifest } from '../src/core/lm/weights-io';
import { Rng } from '../src/core/rng';
import { createTask } from '../src/core/tasks/registry';
import { loadEmbeddedModel, modelDir } from '../src/node/model-files';
import { weightsFingerprint } from '../src/browser/model-files';

describe('embedded sentiment model', () => {
  it('is small, matches its manifest and its tokenizer', () => {
    const dir = modelDir('sentiment');
    const manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as ModelManifest;
    const bytes = readFileSync(join(dir, 'weights.bin')).byteLength;
    const values = manifest.tensors.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
    expect(bytes).toBe(values * 4);
    expect(bytes).toBeLessThan(4e6);
    expect(manifest.meta.task).toBe('sentiment');
  });

  it('has learned its corpus: low held-out perplexity and fluent, varied samples', async () => {
    const { model, tokenizer } = await loadEmbeddedModel('sentiment');
    const task = createTask('sentiment');
    const eos = tokenizer.eosId;
    const docs = task.heldOutText.slice(0, 64).map((t) => ({ tokens: [eos, ...tokenizer.encode(t), eos], lossFrom: 1 }));
    const { nll, tokens } = await totalNll(model, docs, eos);
    const ppl = Math.exp(nll / tokens);
    expect(ppl).toBeLessThan(4); // a unigram model of this corpus is far above 50
    const prompts = task.evalPrompts.slice(0, 8).map((p) => [eos, ...tokenizer.encode(p)]);
    const gens = await generate(model, prompts, { maxNewTokens: 48, temperature: 1, topK: 0, topP: 1, eosId: eos }, new Rng(1));
    const texts = gens.map((g) => tokenizer.decode(g.tokens));
    expect(gens.filter((g) => g.ended).length).toBeGreaterThanOrEqual(7); // reviews end on their own
    expect(new Set(texts).size).toBe(texts.length);
    const rewards = await Promise.all(texts.map((t, i) => task.reward(task.evalPrompts[i]!, t)));
    expect(rewards.every((r) => r.reward >= 0 && r.reward <= 1)).toBe(true);
    model.dispose();
  });
});

describe('weights fingerprints (what a checkpoint names as its base model)', () => {
  it('tell apart two weights files of the same size, and are stable for the same bytes', () => {
    const bytes = readFileSync(join(modelDir('sentiment'), 'weights.bin'));
    const data = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const again = data.slice(0);
    expect(weightsFingerprint(data)).toBe(weightsFingerprint(again));
    expect(weightsFingerprint(data)).toMatch(new RegExp(`^crc32-[0-9a-f]{8}-${bytes.byteLength}$`));
    const retrained = new Uint8Array(data.slice(0));
    retrained[retrained.length >> 1]! ^= 1; // one bit of one weight differs: same shape, another model
    expect(weightsFingerprint(retrained.buffer)).not.toBe(weightsFingerprint(data));
  });
});
