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
