"""The layer summary table as plain rows, and the architecture graph as DOT source.

Both are computed from the model here so that rendering and pages never touch Keras.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class LayerRow:
    """One row of the layer summary."""

    name: str
    kind: str
    output_shape: str
    parameters: int


@dataclass(frozen=True)
class Summary:
    """The layer table and its totals."""

    rows: list[LayerRow]
    total_parameters: int
    trainable_parameters: int

    @property
    def non_trainable_parameters(self) -> int:
        return self.total_parameters - self.trainable_parameters


def _count(weights) -> int:
    total = 0
    for weight in weights:
        size = 1
        for dim in weight.shape:
            size *= int(dim)
        total += size
    return total


def layer_summary(model) -> Summary:
    """Name, type, output shape and parameter count of every layer, with totals."""
    rows = []
    for layer in model.layers:
        try:
            shape = layer.output.shape
            shape_text = str(tuple(shape)).replace("None", "?")
        except (AttributeError, ValueError):
            shape_text = "multiple"
        rows.append(LayerRow(layer.name, type(layer).__name__, shape_text, _count(layer.weights)))
    return Summary(rows, _count(model.weights), _count(model.trainable_weights))


def architecture_dot(model, *, max_layers: int = 2000) -> str:
    """DOT source of the architecture plot (``keras.utils.model_to_dot``), or '' for absurdly deep graphs.

    Graphviz lays out even NASNetMobile's 771 layers in about a second, so every Keras Application gets its
    plot; beyond ``max_layers`` the page says why there is none instead.
    """
    import keras

    if len(model.layers) > max_layers:
        return ""
    dot = keras.utils.model_to_dot(model, show_shapes=True, show_layer_names=True, dpi=None, rankdir="TB")
    return stable_node_names(dot.to_string())


def stable_node_names(dot_source: str) -> str:
    """Replace Keras' node names, which are ``id(layer)`` memory addresses, by ``n0, n1...`` in order of appearance.

    Without this, the same model gives a different SVG on every run.
    """
    names: dict[str, str] = {}

    def rename(match: "re.Match[str]") -> str:
        return names.setdefault(match.group(0), f"n{len(names)}")

    return re.sub(r"\b\d{9,}\b", rename, dot_source)
