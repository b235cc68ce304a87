"""Class probabilities of an image batch (softmax of the pre-softmax scores)."""

from __future__ import annotations

import numpy as np

from generator.compute.feed import run_model

from generator.compute.logits import is_probability_output


def predict(model, images: np.ndarray) -> np.ndarray:
    """float32 probabilities (N, classes) for a preprocessed batch."""
    outputs = np.asarray(run_model(model, np.asarray(images, dtype=np.float32), training=False), dtype=np.float64)
    if not is_probability_output(model):
        outputs = np.exp(outputs - outputs.max(axis=1, keepdims=True))
        outputs /= outputs.sum(axis=1, keepdims=True)
    return outputs.astype(np.float32)
