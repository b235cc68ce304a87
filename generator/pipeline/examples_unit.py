"""The examples unit: the natural examples of a group of photos, from the array tier or computed; and their merge.

The photos of the missing groups go through the network together, ``ExampleSettings.batch`` at a time (so a
small set is one pass, not one per group), each batch in one multi-output pass for every drawn layer; each
group takes its photos' candidates from the batches (``compute.examples.PhotoCandidates.take``) and keeps its
top-``k`` per unit. Merging every group's list, each renumbered to the set's order, gives exactly the whole set's
examples (``compute.examples.merge``): a shard, an incremental build and a clean one agree. This module's
import closure is the code hash of every examples key (``plan.keys``); photos are resized and preprocessed by
``pipeline.photo_batch``, as for their analysis.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import numpy as np

from generator.ahead import ahead
from generator.backbones import Backbone  # at run time on purpose: the networks' preprocessing is part of this unit's code
from generator.compute.examples import ExampleSearch, TopExamples, batch_candidates, merge
from generator.pipeline.photo_batch import padded_batch

if TYPE_CHECKING:  # types only: the cache and the plan do not shape the arrays
    from generator.cache import Cache
    from generator.plan.units import BackbonePlan, ExamplesUnit

FIELDS = ("values", "image_index", "y", "x", "patches", "response_sum", "fired")


def find_examples(
    plan: BackbonePlan, network: Callable[[], Backbone], units: list[ExamplesUnit], cache: Cache,
    redo: Callable[[str], bool], on_batch: Callable[[], None] = lambda: None,
) -> list[dict[str, TopExamples]]:
    """Per unit of ``units``: per drawn layer, its group's examples (numbered within the group) with statistics."""
    settings = plan.examples

    def make(missing: list[int]) -> Iterator[dict[str, np.ndarray]]:
        backbone = network()
        search = ExampleSearch(settings.layers, settings.per_image, settings.channels, settings.fields, settings.patch,
                               compiled=settings.compiled)
        photos = [(index, row) for index in missing for row in range(len(units[index].images))]
        found: dict[int, dict[str, TopExamples]] = {index: {} for index in missing}
        done = 0

        def decoded() -> Iterator[tuple[list[tuple[int, int]], np.ndarray]]:
            for start in range(0, len(photos), settings.batch):
                batch = photos[start : start + settings.batch]
                yield batch, padded_batch(backbone, [units[index].images[row] for index, row in batch], settings.batch)

        # the next batch's photos are read and decoded while this one goes through the network (``ahead``)
        for batch, pixels in ahead(decoded()):
            candidates = batch_candidates(backbone.model, pixels, search, settings.batch)
            for index in dict.fromkeys(index for index, _ in batch):
                places = [place for place, (owner, _) in enumerate(batch) if owner == index]
                for layer, layer_candidates in candidates.items():
                    share = layer_candidates.take(places, [batch[place][1] for place in places])
                    kept = found[index].get(layer) or TopExamples.empty(share.values.shape[0], settings.k, settings.patch,
                                                                        counted=True)
                    found[index][layer] = merge(kept, share)
            on_batch()
            finished = missing.index(batch[-1][0]) + (batch[-1][1] == len(units[batch[-1][0]].images) - 1)
            for index in missing[done:finished]:
                yield to_arrays(found.pop(index))
            done = finished

    stored = cache.arrays.get_or_make_many([unit.key for unit in units], make, redo=lambda index: redo(units[index].path))
    return [from_arrays(arrays, settings.layers) for arrays in stored]


def merged_examples(plan: BackbonePlan, groups: list[dict[str, TopExamples]]) -> dict[str, TopExamples]:
    """Per drawn layer, the examples of the whole set: every group's, renumbered to the set's order, merged."""
    merged: dict[str, TopExamples] = {}
    for unit, found in zip(plan.example_units, groups, strict=True):
        for layer, examples in found.items():
            renumbered = examples.renumbered(np.asarray(unit.numbers))
            merged[layer] = merge(merged[layer], renumbered) if layer in merged else renumbered
    return merged


def to_arrays(found: dict[str, TopExamples]) -> dict[str, np.ndarray]:
    """The stored form: ``examples/<layer>/<field>``, and each layer's photo count."""
    arrays = {}
    for layer, examples in found.items():
        arrays.update({f"examples/{layer}/{name}": getattr(examples, name) for name in FIELDS})
        arrays[f"examples/{layer}/photos"] = np.asarray(examples.photos)
    return arrays


def from_arrays(arrays: dict[str, np.ndarray], layers: tuple[str, ...]) -> dict[str, TopExamples]:
    return {layer: TopExamples(**{name: arrays[f"examples/{layer}/{name}"] for name in FIELDS},
                               photos=int(arrays[f"examples/{layer}/photos"]))
            for layer in layers}
