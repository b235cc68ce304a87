"""The compute stage: the planned units missing from the array tier, computed and stored; the rest read.

Four kinds of unit (see ``plan.units``), each in its own module whose import closure is its code hash: the
filter images of a layer (``filters_unit``), the analysis of an image (``analysis_unit``), the scores of its
heatmaps (``scores_unit``), which read that analysis (a shard reads or computes the analyses of the photos it
scores: the same bytes as the shard that owns them), and the natural examples of a group of photos
(``examples_unit``), merged over the groups when the atlas is drawn. This module only decides which units run,
never what a value is. Filter images are only needed to draw a mosaic (and, with natural examples, for how
strongly they excite their units), so otherwise a layer whose mosaic is already in the figure tier is not read
or computed at all (its entry is still marked as in use, for ``keras-atlas cache --prune``).
"""

from __future__ import annotations

from collections.abc import Callable

from generator.backbones import Backbone
from generator.cache import Cache
from generator.pipeline.analysis_unit import analyse_images
from generator.pipeline.arrays import BackboneArrays
from generator.pipeline.examples_unit import find_examples, merged_examples
from generator.pipeline.filters_unit import filter_images, filter_run
from generator.pipeline.scores_unit import score_images
from generator.plan import BackbonePlan


def compute_backbone(
    plan: BackbonePlan,
    network: Callable[[], Backbone],
    cache: Cache,
    *,
    redo: Callable[[str], bool],
    mine: Callable[[str], bool] = lambda path: True,
    drawing: bool = True,
    advance: Callable[[str], None] = lambda message: None,
) -> BackboneArrays:
    """The units of ``plan`` that ``mine`` selects, from the cache or computed into it.

    ``network()`` gives the loaded backbone, and is called only if a unit must be computed. With ``drawing``
    (not in a shard), filter images are computed only for mosaics that will be drawn.
    """
    scored = {unit.analysis for unit in plan.scores if mine(unit.path)}
    analyses = analyse_images(plan, network, [unit for unit in plan.analyses if mine(unit.path) or unit.path in scored],
                              cache, redo, on_batch=lambda: advance("photos"))
    scores = score_images(plan, network, [unit for unit in plan.scores if mine(unit.path)], analyses, cache, redo,
                          on_photo=lambda: advance("heatmap scores"))
    groups = find_examples(plan, network, [unit for unit in plan.example_units if mine(unit.path)], cache, redo,
                           on_batch=lambda: advance("natural examples"))
    arrays = BackboneArrays(analyses, scores=scores, examples=merged_examples(plan, groups) if drawing and groups else {})
    for layer in plan.layers:
        unit = layer.filters
        if not mine(unit.path):
            continue
        advance(f"filters of {layer.name}")
        if drawing and plan.examples is None and not redo(layer.mosaic.unit) and cache.figures.has(layer.mosaic.key):
            cache.arrays.used.add(unit.key)
            if (run := filter_run(unit, cache)) is not None:
                arrays.filter_runs[layer.name] = run
            continue
        arrays.filters[layer.name], arrays.filter_peaks[layer.name], arrays.filter_runs[layer.name] = filter_images(
            unit, network, cache, redo(unit.path))
    return arrays
