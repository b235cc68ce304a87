"""The filters kind: the filter images of one layer (optimised pictures of its first filters), one unit per drawn
layer, with how strongly each image excites its filter and how the optimisation stopped.

This module is the code hash of every filters key (``cache.code``): what runs to make the images is imported
from here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

from generator.backbones import Backbone  # noqa: F401  at run time on purpose: the networks' code is this kind's code
from generator.compute.filters import Recipe, filter_peaks, optimise_filters
from generator.compute.recipes import recipe_for
from generator.results.filter_run import FilterRun
from generator.pipeline.arrays import LayerFilters
from generator.plan import keys, names
from generator.plan.units import KindPlan
from generator.units.base import UnitKind

if TYPE_CHECKING:  # types only: the cache, the config and the plan do not shape the images
    from generator.cache import Cache
    from generator.config import AtlasConfig, BackboneSpec
    from generator.plan.network import NetworkFacts, NetworkLayer
    from generator.plan.units import BackbonePlan
    from generator.units.base import Making, PlanContext


@dataclass(frozen=True)
class FiltersUnit:
    """The filter images of one layer: optimised pictures of its first ``indices`` filters."""

    path: str
    key: str
    cost: float
    layer: str
    indices: tuple[int, ...]
    recipe: Recipe
    seed: int


def recipe_of(facts: "NetworkFacts", spec: "BackboneSpec", config: "AtlasConfig",
              layer: "NetworkLayer | None" = None) -> Recipe:
    """Family defaults, the atlas' learning rate, the spec's ``recipe:`` overrides, and (per layer) its tiling and
    when its images have converged (its share of the network's cost)."""
    overrides = spec.recipe.model_dump(exclude_none=True) if spec.recipe is not None else {}
    return recipe_for(facts.family, size=config.size, steps=config.steps, min_canvas=facts.min_size,
                      receptive_field=layer.receptive_field if layer else None, learning_rate=config.learning_rate,
                      overrides=overrides, cost_share=layer.macs / facts.macs if layer and facts.macs else None)


def filters_key(backbone: str, network: str, layer: str, indices: tuple[int, ...], recipe: Recipe, seed: int) -> str:
    return keys.unit_key(__name__, kind="filters", backbone=backbone, network=network, layer=layer,
                         filters=list(indices), recipe=asdict(recipe), seed=seed)


def filters_cost(macs: int, input_side: int | None, filters: int, steps: int, canvas: int) -> float:
    """Forward and input-gradient passes at ``canvas`` px, from the layer's ``macs_up_to`` at the network's own
    input side (None: it takes any, so ``canvas``), for every filter and step (the cap: a converging layer takes
    fewer)."""
    return 3.0 * macs * (canvas / (input_side or canvas)) ** 2 * filters * max(steps, 1)


class FiltersKind(UnitKind):
    name = "filters"

    def plan(self, context: PlanContext, planned: Mapping[str, KindPlan]) -> KindPlan:
        facts, config = context.facts, context.config
        canvas = max(config.size, facts.min_size)
        units = []
        for layer in facts.layers:
            indices = tuple(range(min(config.filters, layer.channels)))
            recipe = recipe_of(facts, context.spec, config, layer)
            units.append(FiltersUnit(
                names.filters_unit(context.backbone, layer.name),
                filters_key(context.backbone, context.network, layer.name, indices, recipe, config.seed),
                filters_cost(layer.macs, facts.input_side, len(indices), config.steps, canvas),
                layer.name, indices, recipe, config.seed,
            ))
        return KindPlan(recipe_of(facts, context.spec, config), tuple(units))

    def steps(self, plan: BackbonePlan, units: Sequence[FiltersUnit]) -> int:
        return len(units)

    def make(self, plan: BackbonePlan, units: Sequence[FiltersUnit], making: Making) -> dict[str, LayerFilters]:
        """Per layer of ``units``: its images, peaks and run. Filter images are only needed to draw a mosaic or a
        units page, so when drawing, a layer whose mosaic is in the figure tier and that has no units page is
        neither read nor computed (its entry is still marked as in use, for ``keras-atlas cache --prune``): only
        how its images were made is read, for its page."""
        layers = {layer.name: layer for layer in plan.layers}
        made = {}
        for unit in units:
            making.advance(f"filters of {unit.layer}")
            layer = layers[unit.layer]
            if (making.drawing and layer.units_page is None and not making.redo(layer.mosaic.unit)
                    and making.cache.figures.has(layer.mosaic.key)):
                making.cache.arrays.used.add(unit.key)
                made[unit.layer] = LayerFilters(run=filter_run(unit, making.cache))
                continue
            images, peaks, run = filter_images(unit, making.network, making.cache, making.redo(unit.path))
            made[unit.layer] = LayerFilters(images, peaks, run)
        return made


def filter_images(unit: FiltersUnit, network, cache: "Cache", redo: bool = False) -> tuple[np.ndarray, np.ndarray, FilterRun]:
    """uint8 filter images (filters, size, size, 3) of one layer, how strongly each excites its filter (its
    strongest activation on the image as shown, ``compute.filters.filter_peaks``) and how they were made; from the
    cache or computed.

    ``network()`` gives the loaded backbone; it is called only when the images must be computed.
    """
    def make() -> dict[str, np.ndarray]:
        backbone = network()
        made = optimise_filters(backbone.model, unit.layer, list(unit.indices), seed=unit.seed,
                                preprocess=backbone.preprocess_fn, recipe=unit.recipe)
        peaks = filter_peaks(backbone.model, unit.layer, list(unit.indices), made.images,
                             preprocess=backbone.preprocess_fn, recipe=unit.recipe)
        return {"images": made.images, "peaks": peaks, **_run_arrays(made.run)}

    arrays = cache.arrays.get_or_make(unit.key, make, redo=redo)
    return arrays["images"], arrays["peaks"], _run_of(arrays)


def filter_run(unit: FiltersUnit, cache: "Cache") -> FilterRun | None:
    """How the layer's images were made, for a rebuild whose mosaic is drawn already: read from the unit's own
    entry (a few hundred kilobytes); None, and nothing computed, if that entry is gone (the page then leaves the
    steps unsaid)."""
    arrays = cache.arrays.load(unit.key)
    return None if arrays is None else _run_of(arrays)


def _run_arrays(run: FilterRun) -> dict[str, np.ndarray]:
    return {"steps": np.asarray(run.steps), "stopped": np.asarray(run.stopped)}


def _run_of(arrays: dict[str, np.ndarray]) -> FilterRun:
    """``_run_arrays`` read back."""
    return FilterRun(int(arrays["steps"]), str(arrays["stopped"]))


FILTERS = FiltersKind()
