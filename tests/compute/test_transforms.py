"""The random transform: one resampling that equals padding, transforming and cropping, done separately."""

import numpy as np
import pytest

from generator.compute.transforms import Robustness, canvas_padding, network_side, random_affine


def pad_transform_crop(images, step: int, seed: int, robustness: Robustness):
    """The three steps done separately, as Lucid does them (and as this project did before): the reference."""
    import keras
    import tensorflow as tf

    before, after = canvas_padding(images.shape[1], robustness)
    padded = tf.pad(images, [[0, 0], [before, after], [before, after], [0, 0]], constant_values=0.5)
    key = tf.stack([tf.constant(seed, tf.int64), tf.constant(step, tf.int64)])
    draws = tf.random.stateless_uniform([images.shape[0], 4], seed=key, minval=-1.0, maxval=1.0)
    low, high = robustness.scale
    scale = low + (draws[:, 0] + 1.0) * 0.5 * (high - low)
    angle = draws[:, 1] * np.deg2rad(robustness.degrees)
    cos, sin = tf.cos(angle) / scale, tf.sin(angle) / scale
    c = (padded.shape[1] - 1) / 2
    transform = tf.stack([cos, sin, c - cos * c - sin * c + draws[:, 2] * robustness.jitter,
                          -sin, cos, c + sin * c - cos * c + draws[:, 3] * robustness.jitter,
                          tf.zeros_like(cos), tf.zeros_like(cos)], axis=1)
    moved = keras.ops.image.affine_transform(padded, transform, interpolation="bilinear", fill_mode="constant",
                                             fill_value=0.5)
    side = network_side(images.shape[1], robustness)
    start = (padded.shape[1] - side) // 2
    return padded[:, start:start + side, start:start + side], moved[:, start:start + side, start:start + side]


@pytest.mark.parametrize("size,step", [(24, 0), (64, 7)])
def test_one_resampling_equals_pad_transform_and_crop(size, step):
    images = np.random.default_rng(step).uniform(0, 1, (3, size, size, 3)).astype(np.float32)
    robustness = Robustness()
    unmoved, expected = pad_transform_crop(images, step, 5, robustness)
    moved = random_affine(images, step, 5, robustness)
    assert moved.shape == expected.shape == (3, network_side(size, robustness), network_side(size, robustness), 3)
    np.testing.assert_allclose(moved.numpy(), expected.numpy(), atol=1e-4)
    assert np.abs(moved.numpy() - unmoved.numpy()).mean() > 0.02  # and it did move the images


def test_without_crop_the_whole_padded_canvas_comes_back():
    images = np.zeros((2, 24, 24, 3), np.float32)
    robustness = Robustness(crop=False)
    moved = random_affine(images, 0, 0, robustness).numpy()
    assert moved.shape[1] == 24 + sum(canvas_padding(24, robustness))
    assert moved[:, 0, 0].min() == pytest.approx(0.5)  # the corner is the pad's grey


@pytest.mark.parametrize("crop", [True, False])
def test_a_transform_that_moves_nothing_only_adds_the_grey_border(crop):
    import tensorflow as tf

    images = np.random.default_rng(3).uniform(0, 1, (2, 24, 24, 3)).astype(np.float32)
    still = Robustness(jitter=0, degrees=0.0, scale=(1.0, 1.0), crop=crop)
    barely = Robustness(jitter=0, degrees=1e-9, scale=(1.0, 1.0), crop=crop)  # goes through the resampling
    resampled = random_affine(tf.constant(images), 0, 0, barely).numpy()
    padded = random_affine(tf.constant(images), 0, 0, still).numpy()
    assert padded.shape == resampled.shape
    np.testing.assert_allclose(padded, resampled, atol=1e-5)
