"""How faithful a heatmap is to the network it explains: deletion and insertion curves (Petsiuk et al., "RISE", 2018).

Deletion replaces the photo's pixels with those of a blurred copy, most important first by the map, and follows
the explained class's probability; insertion starts from the blurred copy and reveals the pixels in the same
order. A map that points at what the network uses makes the probability fall fast under deletion (a low area under
the curve) and rise fast under insertion (a high area). A random map gives each photo's chance level; ties in a
map are broken in a seeded random order, so a constant map scores exactly at that chance level instead of
favouring the top-left corner.

This is the engine only (issue 18); the atlas does not yet run it per layer and method, cache it or show it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from generator.compute.feed import run_model


@dataclass(frozen=True)
class Curves:
    """Per image: the explained class's probability at each of ``steps + 1`` fractions 0, 1/steps, ..., 1 of the
    pixels deleted (or inserted), and the areas under both curves (trapezoids over [0, 1])."""

    deletion: np.ndarray
    """(N, steps + 1)."""
    insertion: np.ndarray
    """(N, steps + 1)."""
    deletion_auc: np.ndarray
    """(N,); lower is more faithful."""
    insertion_auc: np.ndarray
    """(N,); higher is more faithful."""


def blurred(images: np.ndarray, sigma: float | None = None) -> np.ndarray:
    """A Gaussian blur of (N, H, W, C) images, separable, edges repeated; ``sigma`` defaults to a 16th of the side."""
    images = np.asarray(images, dtype=np.float32)
    sigma = sigma if sigma is not None else max(images.shape[1:3]) / 16.0
    radius = max(1, int(round(3 * sigma)))
    offsets = np.arange(-radius, radius + 1, dtype=np.float32)
    kernel = np.exp(-0.5 * (offsets / sigma) ** 2)
    kernel /= kernel.sum()
    out = images
    for axis in (1, 2):
        padded = np.pad(out, [(radius, radius) if a == axis else (0, 0) for a in range(4)], mode="edge")
        length = out.shape[axis]
        out = sum(weight * np.take(padded, np.arange(index, index + length), axis=axis)
                  for index, weight in enumerate(kernel))
    return out.astype(np.float32)


def importance_order(heatmap: np.ndarray, shape: tuple[int, int], seed: int = 0) -> np.ndarray:
    """Flat pixel indices of an (H, W) image, most important first by ``heatmap`` (any size, enlarged bilinearly
    to the image); equal values in a seeded random order."""
    from PIL import Image

    height, width = shape
    values = np.nan_to_num(np.asarray(heatmap, dtype=np.float32))
    if values.shape != (height, width):
        values = np.asarray(Image.fromarray(values, mode="F").resize((width, height), Image.Resampling.BILINEAR))
    tie_breaker = np.random.default_rng(seed).permutation(height * width)
    return np.lexsort((tie_breaker, -values.reshape(-1)))


def deletion_insertion(model, images: np.ndarray, maps, class_indices, *, steps: int = 16, seed: int = 0) -> Curves:
    """Deletion and insertion curves of each image's map for the class it explains.

    ``images`` (N, H, W, C) are preprocessed as the model expects; ``maps`` are one (h, w) map per image at any
    resolution (a layer's own, as the CAM methods return them); ``class_indices`` the class each map explains. The
    model must output probabilities. All ``2 * (steps + 1)`` perturbed copies of an image go through the model in
    one batch.
    """
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4 or len(maps) != len(images) or len(class_indices) != len(images):
        raise ValueError(f"expected N images (N, H, W, C) with N maps and N classes, got images {images.shape}, "
                         f"{len(maps)} maps, {len(class_indices)} classes")
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    count, height, width, channels = images.shape
    baselines = blurred(images)
    fractions = np.arange(steps + 1) / steps
    deletion, insertion = np.empty((count, steps + 1), np.float32), np.empty((count, steps + 1), np.float32)
    for index in range(count):
        order = importance_order(maps[index], (height, width), seed)
        rank = np.empty(height * width, np.int64)
        rank[order] = np.arange(height * width)
        # chosen[k]: the pixels among the first k/steps of the order, as an (H, W, 1) mask
        chosen = (rank[None, :] < np.round(fractions * height * width)[:, None]).reshape(steps + 1, height, width, 1)
        photo, baseline = images[index], baselines[index]
        deleted = np.where(chosen, baseline, photo)
        inserted = np.where(chosen, photo, baseline)
        probabilities = np.asarray(run_model(model, np.concatenate([deleted, inserted]), training=False))
        scores = probabilities[:, int(class_indices[index])]
        deletion[index], insertion[index] = scores[: steps + 1], scores[steps + 1 :]
    return Curves(deletion, insertion, _area(deletion, fractions), _area(insertion, fractions))


def _area(curves: np.ndarray, fractions: np.ndarray) -> np.ndarray:
    widths = np.diff(fractions)
    return ((curves[:, 1:] + curves[:, :-1]) / 2 * widths).sum(axis=1)
