"""Plain values handed from the draw stage to the pages stage: what was drawn, and where its files are.

Paths of files and pages are relative to the generated folder (``<docs_dir>/atlas``) and come from
``plan.names``; templates link them with the ``link`` filter. Nothing here refers to Keras.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from generator.classes import Prediction
from generator.results.filter_run import FilterRun
from generator.plan.units import BackboneFacts, LayerFacts
from generator.results.scoring import BestHeatmap, MethodScore


@dataclass(frozen=True)
class PhotoResult:
    id: str
    file_name: str
    photo: str
    thumbnail: str
    """WebP thumbnail for grids and tables; the photo itself opens in the lightbox."""
    page: str
    breed: str | None = None
    species: str | None = None
    width: int = 0
    height: int = 0
    """Of the stored photo: pages size its box before it loads, and heatmaps are laid over that box."""


@dataclass(frozen=True)
class HeatmapResult:
    """One class-activation map of one image through one layer: pages lay ``file`` over the image's photo."""

    title: str
    """The method's name as shown (``Grad-CAM++``)."""
    slug: str
    """The method as an HTML id part."""
    file: str


@dataclass(frozen=True)
class LayerFigure:
    """One image through one layer."""

    image_id: str
    activations: str | None
    """None for a photo not shown on the layer page (see ``AtlasConfig.photos_per_layer_page``)."""
    heatmaps: list[HeatmapResult]
    """Each class-activation map; empty without a classifier."""
    explained_class: str | None
    explained_probability: float | None
    on_layer_page: bool = True
    """Shown on the layer page; every photo is on its own page per backbone (``names.photo_backbone_page``)."""
    activations_shown: str | None = None
    """What pages show of the activation grid, linking to it: its thumbnail for a large grid, else the grid."""


@dataclass(frozen=True)
class ExampleCrop:
    """One natural example of a unit: which photo, and how strongly the unit responds there."""

    file_name: str
    value: float
    photo_id: str | None
    """The atlas photo it is (its page is linked), or None for a photo of a separate ``examples:`` set."""


@dataclass(frozen=True)
class FilterTile:
    """Where a unit's filter image sits in its layer's mosaic (pixels): pages show it cut from the mosaic by CSS,
    so the units page stores no image of its own for it."""

    left: int
    top: int
    side: int
    mosaic_width: int
    mosaic_height: int


@dataclass(frozen=True)
class UnitResult:
    """One unit of a layer: its filter image, its natural examples and its numbers over the example set."""

    index: int
    strip: str | None
    """The strip of its crops; None when it never fired (nothing to show)."""
    crops: list[ExampleCrop]
    strongest: float
    mean: float
    """Mean over the photos of its strongest response in each."""
    fire_fraction: float
    dead: bool
    tile: FilterTile
    filter_peak: float | None = None
    """Its strongest activation on its own filter image."""

    @property
    def filter_ratio(self) -> float | None:
        """Filter image's response over the best natural example's: below 1, optimisation found less than nature."""
        if self.filter_peak is None or self.strongest <= 0:
            return None
        return self.filter_peak / self.strongest


@dataclass(frozen=True)
class LayerResult(LayerFacts):
    """A drawn layer: its facts (see ``plan.units.LayerFacts``) and its figures."""

    filters_shown: int
    activation_channels: int
    """Channels shown in each activation grid: the first ones, up to ``plan.ACTIVATION_CHANNELS``."""
    mosaic: str
    mosaic_thumbnail: str
    """WebP thumbnail of the mosaic, shown on cards and linking to the full PNG."""
    figures: list[LayerFigure]
    scores: list[MethodScore] = field(default_factory=list)
    """Per CAM method, how faithful its maps are (means over the photos); empty when heatmaps are not scored."""
    units_page: str | None = None
    units: list[UnitResult] = field(default_factory=list)
    """Its shown units with their natural examples; empty when none are drawn."""
    example_photos: int = 0
    """Photos the examples come from."""
    examples_per_image: int = 1
    """Examples one photo may give a unit (more than 1 when the set is smaller than the examples shown)."""
    examples_from_atlas: bool = True
    """Whether the examples come from the atlas' own photos (else from a separate ``examples:`` set)."""
    filter_run: FilterRun | None = None
    """How its filter images were made (steps, why they stopped); None where not known."""
    grid_columns: int = 8
    """Tiles per row of its mosaic and activation grids (``render.mosaic.COLUMNS``)."""
    crop_least_side: float = 0.0
    """The side, in input pixels, a natural example's crop is widened to at least (``formulas.field_box``)."""

    @property
    def units_below_one(self) -> list[UnitResult]:
        """Its shown units whose filter image excites them less than their best photo crop does."""
        return [unit for unit in self.units if unit.filter_ratio is not None and unit.filter_ratio < 1]

    @property
    def dead_units(self) -> list[UnitResult]:
        """Its shown units that fire on no example photo (``compute.examples``)."""
        return [unit for unit in self.units if unit.dead]

    def figure_for(self, image_id: str) -> LayerFigure:
        """The photo ``image_id`` through this layer: every photo of the atlas has one."""
        return next(figure for figure in self.figures if figure.image_id == image_id)


@dataclass(frozen=True)
class BackboneResult(BackboneFacts):
    """A drawn backbone: its facts (``plan.units.BackboneFacts``), its figures and what its photos gave."""

    page: str
    architecture_svg: str | None
    architecture_png: str | None
    architecture_note: str | None
    has_classifier: bool
    predictions: dict[str, list[Prediction]]
    layers: list[LayerResult]
    breed_ranks: dict[str, int | None] = field(default_factory=dict)
    """Per photo, the rank of its breed's class among this network's (0: top-1); None where not scored
    (see ``breeds.class_rank``)."""
    confusion_chart: str | None = None
    """SVG of its breed confusions (see ``render.confusion``), when some photos' breeds are scored."""
    best_heatmap: BestHeatmap | None = None
    """Its best layer and method by ``scoring.best_heatmap``; None when heatmaps are not scored."""
    scores_chart: str | None = None
    """SVG of the heatmaps' scores through the depth (see ``render.faithfulness_chart``)."""
    scored_photos: int = 0
    scoring_steps: int = 0

    @property
    def best_layer(self) -> LayerResult | None:
        """The layer of its best heatmap (``BestHeatmap.depth``); None when heatmaps are not scored."""
        return None if self.best_heatmap is None else self.layers[self.best_heatmap.depth]

    @property
    def shown_layer(self) -> LayerResult:
        """The layer a photo's card shows: the best heatmap's, or the deepest drawn when heatmaps are not scored."""
        return self.best_layer or self.layers[-1]

    def shown_heatmap(self, image_id: str) -> HeatmapResult | None:
        """The heatmap a photo's card shows: the best method's at ``shown_layer``, else its first method's; None
        without a classifier."""
        heatmaps = self.shown_layer.figure_for(image_id).heatmaps
        if not heatmaps:
            return None
        return heatmaps[self.best_heatmap.method_index] if self.best_heatmap is not None else heatmaps[0]

    def explained_class(self, image_id: str) -> str | None:
        """The class every heatmap of the photo explains (the same through every layer); None without a classifier."""
        return self.layers[0].figure_for(image_id).explained_class


@dataclass(frozen=True)
class AtlasResult:
    title: str
    photos: list[PhotoResult]
    backbones: list[BackboneResult]
    skipped: list[tuple[str, str]]
    """(file, reason) of every input file that was not used."""
    settings: list[tuple[str, str]] = field(default_factory=list)
    """Every setting that shapes the pictures, for the build report."""
    versions: list[tuple[str, str]] = field(default_factory=list)
    """Versions of the packages that compute and render them."""
