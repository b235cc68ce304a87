"""How faithful a heatmap is to the network it explains: deletion and insertion curves (Petsiuk et al., "RISE", 2018).

Deletion replaces the photo's pixels with those of a blurred copy, most important first by the map, and follows
the explained class's probability; insertion starts from the blurred copy and reveals the pixels in the same
order. A map that points at what the network uses makes the probability fall fast under deletion (a low area under
the curve) and rise fast under insertion (a high area). A random map gives each photo's chance level; ties in a
map are broken in a seeded random order, so a constant map scores exactly at that chance level instead of
favouring the top-left corner.

Every map of a photo shares the curves' two ends (the photo itself and its blurred copy), so a photo with M maps
costs ``2 + 2 * M * (steps - 1)`` images through the network, in fixed-size batches of one compiled pass: the
numbers do not depend on what else a build computes.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from generator.compute.feed import run_model
from generator.compute.logits import logits_output
from generator.formulas.curve_area import area

SCORE_BATCH = 32
"""Perturbed images per pass through the network (the last batch of a photo is padded): one compiled shape."""


@dataclass(frozen=True)
class Curves:
    """Per map: the explained class's probability at each of ``steps + 1`` fractions 0, 1/steps, ..., 1 of the
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


def random_map(side: int, seed: int) -> np.ndarray:
    """A map that knows nothing, at a layer's resolution (``side`` x ``side``): a photo's chance level for that layer.

    At the layer's own resolution, not per pixel: enlarged, it removes blobs as a layer's map does, so the chance
    level is that of an uninformed map of the same coarseness.
    """
    return np.random.default_rng(seed).uniform(size=(side, side)).astype(np.float32)


def photo_curves(model, image: np.ndarray, maps: Sequence[np.ndarray], class_index: int, *, steps: int = 16,
                 seed: int = 0, batch_size: int = SCORE_BATCH) -> Curves:
    """Deletion and insertion curves of every map of one photo, for the class they explain.

    ``image`` (H, W, C) is preprocessed as the model expects; ``maps`` are (h, w) maps at any resolution.
    """
    image = np.asarray(image, dtype=np.float32)
    if image.ndim != 3 or not len(maps):
        raise ValueError(f"expected one image (H, W, C) and at least one map, got {image.shape} and {len(maps)} maps")
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    height, width, _ = image.shape
    baseline = blurred(image[None])[0]
    fractions = np.arange(steps + 1) / steps
    counts = np.round(fractions[1:-1] * height * width)

    def perturbed() -> Iterator[np.ndarray]:
        yield image
        yield baseline
        for heatmap in maps:
            rank = np.empty(height * width, np.int64)
            rank[importance_order(heatmap, (height, width), seed)] = np.arange(height * width)
            for count in counts:  # the pixels among the first count of the order
                chosen = (rank < count).reshape(height, width, 1)
                yield np.where(chosen, baseline, image)  # deleted
                yield np.where(chosen, image, baseline)  # inserted

    scores = _class_probabilities(model, perturbed(), class_index, batch_size)
    whole, blank, interior = scores[0], scores[1], scores[2:].reshape(len(maps), steps - 1, 2)
    deletion = np.concatenate([np.full((len(maps), 1), whole), interior[:, :, 0], np.full((len(maps), 1), blank)], axis=1)
    insertion = np.concatenate([np.full((len(maps), 1), blank), interior[:, :, 1], np.full((len(maps), 1), whole)], axis=1)
    return Curves(deletion, insertion, area(deletion), area(insertion))


def deletion_insertion(model, images: np.ndarray, maps, class_indices, *, steps: int = 16, seed: int = 0,
                       batch_size: int = SCORE_BATCH) -> Curves:
    """Deletion and insertion curves of each image's map for the class it explains.

    ``images`` (N, H, W, C) are preprocessed as the model expects; ``maps`` are one (h, w) map per image at any
    resolution (a layer's own, as the CAM methods return them); ``class_indices`` the class each map explains.
    The explained class's probability is the softmax of the model's pre-softmax scores, as the predictions shown.
    """
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4 or len(maps) != len(images) or len(class_indices) != len(images):
        raise ValueError(f"expected N images (N, H, W, C) with N maps and N classes, got images {images.shape}, "
                         f"{len(maps)} maps, {len(class_indices)} classes")
    curves = [photo_curves(model, image, [heatmap], int(class_index), steps=steps, seed=seed, batch_size=batch_size)
              for image, heatmap, class_index in zip(images, maps, class_indices, strict=True)]
    return Curves(*(np.concatenate([getattr(curve, name) for curve in curves])
                    for name in ("deletion", "insertion", "deletion_auc", "insertion_auc")))


def _class_probabilities(model, images: Iterator[np.ndarray], class_index: int, batch_size: int) -> np.ndarray:
    """The probability of ``class_index`` for each image, ``batch_size`` images a pass (the last padded)."""
    forward = _probabilities_pass(model)
    scores = []
    while True:
        batch = [image for _, image in zip(range(batch_size), images, strict=False)]  # the next batch_size
        if not batch:
            break
        rows = len(batch)
        batch += [batch[-1]] * (batch_size - rows)
        probabilities = np.asarray(forward(np.stack(batch)), dtype=np.float32)
        scores.append(probabilities[:rows, class_index])
        if rows < batch_size:
            break
    return np.concatenate(scores)


_PASSES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _probabilities_pass(model):
    """Softmax of the pre-softmax scores (``logits_output``), compiled once per model."""
    if model not in _PASSES:
        import keras
        import tensorflow as tf

        probe = keras.Model(model.inputs, logits_output(model))
        _PASSES[model] = tf.function(lambda batch: tf.nn.softmax(run_model(probe, batch, training=False), axis=-1),
                                     reduce_retracing=True)
    return _PASSES[model]
