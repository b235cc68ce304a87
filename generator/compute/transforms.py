"""Transformation robustness: a random pad, jitter, scale and rotation per image, at every step.

A feature that survives being shifted, scaled and turned a little is a feature of the network, not an
adversarial pattern of one exact pixel grid. All four are one affine transform per image of the batch, drawn
from a stateless generator keyed by (seed, step) so that a run is repeatable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Robustness:
    """How far each step may move an image (Lucid's standard transforms, expressed in pixels and degrees)."""

    pad: int = 12
    """Constant grey border added before transforming, so shifts do not expose the canvas edge."""
    jitter: int = 8
    """Largest shift in pixels along each axis."""
    scale: tuple[float, float] = (0.9, 1.1)
    """Range of the random scale factor."""
    degrees: float = 10.0
    """Largest rotation either way."""
    crop: bool = True
    """Crop the transformed canvas back to the image size (or the network's smallest input) before the network.

    Lucid feeds the padded canvas to the network: at 64 px that is an 88 px input, 1.9 times the work per step.
    Cropping keeps what the padding is for (shifts, scales and turns expose grey, not wrapped pixels) at the
    size asked for; each border pixel is out of view on some steps, and in view on most."""


def canvas_padding(size: int, robustness: Robustness, min_canvas: int = 32, multiple: int = 8) -> tuple[int, int]:
    """(before, after) padding giving a canvas of at least ``size + 2 * pad`` and ``min_canvas``, a multiple of ``multiple``."""
    wanted = max(size + 2 * robustness.pad, min_canvas)
    canvas = -(-wanted // multiple) * multiple
    total = canvas - size
    return total // 2, total - total // 2


def network_side(size: int, robustness: Robustness, min_canvas: int = 32, multiple: int = 8) -> int:
    """Side of the input the network sees for ``size``-pixel images."""
    if not robustness.crop:
        return size + sum(canvas_padding(size, robustness, min_canvas, multiple))
    return -(-max(size, min_canvas) // multiple) * multiple


def random_affine(images, step, seed: int, robustness: Robustness, min_canvas: int = 32, multiple: int = 8, amount=None):
    """Pad ``images`` (N, H, W, 3), apply an independent random affine transform to each, crop if asked.

    ``amount`` (a float32 scalar tensor, None: 1) scales every draw towards no movement: the filter loop's last
    steps settle the images into the exact pixel grid they are shown on (see ``filters``).

    All three are one resampling: the transform reads the unpadded image, where any pixel outside it is the
    pad's grey (bilinear sampling treats each out-of-range neighbour as the fill value, exactly as it would
    treat a grey padding pixel), and writes only the output window. Padding, then slicing the result, cost
    more than the transform itself once their gradients were counted (``StridedSliceGrad`` is slow on CPUs).
    """
    import tensorflow as tf

    size = int(images.shape[1])
    before, after = canvas_padding(size, robustness, min_canvas, multiple)
    padded_side = size + before + after
    side = network_side(size, robustness, min_canvas, multiple)
    start = (padded_side - side) // 2 if robustness.crop else 0
    out_side = side if robustness.crop else padded_side
    if robustness.jitter == 0 and robustness.degrees == 0 and tuple(robustness.scale) == (1.0, 1.0):
        # Nothing moves: the resampling would copy pixels, so only the grey border is added.
        first = before - start
        return tf.pad(images, [[0, 0], [first, out_side - size - first], [first, out_side - size - first], [0, 0]],
                      constant_values=0.5)
    count = tf.shape(images)[0]
    key = tf.stack([tf.constant(seed, tf.int64), tf.cast(step, tf.int64)])
    draws = tf.random.stateless_uniform([count, 4], seed=key, minval=-1.0, maxval=1.0)
    if amount is not None:
        draws = draws * amount
    low, high = robustness.scale
    # the middle of the range is no scaling when the range is symmetric (0.9 to 1.1), as every recipe's is
    scale = low + (draws[:, 0] + 1.0) * 0.5 * (high - low)
    angle = draws[:, 1] * (robustness.degrees * math.pi / 180.0)
    shift_x = draws[:, 2] * robustness.jitter
    shift_y = draws[:, 3] * robustness.jitter
    cos, sin = tf.cos(angle) / scale, tf.sin(angle) / scale
    centre = (padded_side - 1) / 2
    # Output pixel o samples the padded canvas at R^-1 S^-1 (o + start - c) + c + shift, which is the image
    # at that point minus the padding: the inverse map ImageProjectiveTransform wants.
    offset = start - centre
    transform = tf.stack(
        [
            cos, sin, cos * offset + sin * offset + centre + shift_x - before,
            -sin, cos, -sin * offset + cos * offset + centre + shift_y - before,
            tf.zeros_like(cos), tf.zeros_like(cos),
        ],
        axis=1,
    )
    return tf.raw_ops.ImageProjectiveTransformV3(
        images=images, transforms=transform, output_shape=tf.constant([out_side, out_side], tf.int32),
        fill_value=tf.constant(0.5, images.dtype), interpolation="BILINEAR", fill_mode="CONSTANT",
    )
