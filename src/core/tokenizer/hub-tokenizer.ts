/**
 * The tokenizer of a Hub model folder: `tokenizer.json` and `tokenizer_config.json` made into the class the config's
 * `tokenizer_class` names (GPT2Tokenizer, LlamaTokenizer, ...), as @huggingface/transformers' AutoTokenizer does,
 * from objects in memory (the files come through the lab's own download and cache: the CLI's folder cache, the
 * page's Cache API). End of sequence is the tokenizer config's `eos_token`, else the model config's `eos_token_id`;
 * prompts start with its `bos_token` when it has one; `chat_template` (an Instruct model's) is applied on request.
 */
import * as transformers from '@huggingface/transformers';
import type { Tokenizer } from '../tasks/types';
import { HubModelError } from '../hub/errors';
import { countIds, type TokenizerJson } from './hf-tokenizer';

type Special = string | { content?: string } | null | undefined;
const specialText = (t: Special): string | undefined => (typeof t === 'string' ? t : (t?.content ?? undefined));


function idOf(json: TokenizerJson, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const added = json.added_tokens?.find((t) => t.content === text);
  if (added) return added.id;
  const vocab = json.model?.vocab;
  return vocab && !Array.isArray(vocab) ? vocab[text] : undefined;
}

function textOf(json: TokenizerJson, id: unknown): string | undefined {
  if (typeof id !== 'number') return undefined;
  const added = json.added_tokens?.find((t) => t.id === id);
  if (added) return added.content;
  const vocab = json.model?.vocab;
  return vocab && !Array.isArray(vocab) ? Object.entries(vocab).find(([, v]) => v === id)?.[0] : undefined;
}

export interface HubTokenizer extends Tokenizer {
  /** Whether the tokenizer config has a chat template. */
  readonly hasChatTemplate: boolean;
}

export function hubTokenizer(tokenizerJson: unknown, tokenizerConfig: unknown, modelConfig: unknown): HubTokenizer {
  if (!tokenizerJson || typeof tokenizerJson !== 'object') throw new HubModelError('tokenizer.json is not a JSON object');
  const json = tokenizerJson as TokenizerJson;
  const tc = (tokenizerConfig && typeof tokenizerConfig === 'object' ? tokenizerConfig : {}) as Record<string, unknown>;
  const mc = (modelConfig ?? {}) as { eos_token_id?: unknown; bos_token_id?: unknown; vocab_size?: unknown };
  const eosText = specialText(tc.eos_token as Special) ?? textOf(json, Array.isArray(mc.eos_token_id) ? mc.eos_token_id[0] : mc.eos_token_id);
  const eosId = idOf(json, eosText);
  if (eosId === undefined) throw new HubModelError(`the tokenizer has no end-of-sequence token${eosText ? ` ${JSON.stringify(eosText)}` : ''} (tokenizer_config.json eos_token, config.json eos_token_id)`);
  const bosText = specialText(tc.bos_token as Special) ?? textOf(json, mc.bos_token_id);
  const startId = idOf(json, bosText) ?? eosId;
  const config = { ...tc, eos_token: eosText, bos_token: bosText ?? eosText, pad_token: specialText(tc.pad_token as Special) ?? eosText, model_max_length: 1e9 };
  const name = typeof tc.tokenizer_class === 'string' ? tc.tokenizer_class.replace(/Fast$/, '') : 'PreTrainedTokenizer';
  const cls = ((transformers as unknown as Record<string, unknown>)[name] ?? transformers.PreTrainedTokenizer) as typeof transformers.PreTrainedTokenizer;
  const hf = new cls(json as object, config);
  const hasChatTemplate = typeof tc.chat_template === 'string' || Array.isArray(tc.chat_template);
  return {
    vocabSize: countIds(json),
    eosId,
    hasChatTemplate,
    encode: (text) => (text.length === 0 ? [] : hf.encode(text, { add_special_tokens: false })),
    decode: (ids) => (ids.length === 0 ? '' : hf.decode([...ids], { skip_special_tokens: true, clean_up_tokenization_spaces: false })),
    encodePrompt(text, chat) {
      if (!chat) return [startId, ...(text.length === 0 ? [] : hf.encode(text, { add_special_tokens: false }))];
      if (!hasChatTemplate) throw new HubModelError('the model has no chat template (tokenizer_config.json chat_template): turn the chat template setting off');
      // as transformers does: the template's text, tokenized without further special tokens
      const rendered = hf.apply_chat_template([{ role: 'user', content: text }], { add_generation_prompt: true, tokenize: false });
      return hf.encode(rendered, { add_special_tokens: false });
    },
  };
}
