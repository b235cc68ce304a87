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


def random_affine(images, step, seed: int, robustness: Robustness, min_canvas: int = 32, multiple: int = 8):
    """Pad ``images`` (N, H, W, 3), apply an independent random affine transform to each, crop if asked."""
    import keras
    import tensorflow as tf

    before, after = canvas_padding(int(images.shape[1]), robustness, min_canvas, multiple)
    padded = tf.pad(images, [[0, 0], [before, after], [before, after], [0, 0]], constant_values=0.5)
    count = tf.shape(images)[0]
    size = tf.cast(tf.shape(padded)[1:3], tf.float32)
    key = tf.stack([tf.constant(seed, tf.int64), tf.cast(step, tf.int64)])
    draws = tf.random.stateless_uniform([count, 4], seed=key, minval=-1.0, maxval=1.0)
    low, high = robustness.scale
    scale = low + (draws[:, 0] + 1.0) * 0.5 * (high - low)
    angle = draws[:, 1] * (robustness.degrees * math.pi / 180.0)
    shift_x = draws[:, 2] * robustness.jitter
    shift_y = draws[:, 3] * robustness.jitter
    cos, sin = tf.cos(angle) / scale, tf.sin(angle) / scale
    centre_y, centre_x = (size[0] - 1) / 2, (size[1] - 1) / 2
    # Output pixel (x, y) samples input at R^-1 S^-1 (p - c) + c + shift: the inverse map ImageProjectiveTransform wants.
    transform = tf.stack(
        [
            cos, sin, centre_x - cos * centre_x - sin * centre_y + shift_x,
            -sin, cos, centre_y + sin * centre_x - cos * centre_y + shift_y,
            tf.zeros_like(cos), tf.zeros_like(cos),
        ],
        axis=1,
    )
    moved = keras.ops.image.affine_transform(padded, transform, interpolation="bilinear", fill_mode="constant", fill_value=0.5)
    if not robustness.crop:
        return moved
    side = network_side(int(images.shape[1]), robustness, min_canvas, multiple)
    start = (int(padded.shape[1]) - side) // 2
    return moved[:, start : start + side, start : start + side, :]
