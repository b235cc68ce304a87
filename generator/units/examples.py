"""The examples kind: the natural examples of a group of photos, and their merge over the groups.

A unit per group of example photos (those whose hash starts with the same ``GROUP_DIGITS`` hex digits): adding
photos recomputes only the groups they fall in. The photos of the missing groups go through the network together,
``ExampleSettings.batch`` at a time (so a small set is one pass, not one per group), each batch in one
multi-output pass for every drawn layer; each group takes its photos' candidates from the batches
(``compute.examples.PhotoCandidates.take``) and keeps its top-``k`` per unit. Merging every group's list, each
renumbered to the set's order, gives exactly the whole set's examples (``compute.examples.merge``): a shard, an
incremental build and a clean one agree. This module is the code hash of every examples key (``cache.code``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

from generator.ahead import ahead
from generator.backbones import Backbone  # noqa: F401  at run time on purpose: the networks' preprocessing is this kind's code
from generator.compute.examples import EXAMPLES_BATCH, PATCH_SIDE, ExampleSearch, batch_candidates
from generator.results.top_examples import TopExamples, merge
from generator.pipeline.photo_batch import PreparedPhotos  # noqa: F401  at run time on purpose: it prepares this kind's photos (the code hash)
from generator.plan import keys, names
from generator.plan.units import IMAGE_BATCH, KindPlan, analysis_mode
from generator.units.base import UnitKind

if TYPE_CHECKING:  # types only: the cache and the plan do not shape the arrays
    from generator.photos.image import SourceImage
    from generator.plan.units import BackbonePlan
    from generator.units.base import Making, PlanContext

GROUP_DIGITS = 2
"""Natural examples are computed and cached per group of photos, a group being the photos whose hash starts with
the same hex digits (256 groups): adding photos to the set recomputes only the groups they fall in, a group's
arrays do not depend on the others', and shards split the groups."""
FIELDS = ("values", "image_index", "y", "x", "patches", "response_sum", "fired")


@dataclass(frozen=True)
class ExampleSettings:
    """How a backbone's natural examples are found (all of it is in each examples key)."""

    layers: tuple[str, ...]
    k: int
    per_image: int
    """Examples one photo may give per unit: 1, or more when the set has fewer photos than ``k``."""
    channels: int
    """The first channels of each layer: the units its mosaic shows."""
    fields: tuple[int | None, ...]
    map_shapes: tuple[tuple[int, int], ...]
    patch: int
    batch: int
    """Photos per pass: 32, or ``IMAGE_BATCH`` for a set that fits one such batch (the default atlas' 4 photos
    padded to 32 did eight times the work). Two sizes only, as ``analysis_mode``: growing a set recomputes
    every group once, when it passes 4 photos, and never again."""
    compiled: bool
    """Whether the pass is compiled: not for a set of one batch (``compute.examples.ExampleSearch``)."""


@dataclass(frozen=True)
class ExamplesUnit:
    """The natural examples of one group of photos: per drawn layer and shown unit, its strongest responses among
    them (positions and response patches) and its statistics over them (see ``compute.examples``)."""

    path: str
    key: str
    cost: float
    images: tuple["SourceImage", ...]
    numbers: tuple[int, ...]
    """Their places in the example set (in its order): to number the merged examples, never in the key."""


def examples_key(backbone: str, network: str, images_sha256: list[str], settings: ExampleSettings) -> str:
    """The natural examples of a group of photos: the photos' bytes in the set's order, and how they are searched."""
    return keys.unit_key(__name__, kind="examples", backbone=backbone, network=network, images=images_sha256,
                         settings=asdict(settings))


def examples_cost(macs: int, photos: int) -> float:
    """One forward pass a photo, from the whole network's MACs (the drawn layers' maxima are small beside it)."""
    return macs * float(photos)


class ExamplesKind(UnitKind):
    name = "examples"

    def plan(self, context: PlanContext, planned: Mapping[str, KindPlan]) -> KindPlan:
        """A unit per group of example photos, each photo keeping its place in the set."""
        facts, config, images = context.facts, context.config, context.example_images
        if config.examples_per_unit == 0 or not images:
            return KindPlan()
        k = config.examples_per_unit
        small = analysis_mode(len(images)) == "eager"  # the analysis' rule: one eager batch of four, else compiled batches of 32
        settings = ExampleSettings(
            layers=tuple(layer.name for layer in facts.layers), k=k, per_image=min(k, -(-k // len(images))),
            channels=config.filters, fields=tuple(layer.receptive_field for layer in facts.layers),
            map_shapes=tuple(layer.map_shape for layer in facts.layers), patch=PATCH_SIDE,
            batch=IMAGE_BATCH if small else EXAMPLES_BATCH, compiled=not small,
        )
        groups: dict[str, list[int]] = {}
        for number, image in enumerate(images):
            groups.setdefault(image.sha256[:GROUP_DIGITS], []).append(number)
        return KindPlan(settings, tuple(
            ExamplesUnit(names.kind_unit(context.backbone, self.name, group),
                         examples_key(context.backbone, context.network, [images[number].sha256 for number in numbers],
                                      settings),
                         examples_cost(facts.macs, len(numbers)), tuple(images[number] for number in numbers),
                         tuple(numbers))
            for group, numbers in sorted(groups.items())
        ))

    def steps(self, plan: BackbonePlan, units: Sequence[ExamplesUnit]) -> int:
        return -(-sum(len(unit.images) for unit in units) // plan.settings(self.name).batch) if units else 0

    def make(self, plan: BackbonePlan, units: Sequence[ExamplesUnit], making: Making) -> dict[str, TopExamples]:
        """Per drawn layer, the examples of the whole set when drawing (every group's merged); in a shard, the
        groups are only computed into the cache (nothing returned)."""
        groups = find_examples(plan, units, making)
        return merged_examples(plan, groups) if making.drawing and groups else {}


def find_examples(plan: BackbonePlan, units: Sequence[ExamplesUnit], making: Making) -> list[dict[str, TopExamples]]:
    """Per unit of ``units``: per drawn layer, its group's examples (numbered within the group) with statistics
    (progress: one step a batch)."""
    settings = plan.settings("examples")

    def make(missing: list[int]) -> Iterator[dict[str, np.ndarray]]:
        backbone = making.network()
        search = ExampleSearch(settings.layers, settings.per_image, settings.channels, settings.fields, settings.patch,
                               compiled=settings.compiled)
        photos = [(index, row) for index in missing for row in range(len(units[index].images))]
        found: dict[int, dict[str, TopExamples]] = {index: {} for index in missing}
        done = 0

        def decoded() -> Iterator[tuple[list[tuple[int, int]], np.ndarray]]:
            for start in range(0, len(photos), settings.batch):
                batch = photos[start : start + settings.batch]
                yield batch, making.photos.batch(backbone, [units[index].images[row] for index, row in batch], settings.batch)

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
            making.advance("natural examples")
            finished = missing.index(batch[-1][0]) + (batch[-1][1] == len(units[batch[-1][0]].images) - 1)
            for index in missing[done:finished]:
                yield to_arrays(found.pop(index))
            done = finished

    stored = making.cache.arrays.get_or_make_many([unit.key for unit in units], make,
                                                  redo=lambda index: making.redo(units[index].path))
    return [from_arrays(arrays, settings.layers) for arrays in stored]


def merged_examples(plan: BackbonePlan, groups: list[dict[str, TopExamples]]) -> dict[str, TopExamples]:
    """Per drawn layer, the examples of the whole set: every group's, renumbered to the set's order, merged."""
    merged: dict[str, TopExamples] = {}
    for unit, found in zip(plan.units_of("examples"), groups, strict=True):
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


EXAMPLES = ExamplesKind()
