"""The small protocol every unit kind implements: its plan entries (with their keys and costs), the progress
its units make, which other kinds' units it reads, and how its units are made in batches, stored and read back.

The plan (``plan.backbone``) asks every kind of ``table.KINDS`` for its units; the compute stage
(``pipeline.compute_units``) asks every kind to make or read the units a build or shard needs; ``--only``,
``--shard``, the merge and the progress bar see every kind's units through ``BackbonePlan.units``. Adding a kind
is a module, a line in the table, and its figures and template.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # types only: what a kind runs is its own module's closure
    from generator.backbones import Backbone
    from generator.cache import Cache
    from generator.config import AtlasConfig, BackboneSpec
    from generator.photos.image import SourceImage
    from generator.pipeline.photo_batch import PreparedPhotos
    from generator.plan.network import NetworkFacts
    from generator.plan.units import BackbonePlan, KindPlan


@dataclass(frozen=True)
class PlanContext:
    """What every kind plans one backbone's units from."""

    backbone: str
    """The backbone's name: the first part of every unit's path."""
    network: str
    """Its network's identity (``plan.keys.network_identity``), in every array key."""
    spec: "BackboneSpec"
    facts: "NetworkFacts"
    config: "AtlasConfig"
    images: tuple["SourceImage", ...]
    example_images: tuple["SourceImage", ...]
    """The set natural examples come from: ``examples:``, or the atlas' photos."""
    mode: str
    """``plan.units.analysis_mode`` of the whole atlas' photo count."""


@dataclass(frozen=True)
class Making:
    """What a kind's ``make`` is given besides its units."""

    network: Callable[[], "Backbone"]
    """The loaded backbone; called only when a unit must be computed."""
    cache: "Cache"
    redo: Callable[[str], bool]
    """Whether the unit at a path is to be recomputed regardless of the cache (``--force``, ``--only``)."""
    made: Mapping[str, Any]
    """The values the kinds before this one in the table made, by kind name."""
    advance: Callable[[str], None]
    """One step of the progress bar, with what was done."""
    drawing: bool
    """Whether the atlas is drawn after (not in a shard): a kind may then skip what no figure needs."""
    photos: "PreparedPhotos"
    """The backbone's photos as its network takes them, each prepared once for every kind."""


class UnitKind(ABC):
    name: str
    """The kind's entry in ``BackbonePlan.work`` and ``BackboneArrays``, and its name in ``keras-atlas`` output."""

    @abstractmethod
    def plan(self, context: PlanContext, planned: Mapping[str, "KindPlan"]) -> "KindPlan":
        """This kind's settings and units for one backbone (``planned``: the kinds before it in the table)."""

    @abstractmethod
    def steps(self, plan: "BackbonePlan", units: Sequence[Any]) -> int:
        """How many times ``make`` advances the progress bar for ``units``."""

    def reads(self, units: Sequence[Any]) -> dict[str, set[str]]:
        """The paths of other kinds' units whose values making ``units`` reads, by kind: a shard computes (or
        reads) them too. None by default."""
        return {}

    @abstractmethod
    def make(self, plan: "BackbonePlan", units: Sequence[Any], making: Making) -> Any:
        """The value of ``units`` (the typed value the draw stage reads), each read from the array tier or
        computed into it."""
