"""A plain numpy forward pass of polyak's VGG-16 or CIFAR ResNet from an exported safetensors file.

Usage: python3 cnn_forward.py MODEL.safetensors IMAGES.txt OUT.txt
  IMAGES.txt: one image per line, 3 * 32 * 32 floats in NCHW order (already normalised);
  OUT.txt gets the logits [images, classes].

It reads the architecture from the tensor names and shapes alone, in evaluation mode (batch norm
with its running statistics, eps 1e-5; no dropout); convolutions are 3x3 with padding 1, weights
[out, in, 3, 3]; linear weights [out, in].
- VGG-16 (dev.polyak.nn.Vgg16): convolutions features.<i>, each followed by batch norm
  features.<i + 1> and ReLU; a 2x2 max-pool follows a convolution when the next one is 4 indices
  on (conv, BN, ReLU, pool), and always the last; then classifier.1, ReLU, classifier.4, ReLU,
  classifier.6 on the flattened 1x1 map. Mask group l is convolution l's filters.
- ResNet (dev.polyak.nn.ResNet56): conv, bn, ReLU; blocks.<k>: c1 (stride 2 when the block's
  output width, c2's outputs, exceeds its input width), b1, ReLU, c2, b2, plus the option-A
  shortcut (every second pixel, the missing channels zero, half before and half after), ReLU;
  global average pool; fc. Mask group k is block k's inner (c1) filters.
A group's filters still in a compacted file are those whose mask/compaction/layer<l> entry is not
-1 (all of them in a full-size file); each present filter's output, after its batch norm, is
multiplied by its mask entry. Computed in float64.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bert_forward import load  # noqa: E402

EPS = 1e-5


def conv3x3(x, w, stride, bias=None):
    """x [n, in, h, w], w [out, in, 3, 3], padding 1."""
    n, c, h, width = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    oh, ow = (h - 1) // stride + 1, (width - 1) // stride + 1
    out = np.zeros((n, w.shape[0], oh, ow))
    for dy in range(3):
        for dx in range(3):
            patch = padded[:, :, dy:dy + stride * oh:stride, dx:dx + stride * ow:stride]
            out += np.einsum("nchw,oc->nohw", patch, w[:, :, dy, dx])
    return out if bias is None else out + bias[None, :, None, None]


def batch_norm(x, t, name):
    scale = t[name + ".weight"] / np.sqrt(t[name + ".running_var"] + EPS)
    shift = t[name + ".bias"] - t[name + ".running_mean"] * scale
    return x * scale[None, :, None, None] + shift[None, :, None, None]


def mask_filters(x, t, group):
    mask = t["mask/layer%d" % group]
    positions = t.get("mask/compaction/layer%d" % group)
    present = np.arange(mask.shape[0]) if positions is None else np.nonzero(positions >= 0)[0]
    assert x.shape[1] == len(present), (x.shape, present)
    return x * mask[present][None, :, None, None]


def relu(x):
    return np.maximum(x, 0)


def linear(x, t, name):
    return x @ t[name + ".weight"].T + t[name + ".bias"]


def vgg(t, x):
    convolutions = sorted(
        int(n.split(".")[1]) for n in t if n.startswith("features.") and t[n].ndim == 4)
    for l, i in enumerate(convolutions):
        name = "features.%d" % i
        x = conv3x3(x, t[name + ".weight"], 1, t.get(name + ".bias"))
        x = relu(mask_filters(batch_norm(x, t, "features.%d" % (i + 1)), t, l))
        if l + 1 == len(convolutions) or convolutions[l + 1] - i == 4:
            n, c, h, w = x.shape
            x = x.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))
    x = x.reshape(x.shape[0], -1)
    x = relu(linear(x, t, "classifier.1"))
    x = relu(linear(x, t, "classifier.4"))
    return linear(x, t, "classifier.6")


def shortcut(x, width, stride):
    if stride == 1 and x.shape[1] == width:
        return x
    sampled = x[:, :, ::stride, ::stride]
    pad = width - x.shape[1]
    return np.pad(sampled, ((0, 0), (pad // 2, pad - pad // 2), (0, 0), (0, 0)))


def resnet(t, x):
    x = relu(batch_norm(conv3x3(x, t["conv.weight"], 1), t, "bn"))
    blocks = len([n for n in t if n.startswith("blocks.") and n.endswith(".c1.weight")])
    for k in range(blocks):
        p = "blocks.%d." % k
        width = t[p + "c2.weight"].shape[0]
        stride = 2 if width > x.shape[1] else 1
        inner = relu(mask_filters(batch_norm(conv3x3(x, t[p + "c1.weight"], stride), t, p + "b1"),
                                  t, k))
        residual = batch_norm(conv3x3(inner, t[p + "c2.weight"], 1), t, p + "b2")
        x = relu(residual + shortcut(x, width, stride))
    return linear(x.mean(axis=(2, 3)), t, "fc")


def forward(t, images):
    return resnet(t, images) if "conv.weight" in t else vgg(t, images)


if __name__ == "__main__":
    tensors = load(sys.argv[1])
    images = np.loadtxt(sys.argv[2], ndmin=2).reshape(-1, 3, 32, 32)
    np.savetxt(sys.argv[3], forward(tensors, images), fmt="%.17g")
