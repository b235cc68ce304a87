"""The scores unit: how faithful an image's heatmaps are, and whether they survive re-drawn weights.

Per image, every heatmap of its analysis (each drawn layer and method) and a random map per side of the layers'
maps go through ``compute.faithfulness`` for the class the analysis explained; the network with its weights
re-drawn (``compute.sanity.randomized``, built once per backbone) explains the same photos for the same classes,
``IMAGE_BATCH`` at a time in one eager pass, and each map is rank-correlated with its counterpart. This module's
import closure is the code hash of every scores key (``plan.keys``); the photos are resized and preprocessed by
``pipeline.photo_batch``, as for their analysis.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from typing import TYPE_CHECKING

from generator.backbones import Backbone  # at run time on purpose: the networks' preprocessing is part of this unit's code
from generator.compute.faithfulness import photo_curves, random_map
from generator.compute.heatmaps import explain
from generator.compute.sanity import rank_correlation, randomized
from generator.pipeline.photo_batch import padded_batch
from generator.pipeline.arrays import ImageAnalysis, PhotoScores

if TYPE_CHECKING:  # types only: the cache and the plan do not shape the arrays
    from generator.cache import Cache
    from generator.plan.units import BackbonePlan, ScoresUnit


def score_images(
    plan: BackbonePlan, network: Callable[[], Backbone], units: list[ScoresUnit], analyses: dict[str, ImageAnalysis],
    cache: Cache, redo: Callable[[str], bool], on_photo: Callable[[], None] = lambda: None,
) -> dict[str, PhotoScores]:
    """Per image of ``units``: its scores, from the cache, or computed from its analysis in ``analyses``."""
    redrawn: list[object] = []

    def make(missing: list[int]) -> Iterator[dict[str, np.ndarray]]:
        backbone = network()
        if not redrawn:
            redrawn.append(randomized(backbone.model, plan.scoring.seed))
        batch_size = plan.analysis.batch
        for start in range(0, len(missing), batch_size):
            batch = [units[index] for index in missing[start : start + batch_size]]
            pixels = padded_batch(backbone, [unit.image for unit in batch], batch_size)
            sanity = _sanity(plan, redrawn[0], pixels, [analyses[unit.image.id] for unit in batch])
            for row, unit in enumerate(batch):
                scores = _score(plan, backbone, pixels[row], unit, analyses[unit.image.id], sanity[row])
                on_photo()
                yield scores.to_arrays()

    stored = cache.arrays.get_or_make_many([unit.key for unit in units], make, redo=lambda index: redo(units[index].path))
    return {unit.image.id: PhotoScores.from_arrays(arrays) for unit, arrays in zip(units, stored, strict=True)}


def _sanity(plan: BackbonePlan, redrawn, pixels: np.ndarray, analyses: list[ImageAnalysis]) -> np.ndarray:
    """(photos, methods, layers): each map's rank correlation with the re-drawn network's map of the same photo,
    explaining the class the trained network's map explains."""
    layers, methods = list(plan.analysis.layers), list(plan.analysis.methods)
    classes = np.zeros(len(pixels), np.int32)
    classes[: len(analyses)] = [analysis.class_index for analysis in analyses]
    maps = explain(redrawn, pixels, layers, methods=tuple(methods), compiled=False, class_indices=classes).cams
    return np.array([[[rank_correlation(analysis.cam(method, layer), maps[method][layer][row]) for layer in layers]
                      for method in methods] for row, analysis in enumerate(analyses)], dtype=np.float32)


def _score(plan: BackbonePlan, backbone: Backbone, pixels: np.ndarray, unit: ScoresUnit, analysis: ImageAnalysis,
           sanity: np.ndarray) -> PhotoScores:
    settings, scoring = plan.analysis, plan.scoring
    layers, methods = list(settings.layers), list(settings.methods)
    photo_seed = int(unit.image.sha256[:8], 16)
    maps = [analysis.cam(method, layer) for method in methods for layer in layers]
    maps += [random_map(side, seed=photo_seed ^ scoring.seed ^ side) for side in scoring.chance_sides]
    curves = photo_curves(backbone.model, pixels, maps, analysis.class_index, steps=scoring.steps, seed=scoring.seed)
    trained = len(methods) * len(layers)
    shape = (len(methods), len(layers), scoring.steps + 1)
    return PhotoScores(
        deletion=curves.deletion[:trained].reshape(shape), insertion=curves.insertion[:trained].reshape(shape),
        chance_deletion=curves.deletion[trained:], chance_insertion=curves.insertion[trained:], sanity=sanity,
    )
