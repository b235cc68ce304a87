"""EfficientNet-Lite0 forward pass in NumPy, straight from the PyTorch state dict: a reference for the converter.

It follows the upstream PyTorch modules (lukemelas' EfficientNet with ml-illustrated's Lite changes, which the
pinned weights were trained and published with): NCHW tensors, cross-correlation with weights shaped
(out, in, kh, kw), TensorFlow-style "same" padding as their ``Conv2dStaticSamePadding`` computes it (the extra
row and column at the bottom and right), batch norm with epsilon 1e-3, ReLU6, no squeeze-and-excitation, and
``_fc`` as ``x @ W.T + b``. It shares nothing with ``weights.converters`` or the Keras model but the file
reader, so a wrong transpose, padding, epsilon or block order in the converter shows as different logits.
"""

from __future__ import annotations

import numpy as np

# (repeats, kernel, stride, expansion, output channels) per stage, as the upstream's block strings say
STAGES = ((1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80), (3, 5, 1, 6, 112), (4, 5, 2, 6, 192), (1, 3, 1, 6, 320))


def same_padding(x: np.ndarray, kernel: int, stride: int) -> np.ndarray:
    """Pad (N, C, H, W) as ``Conv2dStaticSamePadding`` does: total = max((ceil(H/s) - 1) * s + k - H, 0), half
    (rounded down) before, the rest after."""
    pads = []
    for size in x.shape[2:]:
        total = max((-(-size // stride) - 1) * stride + kernel - size, 0)
        pads.append((total // 2, total - total // 2))
    return np.pad(x, ((0, 0), (0, 0), *pads))


def conv(x: np.ndarray, weight: np.ndarray, stride: int = 1, groups: int = 1) -> np.ndarray:
    """Cross-correlation of (N, C, H, W) with (out, in / groups, k, k), "same" padded; groups = C is depthwise."""
    kernel = weight.shape[-1]
    x = same_padding(x, kernel, stride)
    n, channels, height, width = x.shape
    out_h, out_w = (height - kernel) // stride + 1, (width - kernel) // stride + 1
    if groups == channels:  # depthwise: one k x k filter per channel
        result = np.zeros((n, channels, out_h, out_w), np.float64)
        for i in range(kernel):
            for j in range(kernel):
                window = x[:, :, i : i + stride * out_h : stride, j : j + stride * out_w : stride]
                result += window * weight[:, 0, i, j][None, :, None, None]
        return result
    result = np.zeros((n, weight.shape[0], out_h, out_w), np.float64)
    for i in range(kernel):
        for j in range(kernel):
            window = x[:, :, i : i + stride * out_h : stride, j : j + stride * out_w : stride]
            result += np.einsum("nchw,oc->nohw", window, weight[:, :, i, j])
    return result


def batch_norm(x: np.ndarray, state: dict, prefix: str, epsilon: float = 1e-3) -> np.ndarray:
    shape = (1, -1, 1, 1)
    mean, variance = state[prefix + "running_mean"].reshape(shape), state[prefix + "running_var"].reshape(shape)
    return (x - mean) / np.sqrt(variance + epsilon) * state[prefix + "weight"].reshape(shape) + state[prefix + "bias"].reshape(shape)


def relu6(x: np.ndarray) -> np.ndarray:
    return np.clip(x, 0.0, 6.0)


def logits(state: dict[str, np.ndarray], images: np.ndarray) -> np.ndarray:
    """Pre-softmax scores (N, 1000) of preprocessed NHWC ``images`` ((x - 127) / 128), in float64."""
    state = {name: np.asarray(value, np.float64) for name, value in state.items()}
    x = np.transpose(np.asarray(images, np.float64), (0, 3, 1, 2))
    x = relu6(batch_norm(conv(x, state["_conv_stem.weight"], stride=2), state, "_bn0."))
    index, channels = 0, 32
    for repeats, _kernel, stride, expansion, out in STAGES:  # the kernel size comes with the weights
        for repeat in range(repeats):
            block = f"_blocks.{index}."
            y = x
            if expansion != 1:
                y = relu6(batch_norm(conv(y, state[block + "_expand_conv.weight"]), state, block + "_bn0."))
            y = conv(y, state[block + "_depthwise_conv.weight"], stride=stride if repeat == 0 else 1, groups=y.shape[1])
            y = relu6(batch_norm(y, state, block + "_bn1."))
            y = batch_norm(conv(y, state[block + "_project_conv.weight"]), state, block + "_bn2.")
            if (stride if repeat == 0 else 1) == 1 and channels == out:
                y = y + x  # the identity skip (drop-connect is off at inference)
            x, channels, index = y, out, index + 1
    x = relu6(batch_norm(conv(x, state["_conv_head.weight"]), state, "_bn1."))
    pooled = x.mean(axis=(2, 3))
    return pooled @ state["_fc.weight"].T + state["_fc.bias"]
