"""A plain numpy forward pass of polyak's Switch MLM model from an exported safetensors file alone.

Usage: python3 switch_forward.py MODEL.safetensors IDS OUT.txt [CAPACITY_FACTOR]
  IDS: comma-separated token ids of one sequence; OUT.txt gets the logits [length, vocab];
  CAPACITY_FACTOR: the run's (default 1.5, the paper's and polyak's default).

The encoder is bert_forward.py's (embeddings, attention, MLM head), with every layer's FFN replaced
by a mixture of experts (dev.polyak.nn.Switch). Mask groups: mask/layer<l> for l < layers are the
heads of layer l, mask/layer<layers + l> the experts of layer l. The experts still in a compacted
file are those whose mask/compaction/layer<layers + l> entry is not -1 (all of them in a full-size
file); a sliced-out expert's tensors are empty and the router has one column per present expert,
in ascending original index. Routing over the tokens of the sequence: logits x @ router.weight, a
present but masked expert's logit -inf, softmax; each token to the expert of its largest logit (the
lower index on a tie); capacity ceil(factor * tokens / kept experts), tokens past their expert's
capacity (in token order) dropped with output 0; a routed token's output is its expert's FFN times
the expert's probability; x = LN(x + output). Computed in float64.
"""
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bert_forward import attention, dense, gelu, layer_norm, load  # noqa: E402


def experts(x, t, layer, layers, factor):
    p = "layer%d.ffn." % layer
    group = layers + layer
    mask = t["mask/layer%d" % group]
    positions = t.get("mask/compaction/layer%d" % group)
    present = np.arange(mask.shape[0]) if positions is None else np.nonzero(positions >= 0)[0]
    router = t[p + "router.weight"]
    assert router.shape[1] == len(present), (router.shape, present)
    kept = mask[present] != 0
    tokens = x.shape[0]
    out = np.zeros_like(x)
    if not kept.any():
        return out
    logits = x @ router
    logits[:, ~kept] = -np.inf
    probabilities = np.exp(logits - logits.max(-1, keepdims=True))
    probabilities /= probabilities.sum(-1, keepdims=True)
    choice = logits.argmax(-1)  # the first maximum: the lower index on a tie
    capacity = math.ceil(factor * tokens / kept.sum() - 1e-9)
    load = np.zeros(len(present), dtype=int)
    for token in range(tokens):
        e = choice[token]
        load[e] += 1
        if load[e] > capacity:
            continue
        name = p + "expert%d" % present[e]
        hidden = gelu(dense(x[token:token + 1], t, name + ".in"))
        out[token] = dense(hidden, t, name + ".out")[0] * probabilities[token, e]
    return out


def forward(t, ids, factor):
    groups = len([n for n in t if n.startswith("mask/layer")])
    layers = groups // 2
    x = t["embeddings.token"][ids] + t["embeddings.position"][: len(ids)]
    x = layer_norm(x, t, "embeddings.norm")
    for l in range(layers):
        x = attention(x, t, l)
        x = layer_norm(x + experts(x, t, l, layers, factor), t, "layer%d.ffn.norm" % l)
    h = layer_norm(gelu(dense(x, t, "mlm.dense")), t, "mlm.norm")
    return h @ t["embeddings.token"].T + t["mlm.decoder.bias"]


if __name__ == "__main__":
    tensors = load(sys.argv[1])
    ids = np.array([int(i) for i in sys.argv[2].split(",")])
    factor = float(sys.argv[4]) if len(sys.argv) > 4 else 1.5
    np.savetxt(sys.argv[3], forward(tensors, ids, factor), fmt="%.17g")
