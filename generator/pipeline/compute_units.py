"""The compute stage: the planned units missing from the array tier, computed and stored; the rest read.

Every unit kind comes from ``units.table.KINDS`` and is made by its own module (``units.base.UnitKind.make``),
in the table's order, each reading what the kinds before it made (the scores read the analyses). This module only
decides which units run, never what a value is: the units ``mine`` selects, and the units of other kinds they
read (a shard that owns a photo's scores reads or computes its analysis too: the same bytes as the shard that
owns it).
"""

from __future__ import annotations

from collections.abc import Callable

from generator.backbones import Backbone
from generator.cache import Cache
from generator.pipeline.arrays import BackboneArrays
from generator.pipeline.photo_batch import PreparedPhotos
from generator.plan import BackbonePlan
from generator.units.base import Making
from generator.units.table import KINDS


def needed_units(plan: BackbonePlan, mine: Callable[[str], bool]) -> dict[str, list]:
    """Per kind, in plan order: the units ``mine`` selects and those that the selected units of later kinds read."""
    read: dict[str, set[str]] = {}
    for kind in reversed(KINDS):
        selected = [unit for unit in plan.units_of(kind.name) if mine(unit.path) or unit.path in read.get(kind.name, ())]
        for other, paths in kind.reads(selected).items():
            read.setdefault(other, set()).update(paths)
    return {kind.name: [unit for unit in plan.units_of(kind.name) if mine(unit.path) or unit.path in read.get(kind.name, ())]
            for kind in KINDS}


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
    """The units of ``plan`` that ``mine`` selects, from the cache or computed into it, kind by kind.

    ``network()`` gives the loaded backbone, and is called only if a unit must be computed. With ``drawing``
    (not in a shard), a kind may skip what no figure needs (``FiltersKind.make``).
    """
    needed = needed_units(plan, mine)
    made: dict[str, object] = {}
    photos = PreparedPhotos()
    for kind in KINDS:
        made[kind.name] = kind.make(plan, needed[kind.name], Making(network, cache, redo, made, advance, drawing, photos))
    return BackboneArrays(made)


def progress_steps(plan: BackbonePlan, mine: Callable[[str], bool] = lambda path: True) -> int:
    """How many steps ``compute_backbone`` advances the progress bar by for the same ``mine``."""
    return sum(kind.steps(plan, units) for kind, units in zip(KINDS, needed_units(plan, mine).values(), strict=True))
