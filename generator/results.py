"""Plain values handed from the pipeline to the pages stage: what was drawn, and where its files are.

Paths are relative to the generated folder (``<docs_dir>/atlas``). Nothing here refers to Keras.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from generator.classes import Prediction
from generator.compute.summary import Summary
from generator.weights import Provenance


@dataclass(frozen=True)
class PhotoResult:
    id: str
    file_name: str
    photo: str
    thumbnail: str
    """WebP thumbnail for grids and tables; the photo itself opens in the lightbox."""
    breed: str | None = None
    species: str | None = None


@dataclass(frozen=True)
class LayerFigure:
    """One image through one layer."""

    image_id: str
    activations: str
    heatmaps: list[tuple[str, str]]
    """(method title, file) of each class-activation map; empty without a classifier."""
    explained_class: str | None
    explained_probability: float | None


@dataclass(frozen=True)
class LayerResult:
    name: str
    slug: str
    kind: str
    output_shape: str
    channels: int
    filters_shown: int
    mosaic: str
    mosaic_thumbnail: str
    """WebP thumbnail of the mosaic, shown on cards and linking to the full PNG."""
    figures: list[LayerFigure]
    receptive_field: int | None = None
    """Input pixels one unit sees (None where the graph does not say)."""
    period: int | None = None
    """Side of the tile the filter images were optimised as, when smaller than the image."""


@dataclass(frozen=True)
class BackboneResult:
    name: str
    title: str
    provenance: Provenance
    input_shape: tuple[int, int, int]
    summary: Summary
    architecture_svg: str | None
    architecture_png: str | None
    architecture_note: str | None
    has_classifier: bool
    predictions: dict[str, list[Prediction]]
    layers: list[LayerResult]
    settings: dict[str, object] = field(default_factory=dict)
    application: str = ""
    """Registry name (``mobilenet``) or the model file's name: backbones of one application form a width sweep."""
    alpha: float | None = None
    """Width multiplier, for MobileNet-family backbones."""


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
