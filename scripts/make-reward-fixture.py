#!/usr/bin/env python3
"""Writes the offline fixture of the learned reward: a tiny sentiment classifier in the Hugging Face Hub's layout
(config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx), as transformers.js loads a
text-classification model, plus reference.json: texts and their label probabilities computed here with numpy,
independently of transformers.js and ONNX Runtime (the test compares the pipeline's scores with them).

The model: WordPiece tokens (BERT-style, lower case) -> embeddings -> mean over the attention mask -> tanh layer ->
2 logits (NEGATIVE, POSITIVE). Embeddings carry a word's sentiment (a small list of positive and negative words) in
their first dimension, so the model is a (tiny) sentiment classifier. Seeded: the same files every time.

Run with Debian's python3-onnx and python3-numpy: /usr/bin/python3 scripts/make-reward-fixture.py
"""
import json
import os
import re

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'hf-tiny', 'sentiment-classifier')
SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']
POSITIVE = ['good', 'great', 'excellent', 'wonderful', 'love', 'loved', 'best', 'beautiful', 'brilliant', 'enjoy',
            'enjoyed', 'fun', 'funny', 'happy', 'perfect', 'superb', 'amazing', 'charming', 'delightful', 'moving',
            'fantastic', 'fine', 'nice', 'warm', 'clever']
NEGATIVE = ['bad', 'awful', 'terrible', 'boring', 'hate', 'hated', 'worst', 'dull', 'poor', 'waste', 'stupid',
            'ugly', 'weak', 'mess', 'annoying', 'disappointing', 'horrible', 'sad', 'slow', 'bland', 'painful',
            'tedious', 'lame', 'silly', 'wrong']
NEUTRAL = ['the', 'a', 'an', 'this', 'that', 'movie', 'film', 'story', 'plot', 'acting', 'cast', 'was', 'is', 'it',
           'and', 'but', 'of', 'to', 'in', 'with', 'very', 'really', 'so', 'i', 'we', 'its', 'end', 'music', 'scene',
           'red', 'blue', 'green', 'colour', 'color', 'sky', 'night', 'director', 'script', '.', ',', '!', '?', "'"]
DIM = 8


def vocab():
    words = SPECIALS + POSITIVE + NEGATIVE + NEUTRAL
    return {w: i for i, w in enumerate(words)}


def weights(v):
    rng = np.random.default_rng(20261202)
    emb = (rng.standard_normal((len(v), DIM)) * 0.1).astype(np.float32)
    for w in POSITIVE:
        emb[v[w], 0] = 1.0
    for w in NEGATIVE:
        emb[v[w], 0] = -1.0
    w1 = (np.eye(DIM) * 2.0 + rng.standard_normal((DIM, DIM)) * 0.05).astype(np.float32)
    b1 = (rng.standard_normal(DIM) * 0.01).astype(np.float32)
    w2 = np.zeros((DIM, 2), dtype=np.float32)
    w2[0] = [-3.0, 3.0]
    w2[1:] = rng.standard_normal((DIM - 1, 2)) * 0.2
    b2 = np.array([0.1, -0.1], dtype=np.float32)
    return emb, w1, b1, w2, b2


def tokenize(text, v):
    """BertNormalizer (lower case) + BertPreTokenizer (whitespace and punctuation) + WordPiece with whole words
    only (a word not in the vocabulary is [UNK]), with [CLS] ... [SEP]."""
    pieces = re.findall(r"\w+|[^\w\s]", text.lower())
    return [v['[CLS]']] + [v.get(p, v['[UNK]']) for p in pieces] + [v['[SEP]']]


def probabilities(ids, params):
    emb, w1, b1, w2, b2 = params
    h = emb[ids].astype(np.float64).mean(axis=0)
    z = np.tanh(h @ w1 + b1)
    logits = z @ w2 + b2
    e = np.exp(logits - logits.max())
    return e / e.sum()


def graph(params):
    emb, w1, b1, w2, b2 = params
    nodes = [
        helper.make_node('Gather', ['emb', 'input_ids'], ['x']),
        helper.make_node('Cast', ['attention_mask'], ['m'], to=TensorProto.FLOAT),
        helper.make_node('Unsqueeze', ['m', 'axis2'], ['m3']),
        helper.make_node('Mul', ['x', 'm3'], ['xm']),
        helper.make_node('ReduceSum', ['xm', 'axis1'], ['s'], keepdims=0),
        helper.make_node('ReduceSum', ['m', 'axis1'], ['n'], keepdims=1),
        helper.make_node('Div', ['s', 'n'], ['h']),
        helper.make_node('MatMul', ['h', 'w1'], ['h1']),
        helper.make_node('Add', ['h1', 'b1'], ['h2']),
        helper.make_node('Tanh', ['h2'], ['z']),
        helper.make_node('MatMul', ['z', 'w2'], ['z1']),
        helper.make_node('Add', ['z1', 'b2'], ['logits']),
    ]
    inits = [numpy_helper.from_array(a, n) for a, n in [(emb, 'emb'), (w1, 'w1'), (b1, 'b1'), (w2, 'w2'), (b2, 'b2')]]
    inits += [numpy_helper.from_array(np.array([1], dtype=np.int64), 'axis1'), numpy_helper.from_array(np.array([2], dtype=np.int64), 'axis2')]
    g = helper.make_graph(
        nodes, 'tiny-sentiment',
        [helper.make_tensor_value_info('input_ids', TensorProto.INT64, ['batch', 'sequence']),
         helper.make_tensor_value_info('attention_mask', TensorProto.INT64, ['batch', 'sequence'])],
        [helper.make_tensor_value_info('logits', TensorProto.FLOAT, ['batch', 2])],
        inits,
    )
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)], producer_name='raftlab scripts/make-reward-fixture.py')
    m.ir_version = 7
    onnx.checker.check_model(m)
    return m


def tokenizer_json(v):
    special = lambda tok: {'id': v[tok], 'content': tok, 'single_word': False, 'lstrip': False, 'rstrip': False, 'normalized': False, 'special': True}
    return {
        'version': '1.0', 'truncation': None, 'padding': None,
        'added_tokens': [special(t) for t in SPECIALS],
        'normalizer': {'type': 'BertNormalizer', 'clean_text': True, 'handle_chinese_chars': True, 'strip_accents': None, 'lowercase': True},
        'pre_tokenizer': {'type': 'BertPreTokenizer'},
        'post_processor': {
            'type': 'TemplateProcessing',
            'single': [{'SpecialToken': {'id': '[CLS]', 'type_id': 0}}, {'Sequence': {'id': 'A', 'type_id': 0}}, {'SpecialToken': {'id': '[SEP]', 'type_id': 0}}],
            'pair': [{'SpecialToken': {'id': '[CLS]', 'type_id': 0}}, {'Sequence': {'id': 'A', 'type_id': 0}}, {'SpecialToken': {'id': '[SEP]', 'type_id': 0}},
                     {'Sequence': {'id': 'B', 'type_id': 1}}, {'SpecialToken': {'id': '[SEP]', 'type_id': 1}}],
            'special_tokens': {t: {'id': t, 'ids': [v[t]], 'tokens': [t]} for t in ['[CLS]', '[SEP]']},
        },
        'decoder': {'type': 'WordPiece', 'prefix': '##', 'cleanup': True},
        'model': {'type': 'WordPiece', 'unk_token': '[UNK]', 'continuing_subword_prefix': '##', 'max_input_chars_per_word': 100, 'vocab': v},
    }


TEXTS = [
    'This movie was great and the acting was wonderful!',
    'A boring, awful mess. I hated it.',
    'The film is about a red sky at night',
    'good',
    'The plot was slow but the music was beautiful',
    'Completely unknown words everywhere here',
]


def main():
    v = vocab()
    params = weights(v)
    os.makedirs(os.path.join(OUT, 'onnx'), exist_ok=True)
    onnx.save(graph(params), os.path.join(OUT, 'onnx', 'model.onnx'))
    config = {
        'model_type': 'distilbert', 'architectures': ['DistilBertForSequenceClassification'],
        'id2label': {'0': 'NEGATIVE', '1': 'POSITIVE'}, 'label2id': {'NEGATIVE': 0, 'POSITIVE': 1},
        'vocab_size': len(v), 'dim': DIM, 'n_layers': 1, 'n_heads': 1, 'max_position_embeddings': 128, 'pad_token_id': 0,
    }
    files = {
        'config.json': config,
        'tokenizer.json': tokenizer_json(v),
        'tokenizer_config.json': {'tokenizer_class': 'DistilBertTokenizer', 'do_lower_case': True, 'model_max_length': 128,
                                  'pad_token': '[PAD]', 'unk_token': '[UNK]', 'cls_token': '[CLS]', 'sep_token': '[SEP]', 'mask_token': '[MASK]'},
        'reference.json': {'labels': ['NEGATIVE', 'POSITIVE'],
                           'texts': [{'text': t, 'ids': tokenize(t, v), 'probs': probabilities(tokenize(t, v), params).tolist()} for t in TEXTS]},
    }
    for name, body in files.items():
        with open(os.path.join(OUT, name), 'w') as f:
            json.dump(body, f, indent=1 if name != 'tokenizer.json' else None)
            f.write('\n')
    print('wrote', os.path.normpath(OUT))


if __name__ == '__main__':
    main()
