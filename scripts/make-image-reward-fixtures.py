#!/usr/bin/env python3
"""Writes the offline fixtures of the learned image rewards (src/core/rewards/): three tiny models in the Hugging Face
Hub's layout, as transformers.js loads them, plus reference.json with the expected outputs computed here with numpy,
independently of transformers.js and ONNX Runtime (test/image-reward-models.test.ts compares the two).

- test/fixtures/hf-tiny/clip: a tiny CLIP in the layout of Xenova/clip-vit-base-patch32 (config.json model_type
  clip, preprocessor_config.json for CLIPImageProcessor, tokenizer.json + tokenizer_config.json for CLIPTokenizer,
  onnx/text_model.onnx and onnx/vision_model.onnx).
  Vision tower: pixel_values [B,3,16,16] -> Conv 4x4 stride 4 (the patch embedding, 16 channels) -> tanh -> mean over
  the 4x4 patches -> projection (no bias) -> image_embeds [B,8].
  Text tower: input_ids, attention_mask [B,T] -> embeddings (16) -> mean over the attention mask -> tanh layer ->
  projection (no bias) -> text_embeds [B,8]. (The real CLIP pools at the end-of-text token; the mean keeps the
  fixture small and still depends on every token.)
  Tokenizer: CLIP's own tokenizer.json form (NFC + whitespace + lower case; Split on CLIP's regex + ByteLevel;
  BPE with the end-of-word suffix "</w>" over the 256 byte symbols and their "</w>" forms, merges that spell a
  few whole words; RobertaProcessing adds <|startoftext|> ... <|endoftext|>), the vocabulary laid out as CLIP's
  (bytes, bytes</w>, merged symbols, then the two special tokens).
- test/fixtures/hf-tiny/cifar10-vit: a ViT-like CIFAR-10 classifier (config.json model_type vit, id2label of the
  10 CIFAR-10 classes, preprocessor_config.json for ViTImageProcessor 16x16, mean = std = 0.5,
  onnx/model.onnx: pixel_values -> Conv 4x4 stride 4 -> tanh -> mean -> linear -> logits [B,10]).
- test/fixtures/hf-tiny/aesthetic-head: the LAION aesthetic predictor's form on the tiny CLIP: head.safetensors with
  the tensors layers.{0,2,4,6,7}.{weight,bias} (PyTorch Linear, (out, in); LAION's nn.Sequential indices, dropouts
  between), no activation (as LAION's MLP), applied to the L2-normalized image embedding; config.json names the
  CLIP model it sits on.

Images: 16x16 RGB floats in [0,1] (HWC, the lab's layout), already the processors' size, so resizing and the center
crop are the identity. They are quantized to 8 bits as transformers.js' RawImage holds them: q = floor(x * 255 + 0.5)
(= Math.round(x * 255) in TS), then rescaled by 1/255 and normalized with the processor's mean and std.

Seeded: the same files every time. Run with Debian's python3-onnx and python3-numpy:
/usr/bin/python3 scripts/make-image-reward-fixtures.py
"""
import json
import os
import re
import struct

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'hf-tiny')
SIZE = 16
PATCH = 4
WIDTH = 16  # hidden channels of both towers and of the classifier
PROJ = 8  # CLIP's projection dimension
CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]
CIFAR10 = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']
WORDS = ['a', 'photo', 'of', 'the', 'cat', 'dog', 'red', 'blue', 'green', 'car', 'sky', 'ship', 'bird', 'an', 'image']
TEXTS = ['a photo of a cat', 'a red car', 'Blue  SKY', 'a green frog!', 'an image of the sea']


# ---------------------------------------------------------------- images

def images():
    rng = np.random.default_rng(20261205)
    y, x = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32) / (SIZE - 1)
    red = np.stack([0.9 + 0.1 * x, 0.1 * y, 0.05 + 0 * x], axis=-1)
    sky = np.stack([0.2 + 0 * x, 0.4 + 0.2 * y, 0.95 - 0.3 * y], axis=-1)
    checker = ((np.floor(x * 3.99) + np.floor(y * 3.99)) % 2)[..., None] * np.array([1.0, 1.0, 1.0])
    noise = rng.random((SIZE, SIZE, 3))
    out = []
    for name, img in [('red', red), ('sky', sky), ('checker', checker), ('noise', noise)]:
        out.append((name, np.clip(img, 0, 1).astype(np.float32)))
    return out


def preprocess(img, mean, std):
    """HWC float32 in [0,1] -> CHW float64 as the processors feed the model."""
    q = np.floor(img.astype(np.float64) * 255 + 0.5)
    return ((q / 255 - np.array(mean)) / np.array(std)).transpose(2, 0, 1)


def patch_tower(chw, conv_w, conv_b):
    """Conv (WIDTH, 3, PATCH, PATCH) stride PATCH -> tanh -> mean over patches: [WIDTH]."""
    n = SIZE // PATCH
    patches = chw.reshape(3, n, PATCH, n, PATCH).transpose(1, 3, 0, 2, 4).reshape(n * n, 3 * PATCH * PATCH)
    h = patches @ conv_w.reshape(WIDTH, -1).astype(np.float64).T + conv_b
    return np.tanh(h).mean(axis=0)


def patch_nodes(prefix):
    return [
        helper.make_node('Conv', ['pixel_values', f'{prefix}_conv_w', f'{prefix}_conv_b'], ['c'], kernel_shape=[PATCH, PATCH], strides=[PATCH, PATCH]),
        helper.make_node('Tanh', ['c'], ['ct']),
        helper.make_node('ReduceMean', ['ct'], ['pooled'], axes=[2, 3], keepdims=0),
    ]


def save_model(nodes, inits, inputs, outputs, name, path):
    g = helper.make_graph(nodes, name, inputs, outputs, [numpy_helper.from_array(a, n) for n, a in inits.items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)], producer_name='raftlab scripts/make-image-reward-fixtures.py')
    m.ir_version = 7
    onnx.checker.check_model(m)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    onnx.save(m, path)


def pixel_input():
    return helper.make_tensor_value_info('pixel_values', TensorProto.FLOAT, ['batch', 3, SIZE, SIZE])


# ---------------------------------------------------------------- the CLIP tokenizer

def bytes_to_unicode():
    """GPT-2's (and CLIP's) map of bytes to printable characters."""
    bs = list(range(ord('!'), ord('~') + 1)) + list(range(ord('¡'), ord('¬') + 1)) + list(range(ord('®'), ord('ÿ') + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def clip_vocab():
    byte_chars = list(bytes_to_unicode().values())
    merges = []
    for w in WORDS:
        if len(w) < 2:
            continue
        sym = w[0]
        for i in range(1, len(w)):
            nxt = w[i] + ('</w>' if i == len(w) - 1 else '')
            if (sym, nxt) not in merges:
                merges.append((sym, nxt))
            sym = sym + nxt
    tokens = byte_chars + [c + '</w>' for c in byte_chars]
    for a, b in merges:
        if a + b not in tokens:
            tokens.append(a + b)
    tokens += ['<|startoftext|>', '<|endoftext|>']
    return {t: i for i, t in enumerate(tokens)}, merges


CLIP_SPLIT = r"""'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""


def clip_tokenize(text, vocab, merges):
    """NFC (ASCII here), whitespace runs to one space, lower case; CLIP's split (ASCII letters, digits, other runs);
    byte-level characters; BPE (lowest-ranked pair first, leftmost on ties) with "</w>" on each word's last symbol."""
    b2u = bytes_to_unicode()
    ranks = {m: i for i, m in enumerate(merges)}
    text = re.sub(r'\s+', ' ', text).lower()
    words = re.findall(r"'s|'t|'re|'ve|'m|'ll|'d|[a-z]+|[0-9]|[^\sa-z0-9]+", text)
    ids = [vocab['<|startoftext|>']]
    for w in words:
        sym = [b2u[b] for b in w.encode('utf-8')]
        sym[-1] += '</w>'
        while len(sym) > 1:
            pairs = [(ranks.get((sym[i], sym[i + 1]), 1 << 30), i) for i in range(len(sym) - 1)]
            r, i = min(pairs)
            if r == 1 << 30:
                break
            sym = sym[:i] + [sym[i] + sym[i + 1]] + sym[i + 2:]
        ids += [vocab[s] for s in sym]
    return ids + [vocab['<|endoftext|>']]


def clip_tokenizer_json(vocab, merges):
    special = lambda tok: {'id': vocab[tok], 'content': tok, 'single_word': False, 'lstrip': False, 'rstrip': False, 'normalized': tok != '<|startoftext|>' and tok != '<|endoftext|>', 'special': True}
    return {
        'version': '1.0', 'truncation': None, 'padding': None,
        'added_tokens': [special('<|startoftext|>'), special('<|endoftext|>')],
        'normalizer': {'type': 'Sequence', 'normalizers': [
            {'type': 'NFC'}, {'type': 'Replace', 'pattern': {'Regex': '\\s+'}, 'content': ' '}, {'type': 'Lowercase'}]},
        'pre_tokenizer': {'type': 'Sequence', 'pretokenizers': [
            {'type': 'Split', 'pattern': {'Regex': CLIP_SPLIT}, 'behavior': 'Removed', 'invert': True},
            {'type': 'ByteLevel', 'add_prefix_space': False, 'trim_offsets': True, 'use_regex': False}]},
        'post_processor': {'type': 'RobertaProcessing', 'sep': ['<|endoftext|>', vocab['<|endoftext|>']],
                           'cls': ['<|startoftext|>', vocab['<|startoftext|>']], 'trim_offsets': False, 'add_prefix_space': False},
        'decoder': {'type': 'ByteLevel', 'add_prefix_space': True, 'trim_offsets': True, 'use_regex': True},
        'model': {'type': 'BPE', 'dropout': None, 'unk_token': '<|endoftext|>', 'continuing_subword_prefix': '',
                  'end_of_word_suffix': '</w>', 'fuse_unk': False, 'byte_fallback': False, 'vocab': vocab,
                  'merges': [f'{a} {b}' for a, b in merges]},
    }


# ---------------------------------------------------------------- safetensors

def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name, a in tensors.items():
        b = np.ascontiguousarray(a, dtype='<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(a.shape), 'data_offsets': [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    header['__metadata__'] = {'format': 'pt'}
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * (-len(h) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))


def dump(folder, files):
    os.makedirs(folder, exist_ok=True)
    for name, body in files.items():
        with open(os.path.join(folder, name), 'w') as f:
            json.dump(body, f, indent=None if name in ('tokenizer.json', 'reference.json') else 1)
            f.write('\n')


def unit(v):
    return v / np.linalg.norm(v)


# ---------------------------------------------------------------- main

def main():
    rng = np.random.default_rng(20261206)
    imgs = images()
    image_ref = [{'name': n, 'width': SIZE, 'height': SIZE, 'pixels': [float(v) for v in im.reshape(-1)]} for n, im in imgs]

    # --- CLIP
    vocab, merges = clip_vocab()
    v_conv_w = (rng.standard_normal((WIDTH, 3, PATCH, PATCH)) * 0.2).astype(np.float32)
    v_conv_b = (rng.standard_normal(WIDTH) * 0.1).astype(np.float32)
    v_proj = (rng.standard_normal((WIDTH, PROJ)) * 0.5).astype(np.float32)
    t_emb = (rng.standard_normal((len(vocab), WIDTH)) * 0.5).astype(np.float32)
    t_w1 = (rng.standard_normal((WIDTH, WIDTH)) * 0.4).astype(np.float32)
    t_b1 = (rng.standard_normal(WIDTH) * 0.1).astype(np.float32)
    t_proj = (rng.standard_normal((WIDTH, PROJ)) * 0.5).astype(np.float32)
    clip = os.path.join(ROOT, 'clip')
    save_model(patch_nodes('v') + [helper.make_node('MatMul', ['pooled', 'v_proj'], ['image_embeds'])],
               {'v_conv_w': v_conv_w, 'v_conv_b': v_conv_b, 'v_proj': v_proj},
               [pixel_input()], [helper.make_tensor_value_info('image_embeds', TensorProto.FLOAT, ['batch', PROJ])],
               'tiny-clip-vision', os.path.join(clip, 'onnx', 'vision_model.onnx'))
    save_model([
        helper.make_node('Gather', ['t_emb', 'input_ids'], ['x']),
        helper.make_node('Cast', ['attention_mask'], ['m'], to=TensorProto.FLOAT),
        helper.make_node('Unsqueeze', ['m', 'axis2'], ['m3']),
        helper.make_node('Mul', ['x', 'm3'], ['xm']),
        helper.make_node('ReduceSum', ['xm', 'axis1'], ['s'], keepdims=0),
        helper.make_node('ReduceSum', ['m', 'axis1'], ['n'], keepdims=1),
        helper.make_node('Div', ['s', 'n'], ['h']),
        helper.make_node('MatMul', ['h', 't_w1'], ['h1']),
        helper.make_node('Add', ['h1', 't_b1'], ['h2']),
        helper.make_node('Tanh', ['h2'], ['z']),
        helper.make_node('MatMul', ['z', 't_proj'], ['text_embeds']),
    ], {'t_emb': t_emb, 't_w1': t_w1, 't_b1': t_b1, 't_proj': t_proj,
        'axis1': np.array([1], dtype=np.int64), 'axis2': np.array([2], dtype=np.int64)},
        [helper.make_tensor_value_info('input_ids', TensorProto.INT64, ['batch', 'sequence']),
         helper.make_tensor_value_info('attention_mask', TensorProto.INT64, ['batch', 'sequence'])],
        [helper.make_tensor_value_info('text_embeds', TensorProto.FLOAT, ['batch', PROJ])],
        'tiny-clip-text', os.path.join(clip, 'onnx', 'text_model.onnx'))

    def image_embed(img):
        return patch_tower(preprocess(img, CLIP_MEAN, CLIP_STD), v_conv_w, v_conv_b) @ v_proj.astype(np.float64)

    def text_embed(ids):
        h = t_emb[ids].astype(np.float64).mean(axis=0)
        return np.tanh(h @ t_w1 + t_b1) @ t_proj.astype(np.float64)

    img_e = [image_embed(im) for _, im in imgs]
    texts = [{'text': t, 'ids': clip_tokenize(t, vocab, merges)} for t in TEXTS]
    txt_e = [text_embed(t['ids']) for t in texts]
    cos = [[float(unit(i) @ unit(t)) for t in txt_e] for i in img_e]
    dump(clip, {
        'config.json': {
            'model_type': 'clip', 'architectures': ['CLIPModel'], 'projection_dim': PROJ, 'logit_scale_init_value': 2.6592,
            'text_config': {'model_type': 'clip_text_model', 'vocab_size': len(vocab), 'hidden_size': WIDTH, 'projection_dim': PROJ,
                            'num_hidden_layers': 1, 'num_attention_heads': 1, 'max_position_embeddings': 77,
                            'bos_token_id': vocab['<|startoftext|>'], 'eos_token_id': vocab['<|endoftext|>'], 'pad_token_id': vocab['<|endoftext|>']},
            'vision_config': {'model_type': 'clip_vision_model', 'image_size': SIZE, 'patch_size': PATCH, 'hidden_size': WIDTH,
                              'projection_dim': PROJ, 'num_hidden_layers': 1, 'num_attention_heads': 1, 'num_channels': 3},
        },
        'preprocessor_config.json': {
            'image_processor_type': 'CLIPImageProcessor', 'feature_extractor_type': 'CLIPFeatureExtractor',
            'do_resize': True, 'size': {'shortest_edge': SIZE}, 'resample': 3, 'do_center_crop': True,
            'crop_size': {'height': SIZE, 'width': SIZE}, 'do_rescale': True, 'rescale_factor': 1 / 255,
            'do_normalize': True, 'image_mean': CLIP_MEAN, 'image_std': CLIP_STD, 'do_convert_rgb': True,
        },
        'tokenizer.json': clip_tokenizer_json(vocab, merges),
        'tokenizer_config.json': {'tokenizer_class': 'CLIPTokenizer', 'model_max_length': 77, 'do_lower_case': True,
                                  'bos_token': '<|startoftext|>', 'eos_token': '<|endoftext|>', 'pad_token': '<|endoftext|>',
                                  'unk_token': '<|endoftext|>', 'errors': 'replace', 'add_prefix_space': False},
        'reference.json': {
            'images': image_ref, 'texts': texts,
            'image_embeds': [e.tolist() for e in img_e], 'text_embeds': [e.tolist() for e in txt_e],
            'cosine': cos,
        },
    })

    # --- CIFAR-10 classifier
    c_conv_w = (rng.standard_normal((WIDTH, 3, PATCH, PATCH)) * 0.3).astype(np.float32)
    c_conv_b = (rng.standard_normal(WIDTH) * 0.1).astype(np.float32)
    c_w = (rng.standard_normal((WIDTH, 10)) * 1.5).astype(np.float32)
    c_b = (rng.standard_normal(10) * 0.2).astype(np.float32)
    vit = os.path.join(ROOT, 'cifar10-vit')
    save_model(patch_nodes('c') + [helper.make_node('MatMul', ['pooled', 'c_w'], ['l']), helper.make_node('Add', ['l', 'c_b'], ['logits'])],
               {'c_conv_w': c_conv_w, 'c_conv_b': c_conv_b, 'c_w': c_w, 'c_b': c_b},
               [pixel_input()], [helper.make_tensor_value_info('logits', TensorProto.FLOAT, ['batch', 10])],
               'tiny-cifar10-vit', os.path.join(vit, 'onnx', 'model.onnx'))
    probs = []
    for _, im in imgs:
        logits = patch_tower(preprocess(im, [0.5] * 3, [0.5] * 3), c_conv_w, c_conv_b) @ c_w.astype(np.float64) + c_b
        e = np.exp(logits - logits.max())
        probs.append((e / e.sum()).tolist())
    dump(vit, {
        'config.json': {
            'model_type': 'vit', 'architectures': ['ViTForImageClassification'], 'image_size': SIZE, 'patch_size': PATCH,
            'num_channels': 3, 'hidden_size': WIDTH, 'num_hidden_layers': 1, 'num_attention_heads': 1,
            'id2label': {str(i): l for i, l in enumerate(CIFAR10)}, 'label2id': {l: i for i, l in enumerate(CIFAR10)},
        },
        'preprocessor_config.json': {
            'image_processor_type': 'ViTImageProcessor', 'do_resize': True, 'size': {'height': SIZE, 'width': SIZE},
            'resample': 2, 'do_rescale': True, 'rescale_factor': 1 / 255, 'do_normalize': True,
            'image_mean': [0.5, 0.5, 0.5], 'image_std': [0.5, 0.5, 0.5],
        },
        'reference.json': {'labels': CIFAR10, 'probs': probs},
    })

    # --- the aesthetic head (LAION's MLP form: Linear layers at nn.Sequential indices 0, 2, 4, 6, 7, no activation)
    sizes = [PROJ, 16, 8, 4, 2, 1]
    names = ['layers.0', 'layers.2', 'layers.4', 'layers.6', 'layers.7']
    head = {}
    for (n_in, n_out), name in zip(zip(sizes, sizes[1:]), names):
        head[f'{name}.weight'] = (rng.standard_normal((n_out, n_in)) * (1.5 / np.sqrt(n_in))).astype(np.float32)
        head[f'{name}.bias'] = (rng.standard_normal(n_out) * 0.1).astype(np.float32)
    head['layers.7.bias'] = np.array([5.5], dtype=np.float32)
    aes = os.path.join(ROOT, 'aesthetic-head')
    os.makedirs(aes, exist_ok=True)
    write_safetensors(os.path.join(aes, 'head.safetensors'), head)
    scores = []
    for e in img_e:
        x = unit(e)
        for name in names:
            x = head[f'{name}.weight'].astype(np.float64) @ x + head[f'{name}.bias']
        scores.append(float(x[0]))
    dump(aes, {
        'config.json': {
            'raftlab_image_reward': 'aesthetic-head', 'clip_model': 'tiny/clip', 'clip_revision': 'main',
            'weights': 'head.safetensors', 'layers': names, 'sizes': sizes, 'activation': 'none',
            'input': 'normalized image_embeds', 'score_range': [1, 10],
        },
        'reference.json': {'scores': scores},
    })
    print('wrote', os.path.normpath(clip), os.path.normpath(vit), os.path.normpath(aes))
    print('cosine', np.round(cos, 4).tolist())
    print('probs', [np.round(p, 4).tolist() for p in probs])
    print('aesthetic', np.round(scores, 4).tolist())


if __name__ == '__main__':
    main()
