"""The analysis unit: an image through a backbone, from the array tier or computed, missing images in batches.

Images go through the network ``IMAGE_BATCH`` at a time (padded with blank images), each batch in one forward
and one backward pass for all layers. This module's import closure is the code hash of every analysis key
(``plan.keys``): what runs to make the arrays, the photo's resizing included, is imported from here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from typing import TYPE_CHECKING

from generator.backbones import Backbone  # at run time on purpose: the networks' preprocessing is part of this unit's code
from generator.compute.activations import layer_activations, shown_levels
from generator.compute.heatmaps import explain
from generator.pipeline.arrays import ImageAnalysis
from generator.pipeline.photo_batch import padded_batch

if TYPE_CHECKING:  # types only: the cache and the plan do not shape the arrays
    from generator.cache import Cache
    from generator.plan.units import AnalysisUnit, BackbonePlan


def analyse_images(
    plan: BackbonePlan, network: Callable[[], Backbone], units: list[AnalysisUnit], cache: Cache,
    redo: Callable[[str], bool], on_batch: Callable[[], None] = lambda: None,
) -> dict[str, ImageAnalysis]:
    """Per image of ``units``: its analysis, from the cache, or computed with the other missing images in batches.

    ``network()`` gives the loaded backbone; it is called only when an image must be analysed.
    """

    def make(missing: list[int]) -> Iterator[dict[str, np.ndarray]]:
        backbone = network()
        batch_size = plan.analysis.batch
        for start in range(0, len(missing), batch_size):
            batch = [units[index] for index in missing[start : start + batch_size]]
            results = [analysis.to_arrays() for analysis in _analyse_batch(plan, backbone, batch)]
            on_batch()
            yield from results

    stored = cache.arrays.get_or_make_many([unit.key for unit in units], make, redo=lambda index: redo(units[index].path))
    return {unit.image.id: ImageAnalysis.from_arrays(arrays) for unit, arrays in zip(units, stored, strict=True)}


def _analyse_batch(plan: BackbonePlan, backbone: Backbone, batch: list[AnalysisUnit]) -> list[ImageAnalysis]:
    settings = plan.analysis
    layers = list(settings.layers)
    pixels = padded_batch(backbone, [unit.image for unit in batch], settings.batch)

    def kept(activations: dict[str, np.ndarray], row: int) -> dict[str, np.ndarray]:
        """What is stored of an image's activations: only what its activation grids show, if it has any."""
        if not batch[row].keeps_activations:
            return {}
        return {name: shown_levels(activations[name][row], settings.channels, settings.tile, settings.levels)
                for name in layers}

    if backbone.class_names is None:  # no classifier: nothing to predict or explain, activations only
        activations = layer_activations(backbone.model, pixels, layers)
        return [ImageAnalysis(kept(activations, row)) for row in range(len(batch))]
    explanation = explain(backbone.model, pixels, layers, settings.class_index, settings.methods,
                          compiled=settings.mode == "compiled")
    return [
        ImageAnalysis(
            activations=kept(explanation.activations, row),
            probabilities=explanation.probabilities_all[row],
            class_index=int(explanation.class_indices[row]),
            class_probability=float(explanation.probabilities[row]),
            cams={(method, name): maps[name][row] for method, maps in explanation.cams.items() for name in layers},
        )
        for row in range(len(batch))
    ]
