"""The receptive field of a layer: how many input pixels one of its units can see.

A filter whose units see only a few pixels pictures a texture, and the decorrelated Fourier image is periodic,
so optimising one small period and tiling it gives the same picture for a fraction of the work. Deep layers
see more than the canvas and keep the whole canvas.
"""

from __future__ import annotations

import math


def _pair(value, default: int = 1) -> tuple[int, int]:
    if value is None:
        return default, default
    if isinstance(value, int):
        return value, value
    return int(value[0]), int(value[1])


def _window(layer) -> tuple[int, int, int]:
    """(kernel extent, stride, dilation) of a layer along one axis (the larger of the two)."""
    kernel = _pair(getattr(layer, "kernel_size", None) or getattr(layer, "pool_size", None))
    stride = _pair(getattr(layer, "strides", None))
    dilation = _pair(getattr(layer, "dilation_rate", None))
    return max(kernel), max(stride), max(dilation)


def receptive_field(model, layer_name: str) -> int | None:
    """Side in input pixels of the region one unit of ``layer_name`` sees (the widest path), or None if unknown.

    Walks the graph in order, carrying (field, jump) per layer: field grows by (kernel - 1) * dilation * jump,
    jump multiplies by the stride; where branches join, the widest field wins. A global pooling on the way
    (squeeze-and-excitation blocks have one) makes the field the whole image: the answer is then None, and
    callers keep the full canvas.
    """
    fields: dict[str, tuple[int, int]] = {}
    for layer in model.layers:
        parents = [node.operation.name for node in layer._inbound_nodes[0].parent_nodes] if layer._inbound_nodes else []
        known = [fields[name] for name in parents if name in fields]
        if parents and len(known) < len(parents):
            return None
        field, jump = (max(field for field, _ in known), max(jump for _, jump in known)) if known else (1, 1)
        if "Global" in type(layer).__name__:  # e.g. squeeze-and-excitation: every later unit sees everything
            return None
        kernel, stride, dilation = _window(layer)
        fields[layer.name] = (field + (kernel - 1) * dilation * jump, jump * stride)
        if layer.name == layer_name:
            return fields[layer.name][0]
    return None


def tile_side(field: int | None, size: int, smallest: int = 16, multiple: int = 8) -> int:
    """The side to optimise for a requested ``size``: one period a bit wider than the field, or ``size`` itself.

    Twice the field leaves room for the unit's whole window at any shift; a period that does not divide ``size``
    is not worth it (the tiling would cut it), and neither is one that saves less than half of the pixels.
    """
    if field is None:
        return size
    side = max(smallest, math.ceil(2 * field / multiple) * multiple)
    if side >= size or size % side or side * side * 2 > size * size:
        return size
    return side
