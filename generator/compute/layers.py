"""Which layers count as convolutional, and which of them an atlas draws."""

from __future__ import annotations

from typing import Any

import numpy as np

from generator.errors import AtlasError, ConfigError

CONVOLUTION_CLASSES = ("Conv2D", "DepthwiseConv2D", "SeparableConv2D", "Conv2DTranspose")


def convolutional_layers(model) -> list[Any]:
    """Convolutional layers of ``model`` in graph order, leaving out classifier heads.

    A convolution whose output is 1x1 in space (MobileNet's ``conv_preds``, after global pooling) is a dense
    layer in disguise: it has no spatial map to show and no filter to picture, so it is not drawn.
    """
    return [
        layer
        for layer in model.layers
        if type(layer).__name__ in CONVOLUTION_CLASSES and tuple(layer.output.shape[1:3]) != (1, 1)
    ]


def channel_count(layer) -> int:
    """Number of output channels (feature maps) of a layer."""
    return int(layer.output.shape[-1])


def spread_evenly(count: int, total: int) -> list[int]:
    """``count`` indices out of ``range(total)`` spread evenly, first and last included."""
    if total <= 0:
        return []
    if count >= total:
        return list(range(total))
    if count == 1:
        return [total - 1]
    return sorted({int(round(i)) for i in np.linspace(0, total - 1, count)})


def select_layers(model, choice: int | str | list[str], *, label: str = "model") -> list[str]:
    """Names of the convolutional layers to draw: N spread evenly, ``all``, or the names given."""
    convolutions = convolutional_layers(model)
    if not convolutions:
        raise AtlasError(f"{label} has no convolutional layer to draw")
    names = [layer.name for layer in convolutions]
    if choice == "all":
        return names
    if isinstance(choice, int):
        return [names[i] for i in spread_evenly(choice, len(names))]
    all_names = {layer.name for layer in model.layers}
    for name in choice:
        if name not in all_names:
            import difflib

            close = difflib.get_close_matches(name, names, n=3)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            raise ConfigError(f"layers: {label} has no layer named {name!r}.{hint}")
        if name not in names:
            kind = type(model.get_layer(name)).__name__
            raise ConfigError(f"layers: {name!r} of {label} is a {kind}, not a convolutional layer")
    return list(choice)
