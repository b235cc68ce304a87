"""The compute stage: the planned units missing from the array tier, computed and stored; the rest read.

Two kinds of unit (see ``plan.units``): the filter images of a layer, and the analysis of an image. Filter
images are only needed to draw a mosaic, so a layer whose mosaic is already in the figure tier is not read or
computed at all (its entry is still marked as in use, for ``keras-atlas cache --prune``). Images go through the
network ``IMAGE_BATCH`` at a time, each batch in one forward and one backward pass for all layers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
import numpy as np

from generator.backbones import Backbone
from generator.cache import Cache
from generator.pipeline.arrays import BackboneArrays, ImageAnalysis
from generator.plan import AnalysisUnit, BackbonePlan, FiltersUnit


def compute_backbone(
    plan: BackbonePlan,
    backbone: Backbone,
    cache: Cache,
    *,
    redo: Callable[[str], bool],
    mine: Callable[[str], bool] = lambda path: True,
    drawing: bool = True,
    advance: Callable[[str], None] = lambda message: None,
) -> BackboneArrays:
    """The units of ``plan`` that ``mine`` selects, from the cache or computed into it.

    With ``drawing`` (not in a shard), filter images are computed only for mosaics that will be drawn.
    """
    analyses = analyse_images(plan, backbone, [unit for unit in plan.analyses if mine(unit.path)], cache, redo,
                              on_batch=lambda: advance("photos"))
    arrays = BackboneArrays(analyses)
    for layer in plan.layers:
        unit = layer.filters
        if not mine(unit.path):
            continue
        advance(f"filters of {layer.name}")
        if drawing and not redo(layer.mosaic.unit) and cache.figures.has(layer.mosaic.key):
            cache.arrays.used.add(unit.key)
            continue
        arrays.filters[layer.name] = filter_images(unit, backbone, cache, redo(unit.path))
    return arrays


def filter_images(unit: FiltersUnit, backbone: Backbone, cache: Cache, redo: bool = False) -> np.ndarray:
    """uint8 filter images (filters, size, size, 3) of one layer, from the cache or computed and cached."""
    from generator.compute.filters import visualize_filters

    def make() -> dict[str, np.ndarray]:
        return {"images": visualize_filters(backbone.model, unit.layer, list(unit.indices), seed=unit.seed,
                                            preprocess=backbone.preprocess_fn, recipe=unit.recipe)}

    return cache.arrays.get_or_make(unit.key, make, redo=redo)["images"]


def analyse_images(
    plan: BackbonePlan, backbone: Backbone, units: list[AnalysisUnit], cache: Cache, redo: Callable[[str], bool],
    on_batch: Callable[[], None] = lambda: None,
) -> dict[str, ImageAnalysis]:
    """Per image of ``units``: its analysis, from the cache, or computed with the other missing images in batches."""

    def make(missing: list[int]) -> Iterator[dict[str, np.ndarray]]:
        batch_size = plan.analysis.batch
        for start in range(0, len(missing), batch_size):
            batch = [units[index].image for index in missing[start : start + batch_size]]
            results = [analysis.to_arrays() for analysis in _analyse_batch(plan, backbone, batch)]
            on_batch()
            yield from results

    stored = cache.arrays.get_or_make_many([unit.key for unit in units], make, redo=lambda index: redo(units[index].path))
    return {unit.image.id: ImageAnalysis.from_arrays(arrays) for unit, arrays in zip(units, stored, strict=True)}


def _analyse_batch(plan: BackbonePlan, backbone: Backbone, batch) -> list[ImageAnalysis]:
    from generator.compute.activations import layer_activations
    from generator.compute.heatmaps import explain

    settings = plan.analysis
    layers = list(settings.layers)
    pixels = np.stack([image.resized(backbone.input_shape[:2]) for image in batch])
    blanks = np.zeros((settings.batch - len(batch), *pixels.shape[1:]), pixels.dtype)
    pixels = backbone.preprocess(np.concatenate([pixels, blanks]))
    if backbone.class_names is None:  # no classifier: nothing to predict or explain, activations only
        activations = layer_activations(backbone.model, pixels, layers)
        return [ImageAnalysis({name: activations[name][row][..., : settings.channels] for name in layers})
                for row in range(len(batch))]
    explanation = explain(backbone.model, pixels, layers, settings.class_index, settings.methods,
                          compiled=settings.mode == "compiled")
    return [
        ImageAnalysis(
            activations={name: explanation.activations[name][row][..., : settings.channels] for name in layers},
            probabilities=explanation.probabilities_all[row],
            class_index=int(explanation.class_indices[row]),
            class_probability=float(explanation.probabilities[row]),
            cams={(method, name): maps[name][row] for method, maps in explanation.cams.items() for name in layers},
        )
        for row in range(len(batch))
    ]
