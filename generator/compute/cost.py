"""A network's multiply-accumulates, from which each unit kind's rough cost (``units.<kind>``) balances shards
(not to report speed).

A layer's MACs are its weights times the positions it is applied at (exact for convolutions and dense layers,
zero for the weightless ones).
"""

from __future__ import annotations

import math


def layer_macs(layer) -> int:
    """Weights x output positions: a convolution's multiply-accumulates for one image."""
    weights = sum(math.prod(weight.shape) for weight in layer.weights if len(weight.shape) > 1)
    shape = tuple(layer.output.shape) if hasattr(layer, "output") else ()
    positions = math.prod(int(side) for side in shape[1:3] if side) if len(shape) == 4 else 1
    return weights * positions


def macs_up_to(model, layer_name: str | None = None) -> int:
    """MACs of one forward pass of ``model`` at its own input size, up to and including ``layer_name``."""
    total = 0
    for layer in model.layers:
        total += layer_macs(layer)
        if layer.name == layer_name:
            break
    return total
