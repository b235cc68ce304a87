"""What each selected layer outputs: one multi-output forward pass for all layers of an image batch."""

from __future__ import annotations

import numpy as np

from generator.compute.feed import run_model
from generator.compute.flatten import reachable


def layer_activations(model, images: np.ndarray, layer_names: list[str]) -> dict[str, np.ndarray]:
    """``{layer_name: float32 array (N, h, w, channels)}`` for a preprocessed image batch.

    Layers inside a nested model are reached too (see ``flatten.reachable``); results keep the names given.
    """
    import keras

    flat, names = reachable(model, layer_names)
    probe = keras.Model(flat.inputs, [flat.get_layer(name).output for name in names])
    outputs = run_model(probe, np.asarray(images, dtype=np.float32), training=False)
    if len(layer_names) == 1:
        outputs = [outputs]
    return {name: np.asarray(outputs[index], dtype=np.float32) for index, name in enumerate(layer_names)}


def shown_levels(activation: np.ndarray, channels: int, max_side: int, levels: int) -> np.ndarray:
    """uint8 (k, h', w'): the first ``channels`` channels of (h, w, C) at the precision an activation grid shows.

    A map wider than ``max_side`` (the tile size the grid is shown at) is averaged down by the smallest whole
    factor that fits, each shown pixel the mean of the units it covers; then each channel is scaled to its own
    range and rounded to ``levels`` steps (0 at its minimum, ``levels - 1`` at its maximum). The array tier stores
    this and nothing else: 1/4 of float32's bytes at full size, 1/16 for a map averaged down by two.
    """
    values = np.asarray(activation, dtype=np.float32)
    if values.ndim != 3:
        raise ValueError(f"expected one image's activations shaped (h, w, channels), got {values.shape}")
    values = values[..., :channels]
    factor = max(1, -(-max(values.shape[:2]) // max_side))
    if factor > 1:
        values = _block_mean(values, factor)
    low = values.min(axis=(0, 1))
    span = values.max(axis=(0, 1)) - low
    scaled = np.divide(values - low, span, out=np.zeros_like(values), where=span > 0)
    return np.round(np.clip(np.moveaxis(scaled, -1, 0), 0.0, 1.0) * (levels - 1)).astype(np.uint8)


def _block_mean(values: np.ndarray, factor: int) -> np.ndarray:
    """Means of ``factor`` x ``factor`` blocks of (h, w, C); a partial block at an edge averages the units it has."""
    height, width = values.shape[:2]
    padded = np.full((-(-height // factor) * factor, -(-width // factor) * factor, values.shape[2]), np.nan, np.float32)
    padded[:height, :width] = values
    blocks = padded.reshape(padded.shape[0] // factor, factor, padded.shape[1] // factor, factor, -1)
    return np.nanmean(blocks, axis=(1, 3))
