"""The sanity check of a saliency method (Adebayo et al., "Sanity checks for saliency maps", 2018).

A map that explains what a network learned must change when what it learned is destroyed. The network is copied
with every weight re-drawn by its layers' own initialisers (seeded), the same photos are explained for the same
classes, and each map is compared with its trained counterpart by rank correlation. A method and layer whose maps
barely change (a mean correlation of ``scoring.FLAG_AT`` or more) show the photo, not the network: an edge
detector would pass as a heatmap otherwise.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

REDRAW_SALT = 1_000_003
"""Added to the atlas' seed for the re-drawn weights: an untrained network drawn with the atlas' seed is then
compared with a different random network, not with itself."""


def randomized(model, seed: int):
    """A copy of ``model`` with the same graph and every weight re-drawn by its layer's initialiser, seeded.

    Batch normalisation gets its initial statistics (mean 0, variance 1), as a freshly built network has.
    """
    import keras

    keras.utils.set_random_seed(seed + REDRAW_SALT)
    copy = keras.models.clone_model(model)
    if not copy.built:
        copy.build(model.input_shape)
    return copy


def ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 0..n-1 of a flat array, ties sharing their mean rank (as Spearman's correlation needs)."""
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    order = np.argsort(values, kind="stable")
    sorted_values = values[order]
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], len(values)]
    mean_ranks = (starts + ends - 1) / 2.0
    result = np.empty(len(values))
    result[order] = np.repeat(mean_ranks, ends - starts)
    return result


def rank_correlation(first: np.ndarray, second: np.ndarray) -> float:
    """Spearman's rank correlation of two maps of the same shape; 0 when either is constant (it ranks nothing)."""
    first, second = np.asarray(first), np.asarray(second)
    if first.shape != second.shape:
        raise ValueError(f"maps to correlate must have one shape, got {first.shape} and {second.shape}")
    a, b = ranks(first), ranks(second)
    a, b = a - a.mean(), b - b.mean()
    norm = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / norm) if norm > 0 else 0.0


def sanity(explain: Callable[[object, np.ndarray], dict[str, np.ndarray]], model, images: np.ndarray, *,
           seed: int = 0) -> dict[str, np.ndarray]:
    """Per map name: the rank correlation of each image's map on ``model`` and on its ``randomized`` copy.

    ``explain(model, images)`` returns named (N, h, w) maps (per layer, per method...), explaining the same
    classes whatever the weights (pass the trained network's classes in).
    """
    trained = explain(model, images)
    redrawn = explain(randomized(model, seed), images)
    return {name: np.array([rank_correlation(a, b) for a, b in zip(trained[name], redrawn[name], strict=True)],
                           dtype=np.float32)
            for name in trained}
