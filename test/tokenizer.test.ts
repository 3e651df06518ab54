/**
 * Tests for the byte-level BPE trainer (src/core/tokenizer/bpe-trainer) and its @huggingface/transformers
 * wrapper (src/core/tokenizer/hf-tokenizer), including the committed sentiment tokenizer.json.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Rng } from '../src/core/rng';
import { generateReviews } from '../src/core/tasks/sentiment/corpus';
import { SENTIMENT_PRETRAIN_SEED, sentimentCorpus } from '../src/core/tasks/sentiment/index';
import { byteToUnicode, trainByteLevelBpe } from '../src/core/tokenizer/bpe-trainer';
import { tokenizerFromJson } from '../src/core/tokenizer/hf-tokenizer';

const EOS = '<|endoftext|>';
const CODE = 'int main(){\n  printf("%d\\n", 3+4);\n}';
const CODE_CORPUS = [
  CODE,
  '#include <stdio.h>\n\nint add(int a, int b) {\n\treturn a + b;\n}\n',
  'def f(x):\n    return x * 2  # double\n\nprint(f(21))\n',
  'for (int i = 0; i < 10; i++) {\n    sum += i;\n}\n',
  "s = 'it\\'s'; t = \"tab\\there\"\r\n",
];

interface Json {
  added_tokens: { id: number; content: string; special: boolean }[];
  pre_tokenizer: { type: string };
  decoder: { type: string };
  model: { type: string; vocab: Record<string, number>; merges: string[] };
}

describe('trainByteLevelBpe', () => {
  const corpus = sentimentCorpus(5, 2000);
  const json = trainByteLevelBpe(corpus, 400, [EOS, '<|pad|>']) as Json;

  it('writes a tokenizer.json with special tokens first, then 256 bytes, then merges', () => {
    expect(json.added_tokens.map((t) => [t.id, t.content, t.special])).toEqual([[0, EOS, true], [1, '<|pad|>', true]]);
    expect(json.pre_tokenizer.type).toBe('ByteLevel');
    expect(json.decoder.type).toBe('ByteLevel');
    expect(json.model.type).toBe('BPE');
    const ids = Object.values(json.model.vocab).sort((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: 400 }, (_, i) => i));
    expect(json.model.vocab[EOS]).toBe(0);
    expect(json.model.vocab['Ġ']).toBe(2 + 32); // the space byte
    expect(json.model.merges).toHaveLength(400 - 258);
    for (const m of json.model.merges) expect(m.split(' ')).toHaveLength(2);
  });

  it('merges the most frequent pairs first', () => {
    // the corpus is all lowercase words separated by spaces: the first merges join a space and a letter or two letters
    expect(json.model.merges[0]).toMatch(/^(Ġ|[a-z]+) [a-z]+$/);
    expect(json.model.vocab['Ġthe']).toBeDefined();
    expect(json.model.vocab['Ġwas']).toBeDefined();
  });

  it('is deterministic', () => {
    expect(trainByteLevelBpe(corpus, 400, [EOS, '<|pad|>'])).toEqual(json);
    expect(trainByteLevelBpe(sentimentCorpus(6, 2000), 400, [EOS, '<|pad|>'])).not.toEqual(json);
  });

  it('maps the 256 bytes to 256 distinct characters', () => {
    const table = byteToUnicode();
    expect(new Set(table).size).toBe(256);
    expect(table[65]).toBe('A');
    expect(table[32]).toBe('Ġ');
    expect(table[10]).toBe('Ċ');
  });

  it('rejects impossible sizes and stops early when the text runs out of pairs', () => {
    expect(() => trainByteLevelBpe(['ab'], 100, [EOS])).toThrow();
    const tiny = trainByteLevelBpe(['ab ab'], 300, [EOS]) as Json;
    expect(Object.keys(tiny.model.vocab).length).toBeLessThan(300);
    expect(tiny.model.merges.length).toBeGreaterThan(0);
  });
});

describe('tokenizerFromJson', () => {
  it('round-trips text, reports its vocabulary size and eos id', async () => {
    const tok = await tokenizerFromJson(trainByteLevelBpe(sentimentCorpus(5, 2000), 400, [EOS]));
    expect(tok.vocabSize).toBe(400);
    expect(tok.eosId).toBe(0);
    for (const text of sentimentCorpus(9, 300)) {
      const ids = tok.encode(text);
      expect(ids.every((id) => Number.isInteger(id) && id > 0 && id < 400)).toBe(true);
      expect(tok.decode(ids)).toBe(text);
    }
    const words = sentimentCorpus(9, 300).join(' ').split(' ').length;
    const tokens = tok.encode(sentimentCorpus(9, 300).join(' ')).length;
    expect(tokens / words).toBeLessThan(2); // BPE compresses: fewer than 2 tokens a word
    expect(tok.encode('')).toEqual([]);
    expect(tok.decode([])).toBe('');
    expect(tok.decode([0, ...tok.encode('the plot'), 0])).toBe('the plot'); // special tokens dropped
    expect(tok.encode(`a .${EOS}b`)).toContain(0);
  });

  it('round-trips code and any UTF-8, with a tokenizer trained on code', async () => {
    const tok = await tokenizerFromJson(trainByteLevelBpe(CODE_CORPUS, 300, [EOS]));
    expect(tok.vocabSize).toBe(300);
    const odd = [CODE, ...CODE_CORPUS, '  leading and trailing  ', '\n\n\t\r\n', 'héllo wörld 日本語 🙂👍🏽', "don't 's 'll", ' . , '];
    for (const text of odd) expect(tok.decode(tok.encode(text))).toBe(text);
    expect(tok.encode(CODE).length).toBeLessThan(new TextEncoder().encode(CODE).length);
  });

  it('fails loudly when the eos token is missing', async () => {
    await expect(tokenizerFromJson(trainByteLevelBpe(['a b'], 260, ['<s>']))).rejects.toThrow();
  });
});

describe('the committed sentiment tokenizer', () => {
  const file = JSON.parse(readFileSync('public/models/sentiment/tokenizer.json', 'utf8')) as Json;

  it('is what scripts/train-tokenizer.ts makes from the current corpus', () => {
    expect(file).toEqual(trainByteLevelBpe(sentimentCorpus(SENTIMENT_PRETRAIN_SEED, 20000), 512, [EOS]));
  });

  it('loads, has 512 ids with <|endoftext|> = 0, and fits every review in 56 tokens', async () => {
    const tok = await tokenizerFromJson(file);
    expect(tok.vocabSize).toBe(512);
    expect(tok.eosId).toBe(0);
    expect(file.added_tokens).toEqual([expect.objectContaining({ id: 0, content: EOS, special: true })]);
    const lengths: number[] = [];
    for (const review of generateReviews(new Rng(2024), 2000)) {
      const ids = tok.encode(review.text);
      expect(tok.decode(ids)).toBe(review.text);
      lengths.push(ids.length);
    }
    expect(Math.max(...lengths)).toBeLessThanOrEqual(56);
    expect(tok.decode(tok.encode(CODE))).toBe(CODE);
  });
});
