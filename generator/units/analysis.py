"""The analysis kind: one photo through a backbone (probabilities, activations and every CAM of every drawn
layer), one unit per photo.

Photos go through the network ``settings.batch`` at a time (padded with blank images), each batch in one forward
and one backward pass for all layers. This module is the code hash of every analysis key (``cache.code``): what
runs to make the arrays, the photo's resizing included, is imported from here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

from generator.backbones import Backbone  # at run time on purpose: the networks' preprocessing is this kind's code
from generator.compute.activations import layer_activations, shown_levels
from generator.compute.heatmaps import explain
from generator.pipeline.arrays import ImageAnalysis
from generator.pipeline.photo_batch import PreparedPhotos  # noqa: F401  at run time on purpose: it prepares this kind's photos (the code hash)
from generator.plan import keys, names
from generator.plan.units import ACTIVATION_CHANNELS, ACTIVATION_LEVELS, ACTIVATION_TILE, IMAGE_BATCH, KindPlan
from generator.units.base import UnitKind

if TYPE_CHECKING:  # types only: the cache and the plan do not shape the arrays
    from generator.photos.image import SourceImage
    from generator.plan.units import BackbonePlan
    from generator.units.base import Making, PlanContext


@dataclass(frozen=True)
class AnalysisSettings:
    """How every image of a backbone is analysed (all of it is in each analysis key)."""

    layers: tuple[str, ...]
    class_index: int | None
    methods: tuple[str, ...]
    mode: str
    channels: int = ACTIVATION_CHANNELS
    tile: int = ACTIVATION_TILE
    levels: int = ACTIVATION_LEVELS
    batch: int = IMAGE_BATCH


@dataclass(frozen=True)
class AnalysisUnit:
    """One image through one backbone: probabilities, activations and every CAM of every drawn layer."""

    path: str
    key: str
    cost: float
    image: "SourceImage"
    keeps_activations: bool = True
    """Whether its activation grids are drawn (photos on the layer pages): only then are activations stored."""


def analysis_key(backbone: str, network: str, image_sha256: str, settings: AnalysisSettings, activations: bool) -> str:
    """``activations``: whether the analysis keeps the activations its grids show (``AnalysisUnit``)."""
    return keys.unit_key(__name__, kind="analysis", backbone=backbone, network=network, image=image_sha256,
                         settings=asdict(settings), activations=activations)


def analysis_cost(macs: int) -> float:
    """One forward and one backward pass, from the MACs of the whole network's forward pass."""
    return 3.0 * macs


class AnalysisKind(UnitKind):
    name = "analysis"

    def plan(self, context: PlanContext, planned: Mapping[str, KindPlan]) -> KindPlan:
        facts, config = context.facts, context.config
        settings = AnalysisSettings(layers=tuple(layer.name for layer in facts.layers), class_index=config.class_index,
                                    methods=tuple(config.cam), mode=context.mode)
        # The atlas' first photos are on the layer pages with their activation grids; without a classifier there
        # are no heatmaps, and activations are all a photo's page can show.
        has_classifier = facts.class_names is not None
        return KindPlan(settings, tuple(
            AnalysisUnit(names.analysis_unit(context.backbone, image.id),
                         analysis_key(context.backbone, context.network, image.sha256, settings, keep),
                         analysis_cost(facts.macs), image, keep)
            for index, image in enumerate(context.images)
            for keep in [index < config.photos_per_layer_page or not has_classifier]
        ))

    def steps(self, plan: BackbonePlan, units: Sequence[AnalysisUnit]) -> int:
        return -(-len(units) // plan.settings(self.name).batch)

    def make(self, plan: BackbonePlan, units: Sequence[AnalysisUnit], making: Making) -> dict[str, ImageAnalysis]:
        """Per image of ``units``: its analysis, from the cache, or computed with the other missing images in
        batches (progress: one step a batch)."""
        settings = plan.settings(self.name)

        def make(missing: list[int]) -> Iterator[dict[str, np.ndarray]]:
            backbone = making.network()
            for start in range(0, len(missing), settings.batch):
                batch = [units[index] for index in missing[start : start + settings.batch]]
                pixels = making.photos.batch(backbone, [unit.image for unit in batch], settings.batch)
                results = [analysis.to_arrays() for analysis in _analyse_batch(settings, backbone, batch, pixels)]
                making.advance("photos")
                yield from results

        stored = making.cache.arrays.get_or_make_many([unit.key for unit in units], make,
                                                      redo=lambda index: making.redo(units[index].path))
        return {unit.image.id: ImageAnalysis.from_arrays(arrays) for unit, arrays in zip(units, stored, strict=True)}


def _analyse_batch(settings: AnalysisSettings, backbone: Backbone, batch: list[AnalysisUnit],
                   pixels: np.ndarray) -> list[ImageAnalysis]:
    layers = list(settings.layers)

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


ANALYSIS = AnalysisKind()
