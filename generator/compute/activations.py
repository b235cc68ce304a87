"""What each selected layer outputs: one multi-output forward pass for all layers of an image batch."""

from __future__ import annotations

import numpy as np

from generator.compute.feed import run_model


def layer_activations(model, images: np.ndarray, layer_names: list[str]) -> dict[str, np.ndarray]:
    """``{layer_name: float32 array (N, h, w, channels)}`` for a preprocessed image batch."""
    import keras

    probe = keras.Model(model.inputs, [model.get_layer(name).output for name in layer_names])
    outputs = run_model(probe, np.asarray(images, dtype=np.float32), training=False)
    if len(layer_names) == 1:
        outputs = [outputs]
    return {name: np.asarray(outputs[index], dtype=np.float32) for index, name in enumerate(layer_names)}
