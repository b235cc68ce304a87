"""What a plan holds: plain values only (no Keras, no arrays), so that every later stage can read it.

A backbone's plan lists its work units, each with its content key, and the figures drawn from them, each with
its file and key. Compute turns units into arrays, drawing turns arrays into figures, pages link the figures;
each reads what it needs from here and nothing is looked up again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the plan is read by the drawing side, which never imports compute/
    from generator.compute.filters import Recipe
    from generator.compute.summary import Summary
    from generator.images import SourceImage
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
EXAMPLE_GROUP_DIGITS = 2
"""Natural examples are computed and cached per group of photos, a group being the photos whose hash starts with
the same hex digits (256 groups): adding photos to the set recomputes only the groups they fall in, a group's
arrays do not depend on the others', and shards split the groups."""
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
class FiltersUnit:
    """The filter images of one layer: optimised pictures of its first ``indices`` filters."""

    path: str
    key: str
    cost: float
    layer: str
    indices: tuple[int, ...]
    recipe: "Recipe"
    seed: int


@dataclass(frozen=True)
class AnalysisUnit:
    """One image through one backbone: probabilities, activations and every CAM of every drawn layer."""

    path: str
    key: str
    cost: float
    image: "SourceImage"
    keeps_activations: bool = True
    """Whether its activation grids are drawn (photos on the layer pages): only then are activations stored."""


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
class HeatmapFigure:
    method: str
    title: str
    figure: Figure


@dataclass(frozen=True)
class LayerImageFigures:
    """The figures of one image through one layer."""

    image_id: str
    activations: Figure | None
    """None when not kept (see ``AnalysisUnit.keeps_activations``)."""
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

    filters: FiltersUnit
    mosaic: Figure
    mosaic_thumbnail: Figure
    images: tuple[LayerImageFigures, ...]
    units_page: str | None = None
    """The page of its units with their natural examples; None when none are planned."""
    crops: tuple[Figure, ...] = ()
    """Per shown unit, the strip of its natural examples' crops."""


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
class BackbonePlan:
    """Everything a build does for one backbone, decided before any compute."""

    name: str
    title: str
    application: str
    """Registry name (``mobilenet``) or the model file's name: backbones of one application form a width sweep."""
    alpha: float | None
    provenance: "Provenance"
    input_shape: tuple[int, int, int]
    class_names: tuple[str, ...] | None
    top_k: int
    heatmap_alpha: float
    summary: "Summary"
    architecture_dot: str | None
    architecture: tuple[Figure, Figure] | None
    """(SVG, PNG); None when the graph is too large for a readable plot."""
    analysis: AnalysisSettings
    analyses: tuple[AnalysisUnit, ...]
    layers: tuple[LayerPlan, ...]
    page_settings: dict[str, object] = field(default_factory=dict)
    confusion: Figure | None = None
    """The chart of its breed confusions, when it has a classifier and some photos have a breed it can be scored on."""
    scoring: ScoreSettings | None = None
    """None when heatmaps are not scored (no classifier, or ``faithfulness_steps: 0``)."""
    scores: tuple[ScoresUnit, ...] = ()
    faithfulness_chart: Figure | None = None
    """The chart of its heatmaps' scores through the depth."""
    examples: ExampleSettings | None = None
    """None when no natural examples are drawn (``examples_per_unit: 0``)."""
    example_units: tuple[ExamplesUnit, ...] = ()
    example_images: tuple["SourceImage", ...] = ()
    """The example set, in its order (the merged examples' image indices point into it)."""

    @property
    def units(self) -> list[FiltersUnit | AnalysisUnit | ScoresUnit | ExamplesUnit]:
        """Every work unit of the backbone: one per layer, one (or two, with scores) per image, one per group of
        example photos."""
        return [layer.filters for layer in self.layers] + list(self.analyses) + list(self.scores) + list(self.example_units)


@dataclass(frozen=True)
class PhotoPlan:
    """A photo of the atlas, stored once and shared by every page that shows it."""

    image: "SourceImage"
    photo: Figure
    thumbnail: Figure
