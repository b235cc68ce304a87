"""The filters unit: the filter images of one layer, from the array tier or computed into it.

This module's import closure is the code hash of every filters key (``plan.keys``): what runs to make the
images is imported from here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from generator.backbones import Backbone  # at run time on purpose: the networks' code is part of this unit's code
from generator.compute.filters import filter_peaks, optimise_filters
from generator.filter_run import FilterRun

if TYPE_CHECKING:  # types only: the cache and the plan do not shape the images
    from generator.cache import Cache
    from generator.plan.units import FiltersUnit


def filter_images(unit: "FiltersUnit", network: Callable[[], Backbone], cache: "Cache",
                  redo: bool = False) -> tuple[np.ndarray, np.ndarray, FilterRun]:
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


def filter_run(unit: "FiltersUnit", cache: "Cache") -> FilterRun | None:
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
