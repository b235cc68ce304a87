"""Rough costs of the work units, in multiply-accumulates, to balance shards (not to report speed).

A layer's MACs are its weights times the positions it is applied at (exact for convolutions and dense layers,
zero for the weightless ones). Filters pay the network up to their layer, at the canvas size, for every filter and
step, forwards and backwards; an image pays the whole network once forwards and once backwards.
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


def filters_cost(macs: int, input_side: int | None, filters: int, steps: int, canvas: int) -> float:
    """The filter visualisation of one layer: forward and input-gradient passes at ``canvas`` px, from the layer's
    ``macs_up_to`` at the network's own input side (None: it takes any, so ``canvas``)."""
    return 3.0 * macs * (canvas / (input_side or canvas)) ** 2 * filters * max(steps, 1)


def analysis_cost(macs: int) -> float:
    """Predictions, activations and CAMs of one image: one forward and one backward pass, from the MACs of the
    whole network's forward pass."""
    return 3.0 * macs


def scores_cost(macs: int, maps: int, steps: int) -> float:
    """The scores of one image's ``maps`` heatmaps: ``2 + 2 x maps x (steps - 1)`` forward passes (see
    ``compute.faithfulness``) and the sanity check's forward and backward pass through the re-drawn network."""
    return macs * (2.0 + 2.0 * maps * max(steps - 1, 0)) + 3.0 * macs


def examples_cost(macs: int, photos: int) -> float:
    """The natural examples of a group of ``photos``: one forward pass each, from the whole network's MACs (the
    drawn layers' maxima are small beside it)."""
    return macs * float(photos)
