"""The seed code's filter loop, ported faithfully to Keras 3: the reference the engine is measured against.

One filter at a time, in eager mode: a random grey image, ``steps`` steps of gradient ascent on the mean
activation of the filter (borders excluded), the gradient L2-normalised, a fixed step size. This is the loop
of keras-io's "Visualizing what convnets learn", which the seed code copied, without its ``tf.function``.
"""

from __future__ import annotations

import numpy as np


def visualize_one_filter(feature_extractor, filter_index: int, size: int, steps: int, learning_rate: float = 10.0) -> np.ndarray:
    import tensorflow as tf

    image = tf.random.uniform((1, size, size, 3))
    image = (image - 0.5) * 0.25
    for _ in range(steps):
        with tf.GradientTape() as tape:
            tape.watch(image)
            activation = feature_extractor(image)
            loss = tf.reduce_mean(activation[:, 2:-2, 2:-2, filter_index])
        gradients = tf.math.l2_normalize(tape.gradient(loss, image))
        image = image + learning_rate * gradients
    return image[0].numpy()
