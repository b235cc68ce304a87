"""The scores kind: how faithful a photo's heatmaps are, and whether they survive re-drawn weights; one unit per
photo of a network with a classifier (none with ``faithfulness_steps: 0``).

Per photo, every heatmap of its analysis (each drawn layer and method) and a random map per side of the layers'
maps go through ``compute.faithfulness`` for the class the analysis explained; the network with its weights
re-drawn (``compute.sanity.randomized``, built once per backbone) explains the same photos for the same classes,
``IMAGE_BATCH`` at a time in one eager pass, and each map is rank-correlated with its counterpart. A scores unit
reads its photo's analysis: its key holds the analysis key, and a shard that owns it reads or computes the
analysis too (``reads``). This module is the code hash of every scores key (``cache.code``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from generator.backbones import Backbone  # at run time on purpose: the networks' preprocessing is this kind's code
from generator.compute.cams import METHODS
from generator.compute.faithfulness import photo_curves, random_map
from generator.compute.heatmaps import explain
from generator.compute.sanity import rank_correlation, randomized
from generator.pipeline.arrays import ImageAnalysis, PhotoScores
from generator.pipeline.photo_batch import PreparedPhotos  # noqa: F401  at run time on purpose: it prepares this kind's photos (the code hash)
from generator.plan import keys, names
from generator.plan.units import KindPlan
from generator.units.base import UnitKind

if TYPE_CHECKING:  # types only: the cache and the plan do not shape the arrays
    from generator.photos.image import SourceImage
    from generator.plan.units import BackbonePlan
    from generator.units.base import Making, PlanContext


@dataclass(frozen=True)
class ScoreSettings:
    """How every heatmap of a backbone is scored (all of it is in each scores key)."""

    steps: int
    seed: int
    layer_sides: tuple[int, ...]
    """The side of each drawn layer's maps (``AnalysisSettings.layers``' order): its chance level is a random map
    of that side."""
    method_titles: tuple[str, ...]
    """The CAM methods' names as shown (``AnalysisSettings.methods``' order)."""

    @property
    def chance_sides(self) -> tuple[int, ...]:
        """Sides of the random maps that give the chance levels: one per distinct side of the layers' maps."""
        return tuple(sorted(set(self.layer_sides)))


@dataclass(frozen=True)
class ScoresUnit:
    """How faithful each heatmap of one image is (deletion and insertion curves), and how much each changes when
    the network's weights are re-drawn (the sanity check); see ``compute.faithfulness`` and ``compute.sanity``."""

    path: str
    key: str
    cost: float
    image: "SourceImage"
    analysis: str
    """The path of the image's analysis unit: its heatmaps and explained class are what is scored."""


def scores_key(analysis: str, settings: ScoreSettings) -> str:
    """The scores of an image's heatmaps: the analysis they score (its key covers the network, weights, image,
    layers, methods and class) and how they are scored: every setting but the methods' titles, which are shown and
    not computed with (the layers' sides count through the chance levels they give)."""
    return keys.unit_key(__name__, kind="scores", analysis=analysis, steps=settings.steps, seed=settings.seed,
                         chance_sides=list(settings.chance_sides))


def scores_cost(macs: int, maps: int, steps: int) -> float:
    """The scores of one image's ``maps`` heatmaps: ``2 + 2 x maps x (steps - 1)`` forward passes (see
    ``compute.faithfulness``) and the sanity check's forward and backward pass through the re-drawn network."""
    return macs * (2.0 + 2.0 * maps * max(steps - 1, 0)) + 3.0 * macs


class ScoresKind(UnitKind):
    name = "scores"

    def plan(self, context: PlanContext, planned: Mapping[str, KindPlan]) -> KindPlan:
        facts, config = context.facts, context.config
        if facts.class_names is None or config.faithfulness_steps == 0:
            return KindPlan()
        analysis = planned["analysis"]
        methods = analysis.settings.methods
        scoring = ScoreSettings(config.faithfulness_steps, config.seed, tuple(layer.map_side for layer in facts.layers),
                                tuple(METHODS[method].title for method in methods))
        maps = len(methods) * len(facts.layers) + len(scoring.chance_sides)
        return KindPlan(scoring, tuple(
            ScoresUnit(names.kind_unit(context.backbone, self.name, unit.image.id), scores_key(unit.key, scoring),
                       scores_cost(facts.macs, maps, scoring.steps), unit.image, unit.path)
            for unit in analysis.units
        ))

    def steps(self, plan: BackbonePlan, units: Sequence[ScoresUnit]) -> int:
        return len(units)

    def reads(self, units: Sequence[ScoresUnit]) -> dict[str, set[str]]:
        return {"analysis": {unit.analysis for unit in units}}

    def make(self, plan: BackbonePlan, units: Sequence[ScoresUnit], making: Making) -> dict[str, PhotoScores]:
        """Per image of ``units``: its scores, from the cache, or computed from its analysis (progress: one step a
        photo)."""
        analyses: dict[str, ImageAnalysis] = making.made["analysis"]
        scoring, batch_size = plan.settings(self.name), plan.settings("analysis").batch
        redrawn: list[object] = []

        def make(missing: list[int]) -> Iterator[dict[str, np.ndarray]]:
            backbone = making.network()
            if not redrawn:
                redrawn.append(randomized(backbone.model, scoring.seed))
            for start in range(0, len(missing), batch_size):
                batch = [units[index] for index in missing[start : start + batch_size]]
                pixels = making.photos.batch(backbone, [unit.image for unit in batch], batch_size)
                sanity = _sanity(plan, redrawn[0], pixels, [analyses[unit.image.id] for unit in batch])
                for row, unit in enumerate(batch):
                    scores = _score(plan, backbone, pixels[row], unit, analyses[unit.image.id], sanity[row])
                    making.advance("heatmap scores")
                    yield scores.to_arrays()

        stored = making.cache.arrays.get_or_make_many([unit.key for unit in units], make,
                                                      redo=lambda index: making.redo(units[index].path))
        return {unit.image.id: PhotoScores.from_arrays(arrays) for unit, arrays in zip(units, stored, strict=True)}


def _sanity(plan: BackbonePlan, redrawn, pixels: np.ndarray, analyses: list[ImageAnalysis]) -> np.ndarray:
    """(photos, methods, layers): each map's rank correlation with the re-drawn network's map of the same photo,
    explaining the class the trained network's map explains."""
    settings = plan.settings("analysis")
    layers, methods = list(settings.layers), list(settings.methods)
    classes = np.zeros(len(pixels), np.int32)
    classes[: len(analyses)] = [analysis.class_index for analysis in analyses]
    maps = explain(redrawn, pixels, layers, methods=tuple(methods), compiled=False, class_indices=classes).cams
    return np.array([[[rank_correlation(analysis.cam(method, layer), maps[method][layer][row]) for layer in layers]
                      for method in methods] for row, analysis in enumerate(analyses)], dtype=np.float32)


def _score(plan: BackbonePlan, backbone: Backbone, pixels: np.ndarray, unit: ScoresUnit, analysis: ImageAnalysis,
           sanity: np.ndarray) -> PhotoScores:
    settings, scoring = plan.settings("analysis"), plan.settings("scores")
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


SCORES = ScoresKind()
