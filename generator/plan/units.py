"""What a plan holds: plain values only (no Keras, no arrays), so that every later stage can read it.

A backbone's plan lists its work units, each with its content key, and the figures drawn from them, each with
its file and key. Compute turns units into arrays, drawing turns arrays into figures, pages link the figures;
each reads what it needs from here and nothing is looked up again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the plan is read by the drawing side, which never imports compute/
    from generator.compute.summary import Summary
    from generator.units.filters import FiltersUnit
    from generator.photos.image import SourceImage
    from generator.weights import Provenance

IMAGE_BATCH = 4
"""Images per forward/backward pass, always full (padded with blank images): measured on TensorFlow's CPU
kernels, an image's results then do not depend on which images share its batch or where it sits, so a shard,
an incremental rebuild and a clean build all give the same bytes."""
ACTIVATION_CHANNELS = 64
"""Channels of each layer kept per image for its activation grid."""
ACTIVATION_TILE = 64
"""Side of a channel's tile in an activation grid, in pixels: about the size a grid's tile is shown at (8 tiles
across a 512 px lightbox). Larger maps are averaged down to it, smaller ones enlarged by a whole factor."""
ACTIVATION_THUMBNAIL_SIDE = 200
"""A layer page's row shows an activation grid at about 130 CSS px: its thumbnail at most this wide (a 1.5x
screen's pixels), and the lightbox the grid itself."""
ACTIVATION_THUMBNAIL_FROM = 28
"""Maps at least this wide get that thumbnail: their grids weigh 68 to 115 KB, and a browser loads the rows of
several photos below the fold at once; smaller maps' grids (8 to 22 KB, measured) are shown as they are."""
ACTIVATION_LEVELS = 255
"""Steps a channel is shown in (viridis colours); the 256th palette entry is the gap between tiles."""
CROP_SIDE = 96
"""Side in pixels of a natural example's crop: a unit's strip of crops is shown about 600 CSS px wide."""


def analysis_mode(atlas_photos: int) -> str:
    """How photos go through the network: ``eager`` when all of the atlas' photos fit one batch, else ``compiled``.

    A single batch would pay the compiled pass' tracing for nothing (see ``compute.heatmaps``). The two modes
    round differently in the last bits, so the mode comes from the whole atlas' photo count, never from the share
    a shard or a rebuild computes, and it is part of the analysis key: every build of one atlas gives the same bytes.
    """
    return "eager" if atlas_photos <= IMAGE_BATCH else "compiled"


@dataclass(frozen=True)
class Figure:
    """One file a build draws: where it goes, its figure-tier key, and the unit whose redo redraws it."""

    file: str
    """Relative to the generated folder (see ``names``)."""
    key: str
    unit: str


@dataclass(frozen=True)
class KindPlan:
    """One unit kind's part of a backbone's plan (``units.base.UnitKind.plan``): how its units are made (None
    when the kind does nothing for this backbone) and the units, each with its path, key and cost."""

    settings: Any = None
    units: tuple[Any, ...] = ()


@dataclass(frozen=True)
class HeatmapFigure:
    method: str
    title: str
    figure: Figure


@dataclass(frozen=True)
class LayerImageFigures:
    """The figures of one image through one layer."""

    image_id: str
    activations: Figure | None
    """None when not kept (see ``units.analysis.AnalysisUnit.keeps_activations``)."""
    heatmaps: tuple[HeatmapFigure, ...]
    activations_thumbnail: Figure | None = None
    """What pages show of a large activation grid (see ``ACTIVATION_THUMBNAIL_FROM``)."""
    on_layer_page: bool = True
    """Whether the layer page shows this photo (the atlas' first ``photos_per_layer_page``); every photo's page
    per backbone shows it through every layer."""


@dataclass(frozen=True)
class LayerFacts:
    """What a layer page states about the layer: read from the network by the plan, shown by the pages."""

    name: str
    slug: str
    page: str
    kind: str
    output_shape: str
    channels: int
    receptive_field: int | None
    """Input pixels one unit sees (None where the graph does not say)."""
    period: int | None
    """Side of the tile its filter images are optimised as, when smaller than the image."""

    def facts(self) -> dict[str, object]:
        """The facts alone, to hand on to a result."""
        return {name: getattr(self, name) for name in LayerFacts.__dataclass_fields__}


@dataclass(frozen=True)
class LayerPlan(LayerFacts):
    """One drawn layer: its facts, its filters unit, and every figure of it."""

    filters: "FiltersUnit"
    mosaic: Figure
    mosaic_thumbnail: Figure
    images: tuple[LayerImageFigures, ...]
    units_page: str | None = None
    """The page of its units with their natural examples; None when none are planned."""
    crops: tuple[Figure, ...] = ()
    """Per shown unit, the strip of its natural examples' crops."""


@dataclass(frozen=True)
class BackboneFacts:
    """What every page states about a backbone, decided by the plan and handed to the pages whole
    (``BackboneResult`` is made with ``**plan.backbone_facts()``), never copied field by field."""

    name: str
    title: str
    application: str
    """Registry name (``mobilenet``) or the model file's name: backbones of one application form a width sweep."""
    alpha: float | None
    """Width multiplier, for MobileNet-family backbones."""
    provenance: "Provenance"
    input_shape: tuple[int, int, int]
    summary: "Summary"
    heatmap_alpha: float
    """Opacity of a heatmap's colours over its photo."""
    page_settings: dict[str, object]
    """The settings its pages state (filter size, steps, seed, learning rate, precision, top-k)."""

    def backbone_facts(self) -> dict[str, object]:
        """The facts alone, to hand on to a result."""
        return {name: getattr(self, name) for name in BackboneFacts.__dataclass_fields__}


@dataclass(frozen=True)
class BackbonePlan(BackboneFacts):
    """Everything a build does for one backbone, decided before any compute."""

    class_names: tuple[str, ...] | None
    top_k: int
    architecture_dot: str | None
    architecture: tuple[Figure, Figure] | None
    """(SVG, PNG); None when the graph is too large for a readable plot."""
    work: dict[str, KindPlan]
    """Per unit kind (``units.table.KINDS``, in its order): its settings and units."""
    layers: tuple[LayerPlan, ...]
    confusion: Figure | None = None
    """The chart of its breed confusions, when it has a classifier and some photos have a breed it can be scored on."""
    faithfulness_chart: Figure | None = None
    """The chart of its heatmaps' scores through the depth (None when they are not scored)."""
    example_images: tuple["SourceImage", ...] = ()
    """The example set, in its order (the merged examples' image indices point into it)."""

    def settings(self, kind: str) -> Any:
        """How the units of ``kind`` are made (None when the kind does nothing for this backbone)."""
        return self.work[kind].settings

    def units_of(self, kind: str) -> tuple[Any, ...]:
        return self.work[kind].units

    @property
    def units(self) -> list[Any]:
        """Every work unit of the backbone, kind by kind: all that ``--only``, ``--shard`` and the merge see."""
        return [unit for work in self.work.values() for unit in work.units]


@dataclass(frozen=True)
class PhotoPlan:
    """A photo of the atlas, stored once and shared by every page that shows it."""

    image: "SourceImage"
    photo: Figure
    thumbnail: Figure
