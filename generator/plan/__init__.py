"""The plan: every work unit of a build and every figure drawn from it, each with its content key, made once.

Every build (whole, ``--only``, ``--shard``) makes the same plan and then filters it (``select``). The plan is
plain values (``units``), each kind of work unit planning its own (``generator.units``); keys are made in
``keys``, every path and file name in ``names``, and ``backbone`` reads a loaded network once to fill it.
"""

from generator.plan.select import Shard, assign, matches, redo_predicate
from generator.plan.units import (
    ACTIVATION_CHANNELS, IMAGE_BATCH, BackbonePlan, Figure, HeatmapFigure, KindPlan, LayerImageFigures, LayerPlan,
    PhotoPlan, analysis_mode,
)

__all__ = [
    "ACTIVATION_CHANNELS", "IMAGE_BATCH", "BackbonePlan", "Figure", "HeatmapFigure", "KindPlan", "LayerImageFigures",
    "LayerPlan", "PhotoPlan", "Shard", "analysis_mode", "assign", "matches", "redo_predicate",
]
