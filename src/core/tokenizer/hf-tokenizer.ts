/**
 * Our `Tokenizer` interface over a `tokenizer.json` object, run by @huggingface/transformers.
 * Built from the object in memory: no hub, no network, no files.
 */

import { PreTrainedTokenizer } from '@huggingface/transformers';
import type { Tokenizer } from '../tasks/types';

export interface TokenizerJson {
  added_tokens?: { id: number; content: string }[];
  /** BPE and WordPiece: token -> id; Unigram: [token, score] pairs whose index is the id. */
  model?: { vocab?: Record<string, number> | Array<[string, number]> };
}

/** Number of ids: one more than the largest id of the vocabulary and the added tokens. */
export function countIds(json: TokenizerJson): number {
  const vocab = json.model?.vocab;
  let max = Array.isArray(vocab) ? vocab.length - 1 : -1;
  if (vocab && !Array.isArray(vocab)) for (const id of Object.values(vocab)) max = Math.max(max, id);
  for (const t of json.added_tokens ?? []) max = Math.max(max, t.id);
  return max + 1;
}

export async function tokenizerFromJson(tokenizerJson: object, eosToken = '<|endoftext|>'): Promise<Tokenizer> {
  const config = {
    eos_token: eosToken,
    bos_token: eosToken,
    pad_token: eosToken,
    clean_up_tokenization_spaces: false, // keep " ." and " ," exactly as written
    model_max_length: 1e9,
  };
  const hf = new PreTrainedTokenizer(tokenizerJson, config);
  const eosId = hf.eos_token_id;
  if (typeof eosId !== 'number') throw new Error(`tokenizerFromJson: no token ${JSON.stringify(eosToken)}`);
  const vocabSize = countIds(tokenizerJson as TokenizerJson);
  return {
    vocabSize,
    eosId,
    encode: (text) => (text.length === 0 ? [] : hf.encode(text, { add_special_tokens: false })),
    decode: (ids) =>
      ids.length === 0 ? '' : hf.decode([...ids], { skip_special_tokens: true, clean_up_tokenization_spaces: false }),
  };
}
