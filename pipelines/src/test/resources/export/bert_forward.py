"""A plain numpy forward pass of polyak's BERT MLM model from an exported safetensors file alone.

Usage: python3 bert_forward.py MODEL.safetensors IDS OUT.txt
  IDS: comma-separated token ids of one sequence; OUT.txt gets the logits [length, vocab].

It reads the shapes from the safetensors header and nothing from polyak's code: the number of
heads of layer l is the length of mask/layer<l>, the head size hidden / heads, and the heads still
in a compacted file are those whose mask/compaction/layer<l> entry is not -1 (all of them in a
full-size file). The model (dev.polyak.nn.Bert): post-LayerNorm blocks x = LN(x + Attn(x)),
x = LN(x + FFN(x)), LayerNorm eps 1e-5, exact (erf) GELU, scores / sqrt(head size), no attention
mask, a head's context multiplied by its mask entry, MLM head LN(GELU(dense(h))) times the token
embeddings transposed (tied decoder) plus the decoder bias. Weights are [in, out]. Computed in
float64.
"""
import json
import math
import struct
import sys

import numpy as np

DTYPES = {"F32": np.float32, "F64": np.float64, "I32": np.int32, "I64": np.int64}
EPS = 1e-5


def load(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        a = np.frombuffer(data[start:end], dtype=np.dtype(DTYPES[info["dtype"]]).newbyteorder("<"))
        tensors[name] = a.reshape(info["shape"]).astype(np.float64)
    return tensors


def layer_norm(x, t, name):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + EPS) * t[name + ".gain"] + t[name + ".bias"]


_erf = np.vectorize(math.erf)


def gelu(x):
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def dense(x, t, name):
    return x @ t[name + ".weight"] + t[name + ".bias"]


def attention(x, t, layer):
    p = "layer%d.attention." % layer
    mask = t["mask/layer%d" % layer]
    hidden = x.shape[-1]
    d = hidden // mask.shape[0]
    positions = t.get("mask/compaction/layer%d" % layer)
    present = np.arange(mask.shape[0]) if positions is None else np.nonzero(positions >= 0)[0]
    heads = t[p + "query.weight"].shape[1] // d
    assert heads == len(present), (heads, present)
    length = x.shape[0]

    def split(y):
        return y.reshape(length, heads, d).transpose(1, 0, 2)

    q, k, v = (split(dense(x, t, p + n)) for n in ("query", "key", "value"))
    scores = q @ k.transpose(0, 2, 1) / math.sqrt(d)
    scores = np.exp(scores - scores.max(-1, keepdims=True))
    weights = scores / scores.sum(-1, keepdims=True)
    context = (weights @ v) * mask[present][:, None, None]
    context = context.transpose(1, 0, 2).reshape(length, heads * d)
    return layer_norm(x + dense(context, t, p + "output"), t, p + "norm")


def forward(t, ids):
    layers = len([n for n in t if n.startswith("mask/layer")])
    x = t["embeddings.token"][ids] + t["embeddings.position"][: len(ids)]
    x = layer_norm(x, t, "embeddings.norm")
    for l in range(layers):
        x = attention(x, t, l)
        p = "layer%d.ffn" % l
        x = layer_norm(x + dense(gelu(dense(x, t, p + ".in")), t, p + ".out"), t, p + ".norm")
    h = layer_norm(gelu(dense(x, t, "mlm.dense")), t, "mlm.norm")
    return h @ t["embeddings.token"].T + t["mlm.decoder.bias"]


if __name__ == "__main__":
    tensors = load(sys.argv[1])
    ids = np.array([int(i) for i in sys.argv[2].split(",")])
    np.savetxt(sys.argv[3], forward(tensors, ids), fmt="%.17g")
