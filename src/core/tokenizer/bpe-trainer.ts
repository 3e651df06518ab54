/**
 * Byte-level BPE trainer (GPT-2 style) that writes a Hugging Face `tokenizer.json` object.
 * Text is split with the GPT-2 pre-tokenizer regex, each piece is mapped byte by byte to printable
 * characters, and the most frequent adjacent pair is merged until the vocabulary is full.
 * Deterministic: ties go to the pair whose (left id, right id) is smallest.
 */

/** The GPT-2 split pattern, as used by the ByteLevel pre-tokenizer of @huggingface/tokenizers. */
const GPT2_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** GPT-2's reversible byte -> printable character table (index = byte). */
export function byteToUnicode(): string[] {
  const table: string[] = new Array(256);
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let next = 256;
  for (let b = 0; b < 256; b++) table[b] = String.fromCharCode(printable(b) ? b : next++);
  return table;
}

/** Pre-tokens of all texts, in byte-level characters, with their counts. */
function countPieces(texts: readonly string[], table: readonly string[]): Map<string, number> {
  const encoder = new TextEncoder();
  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const piece of text.match(GPT2_PATTERN) ?? []) {
      let mapped = '';
      for (const byte of encoder.encode(piece)) mapped += table[byte];
      counts.set(mapped, (counts.get(mapped) ?? 0) + 1);
    }
  }
  return counts;
}

const PAIR_BASE = 2 ** 21; // ids stay below 2^21, keys below 2^42 (exact in a double)
const pairKey = (a: number, b: number) => a * PAIR_BASE + b;

/** Max-heap of (count, pair key) with stale entries skipped on pop; ties: smaller key first. */
class PairHeap {
  #items: [number, number][] = [];
  #before = (x: [number, number], y: [number, number]) => x[0] > y[0] || (x[0] === y[0] && x[1] < y[1]);

  push(count: number, key: number): void {
    const h = this.#items;
    h.push([count, key]);
    for (let i = h.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (!this.#before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  pop(): [number, number] | undefined {
    const h = this.#items;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.#before(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.#before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

/**
 * Train a byte-level BPE. The vocabulary is: special tokens (ids 0..), the 256 byte characters, then one
 * token per merge, until `vocabSize` tokens (fewer if the texts run out of pairs).
 */
export function trainByteLevelBpe(texts: readonly string[], vocabSize: number, specialTokens: readonly string[]): object {
  const table = byteToUnicode();
  const tokens: string[] = [...specialTokens, ...table];
  if (new Set(tokens).size !== tokens.length) throw new Error('trainByteLevelBpe: duplicate special token');
  if (vocabSize < tokens.length) throw new Error(`trainByteLevelBpe: vocabSize must be at least ${tokens.length}`);
  if (vocabSize >= PAIR_BASE) throw new Error('trainByteLevelBpe: vocabSize too large');
  const idOf = new Map(tokens.map((t, i) => [t, i]));

  // words as arrays of symbol ids, with their counts
  const pieces = countPieces(texts, table);
  const words: number[][] = [];
  const counts: number[] = [];
  for (const [piece, count] of pieces) {
    words.push(Array.from(piece, (ch) => idOf.get(ch)!));
    counts.push(count);
  }

  const pairCounts = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const heap = new PairHeap();
  const addPairs = (w: number, sign: 1 | -1, changed: Set<number>) => {
    const word = words[w]!;
    for (let i = 0; i + 1 < word.length; i++) {
      const key = pairKey(word[i]!, word[i + 1]!);
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + sign * counts[w]!);
      if (sign > 0) {
        let set = pairWords.get(key);
        if (!set) pairWords.set(key, (set = new Set()));
        set.add(w);
      }
      changed.add(key);
    }
  };
  const initial = new Set<number>();
  for (let w = 0; w < words.length; w++) addPairs(w, 1, initial);
  for (const key of initial) heap.push(pairCounts.get(key)!, key);

  const merges: string[] = [];
  while (tokens.length < vocabSize) {
    const top = heap.pop();
    if (!top) break;
    const [count, key] = top;
    if (count <= 0 || pairCounts.get(key) !== count) continue; // stale entry
    const a = Math.floor(key / PAIR_BASE);
    const b = key % PAIR_BASE;
    const joined = tokens[a]! + tokens[b]!;
    let id = idOf.get(joined); // two merges may spell the same token: keep one id
    if (id === undefined) {
      id = tokens.length;
      tokens.push(joined);
      idOf.set(joined, id);
    }
    merges.push(`${tokens[a]} ${tokens[b]}`);

    const changed = new Set<number>();
    for (const w of [...pairWords.get(key)!].sort((x, y) => x - y)) {
      const word = words[w]!;
      addPairs(w, -1, changed);
      const merged: number[] = [];
      for (let i = 0; i < word.length; i++) {
        if (i + 1 < word.length && word[i] === a && word[i + 1] === b) {
          merged.push(id);
          i++;
        } else merged.push(word[i]!);
      }
      words[w] = merged;
      addPairs(w, 1, changed);
    }
    pairWords.delete(key);
    for (const k of changed) {
      const c = pairCounts.get(k)!;
      if (c > 0) heap.push(c, k);
      else pairCounts.delete(k);
    }
  }

  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specialTokens.map((content, id) => ({
      id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
    })),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(tokens.map((t, i) => [t, i])),
      merges,
    },
  };
}
