"""Render through the figure tier of the cache: each figure's key, and its bytes, drawn only when missing.

A figure's key is the key of the arrays it shows, every render parameter and a hash of the render code, so a
rebuild with nothing changed reads bytes and draws nothing; changing how figures are drawn redraws them without
recomputing the arrays behind them.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
from PIL import Image

from generator.backbones import Backbone
from generator.cache import Cache, figure_key, make_key
from generator.compute.heatmaps import CAM_TITLES
from generator.compute.layers import channel_count
from generator.compute.receptive_field import receptive_field
from generator.computed import (
    ACTIVATION_CHANNELS, Compute, analysis_key, filters_key, filters_of, filters_recipe, filters_shown,
)
from generator.images import SourceImage, slugify
from generator.render.activations import activation_grid
from generator.render.architecture import graphviz, png_dpi
from generator.render.contrast import stretch
from generator.render.encode import jpeg_bytes, png_bytes, webp_thumbnail
from generator.render.mosaic import tile
from generator.render.overlay import overlay
from generator.results import LayerFigure, LayerResult, PhotoResult
from generator.writer import Writer

PHOTO_SIDE = 512


@dataclass
class Draw:
    """Where figures go (the writer), where they are remembered (the cache), and which to redraw regardless."""

    writer: Writer
    cache: Cache
    redo: Callable[[str], bool] = lambda path: False
    drawn: int = 0

    def figure(self, file: str, key: str, unit: str, draw: Callable[[], bytes]) -> str:
        """Write figure ``file`` (relative to the generated folder): cached bytes, or ``draw()`` and cache them."""
        data = None if self.redo(unit) else self.cache.figures.get(key)
        if data is None:
            data = draw()
            self.cache.figures.put(key, data)
            self.drawn += 1
        return self.writer.write(file, data)

    def thumbnail(self, file: str, key: str, unit: str) -> str:
        """A WebP thumbnail beside figure ``file`` (already written), for pages to show and link to the full file."""
        def encode() -> bytes:
            with Image.open(self.writer.root / file) as picture:
                return webp_thumbnail(np.asarray(picture.convert("RGB")))

        stem = file.rsplit(".", 1)[0]
        return self.figure(f"{stem}.thumb.webp", figure_key(key, kind="thumbnail"), unit, encode)


def photo(draw: Draw, image: SourceImage) -> PhotoResult:
    def encode() -> bytes:
        picture = Image.fromarray(image.pixels)
        picture.thumbnail((PHOTO_SIDE, PHOTO_SIDE), Image.Resampling.LANCZOS)
        return jpeg_bytes(np.asarray(picture))

    key = figure_key(image.sha256, kind="photo", side=PHOTO_SIDE)
    path = draw.figure(f"photos/{image.id}.jpg", key, f"photos/{image.id}", encode)
    thumbnail = draw.thumbnail(path, key, f"photos/{image.id}")
    return PhotoResult(image.id, image.file_name, path, thumbnail, image.breed, image.species)


def architecture(draw: Draw, backbone: Backbone, dot: str | None) -> tuple[str | None, str | None, str | None]:
    """The architecture plot as SVG (zoomable) and PNG (for the lightbox), laid out by Graphviz."""
    if not dot:
        return None, None, f"{len(backbone.model.layers)} layers are too many for a readable plot; see the layer summary."
    dot_key = make_key(dot=dot)
    unit = f"{backbone.name}/architecture"
    svg = draw.figure(f"{backbone.name}/architecture.svg", figure_key(dot_key, kind="svg"), unit, lambda: graphviz(dot, "svg"))
    svg_bytes = (draw.writer.root / svg).read_bytes()

    def encode_png() -> bytes:
        raw_png = graphviz(dot, "png", dpi=png_dpi(svg_bytes))
        return png_bytes(np.asarray(Image.open(io.BytesIO(raw_png)).convert("RGB")))

    png = draw.figure(f"{backbone.name}/architecture.png", figure_key(dot_key, kind="png"), unit, encode_png)
    return svg, png, None


def layer(
    draw: Draw, work: Compute, backbone: Backbone, layer_name: str, images: list[SourceImage], analyses, layer_names: list[str]
) -> LayerResult:
    """The filter mosaic of one layer, and its activation grid and heatmaps for every image."""
    config = work.config
    keras_layer = backbone.model.get_layer(layer_name)
    slug = slugify(layer_name)
    folder = f"{backbone.name}/layers/{slug}"
    unit = f"{backbone.name}/{layer_name}"
    arrays_of_filters = filters_key(backbone, layer_name, config)
    work.cache.arrays.used.add(arrays_of_filters)  # in use even when only its figure is read (for --prune)
    mosaic_key = figure_key(arrays_of_filters, kind="mosaic")
    mosaic = draw.figure(
        f"{folder}/filters.png", mosaic_key, unit, lambda: png_bytes(tile(stretch(filters_of(backbone, layer_name, work))))
    )
    mosaic_thumbnail = draw.thumbnail(mosaic, mosaic_key, unit)
    figures = []
    for image in images:
        analysis = analyses[image.id]
        arrays_key = analysis_key(backbone, layer_names, image, work)
        image_unit = f"{unit}/{image.id}"
        activations = draw.figure(
            f"{folder}/activations-{image.id}.png",
            figure_key(arrays_key, kind="activations", layer=layer_name, channels=ACTIVATION_CHANNELS),
            image_unit,
            partial(_activations_png, analysis[f"activations/{layer_name}"]),
        )
        heatmaps, explained_class, explained_probability = [], None, None
        if "class_index" in analysis:
            side = backbone.input_shape[:2]
            for method in config.cam:
                file = f"{folder}/{slugify(method.replace('++', '-plus-plus'))}-{image.id}.jpg"
                key = figure_key(arrays_key, kind="overlay", layer=layer_name, method=method, alpha=config.heatmap_alpha, side=side)
                encode = partial(_overlay_jpeg, image, side, analysis[f"cam/{method}/{layer_name}"], config.heatmap_alpha)
                heatmaps.append((CAM_TITLES[method], draw.figure(file, key, image_unit, encode)))
            explained_class = backbone.class_names[int(analysis["class_index"])]
            explained_probability = float(analysis["class_probability"])
        figures.append(LayerFigure(image.id, activations, heatmaps, explained_class, explained_probability))
    return LayerResult(
        name=layer_name,
        slug=slug,
        kind=type(keras_layer).__name__,
        output_shape=str(tuple(keras_layer.output.shape)).replace("None", "?"),
        channels=channel_count(keras_layer),
        filters_shown=filters_shown(keras_layer, config),
        mosaic=mosaic,
        mosaic_thumbnail=mosaic_thumbnail,
        figures=figures,
        receptive_field=receptive_field(backbone.model, layer_name),
        period=filters_recipe(backbone, layer_name, config).period,
    )


def _activations_png(activations: np.ndarray) -> bytes:
    return png_bytes(activation_grid(activations, ACTIVATION_CHANNELS))


def _overlay_jpeg(image: SourceImage, side: tuple[int, int], cam: np.ndarray, alpha: float) -> bytes:
    return jpeg_bytes(overlay(image.resized(side), cam, alpha=alpha))
