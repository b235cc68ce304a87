"""The draw stage: the planned figures missing from the figure tier, drawn from arrays; the rest read.

Drawing takes arrays and the plan's plain facts and hands back plain results with the files' paths; it never
runs a network (this module imports neither TensorFlow, Keras nor ``compute/``). A figure's key (see
``plan.keys``) is the key of the arrays it shows, every render parameter and a hash of the render code, so a
rebuild with nothing changed reads bytes and draws nothing, and changing how figures are drawn redraws them
without recomputing the arrays behind them.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np
from PIL import Image

from generator.results.breeds import class_rank
from generator.cache import Cache
from generator.classes import decode
from generator.errors import AtlasError
from generator.photos.image import SourceImage
from generator.pipeline.arrays import BackboneArrays, LayerFilters
from generator.plan import names
from generator.plan.keys import PHOTO_SIDE, THUMBNAIL_SIDE
from generator.formulas.field_box import LEAST_FRACTION, photo_box
from generator.plan.units import ACTIVATION_THUMBNAIL_SIDE, CROP_SIDE, BackbonePlan, Figure, LayerPlan, PhotoPlan
from generator.render.activations import activation_png
from generator.render.architecture import graphviz, png_dpi
from generator.render.confusion import confusion_svg
from generator.render.contrast import stretch
from generator.render.faithfulness_chart import scores_svg
from generator.render.encode import jpeg_bytes, png_bytes, webp_bytes, webp_thumbnail
from generator.render.mosaic import COLUMNS, tile, tile_place
from generator.render.overlay import map_png
from generator.render.unit_crops import Crop, unit_strip
from generator.results.atlas import (
    BackboneResult, ExampleCrop, FilterTile, HeatmapResult, LayerFigure, LayerResult, PhotoResult, UnitResult,
)
from generator.results.top_examples import TopExamples
from generator.results.scoring import BestHeatmap, LayerScores, MethodScore, best_heatmap, layer_scores
from generator.output.writer import Writer


@dataclass
class Draw:
    """Where figures go (the writer), where they are remembered (the cache), and which to redraw regardless."""

    writer: Writer
    cache: Cache
    redo: Callable[[str], bool] = lambda path: False
    latest: dict[str, bytes] = field(default_factory=dict, repr=False)
    """The file written last and its bytes: what a thumbnail, a photo's size or the plot's PNG resolution is read
    from, right after the figure it comes from, without reading the file back (one entry: memory stays flat)."""

    @property
    def drawn(self) -> int:
        return self.cache.figures.made

    def figure(self, figure: Figure, draw: Callable[[], bytes]) -> str:
        """Write ``figure``'s file: its cached bytes, or ``draw()`` and cache them."""
        data = self.cache.figures.get_or_make(figure.key, draw, redo=self.redo(figure.unit))
        path = self.writer.write(figure.file, data)
        self.latest = {path: data}
        return path

    def written(self, path: str) -> bytes:
        """The bytes of the figure file ``path`` this build wrote: kept from the write when it was the last one."""
        return self.latest[path] if path in self.latest else (self.writer.root / path).read_bytes()

    def thumbnail(self, thumbnail: Figure, of: str, side: int = THUMBNAIL_SIDE) -> str:
        """The WebP thumbnail of the figure file ``of`` (already written), which pages show and link to ``of``;
        ``side`` is the one its key was made with (``plan.keys.thumbnail_key``)."""
        def encode() -> bytes:  # called before the thumbnail is written: ``of`` is still the latest
            with Image.open(io.BytesIO(self.written(of))) as picture:
                return webp_thumbnail(np.asarray(picture.convert("RGB")), max_side=side)

        return self.figure(thumbnail, encode)


def draw_photo(draw: Draw, plan: PhotoPlan) -> PhotoResult:
    image = plan.image

    def encode() -> bytes:
        picture = Image.fromarray(image.decoded())
        picture.thumbnail((PHOTO_SIDE, PHOTO_SIDE), Image.Resampling.LANCZOS)
        return jpeg_bytes(np.asarray(picture))

    photo = draw.figure(plan.photo, encode)
    with Image.open(io.BytesIO(draw.written(photo))) as stored:  # reads the header only
        width, height = stored.size
    return PhotoResult(image.id, image.file_name, photo, draw.thumbnail(plan.thumbnail, photo),
                       names.photo_page(image.id), image.breed, image.species, width, height)


def draw_backbone(draw: Draw, plan: BackbonePlan, arrays: BackboneArrays) -> BackboneResult:
    """Every figure of one backbone, and the result its pages are written from."""
    svg = png = note = None
    if plan.architecture is None:
        note = f"{len(plan.summary.rows)} layers are too many for a readable plot; see the layer summary."
    else:
        svg, png = _architecture(draw, plan.architecture, plan.architecture_dot or "")
    predictions, breed_ranks = {}, {}
    analyses = arrays["analysis"]
    images = {unit.image.id: unit.image for unit in plan.units_of("analysis")}
    scores = _scores(plan, arrays)
    best = best_heatmap(scores)
    if plan.class_names is not None:  # top_k fits: checked by the config (registry) and preflight (model files)
        predictions = {image_id: decode(analysis.probabilities[None], plan.class_names, plan.top_k)[0]
                       for image_id, analysis in analyses.items()}
        breed_ranks = {image_id: class_rank(analysis.probabilities, plan.class_names, images[image_id].breed)
                       for image_id, analysis in analyses.items()}
    return BackboneResult(
        **plan.backbone_facts(),
        page=names.backbone_page(plan.name),
        architecture_svg=svg,
        architecture_png=png,
        architecture_note=note,
        has_classifier=plan.class_names is not None,
        predictions=predictions,
        breed_ranks=breed_ranks,
        confusion_chart=_confusions(draw, plan, predictions, breed_ranks, images),
        layers=[_layer(draw, plan, layer, arrays, scores[depth].methods if scores else [])
                for depth, layer in enumerate(plan.layers)],
        best_heatmap=best,
        scores_chart=_scores_chart(draw, plan, scores, best),
        scored_photos=len(arrays["scores"]),
        scoring_steps=plan.settings("scores").steps if plan.settings("scores") else 0,
    )


def _scores(plan: BackbonePlan, arrays: BackboneArrays) -> list[LayerScores]:
    """Per layer and method, its heatmaps' scores over the photos; empty when the plan does not score them."""
    scoring, scores = plan.settings("scores"), arrays["scores"]
    if scoring is None or not scores:
        return []
    methods = list(plan.settings("analysis").methods)
    return layer_scores(
        [scores[unit.image.id] for unit in plan.units_of("scores")], [layer.name for layer in plan.layers],
        list(scoring.layer_sides), methods, list(scoring.method_titles),
        [names.method_slug(method) for method in methods], scoring.chance_sides,
    )


def _scores_chart(draw: Draw, plan: BackbonePlan, scores: list[LayerScores], best: BestHeatmap | None) -> str | None:
    """The chart of the scores through the depth, the best heatmap starred and the flagged maps crossed out."""
    if plan.faithfulness_chart is None or not scores:
        return None
    rows = range(len(scores[0].methods))
    best_at = (best.method_index, best.depth) if best is not None else None
    return draw.figure(plan.faithfulness_chart, partial(
        scores_svg, [layer.layer for layer in scores], [method.title for method in scores[0].methods],
        [[layer.methods[row].insertion for layer in scores] for row in rows],
        [[layer.methods[row].deletion for layer in scores] for row in rows],
        [layer.methods[0].chance_insertion for layer in scores], [layer.methods[0].chance_deletion for layer in scores],
        [[layer.methods[row].flagged for layer in scores] for row in rows], best_at,
        f"{plan.title}: how faithful its heatmaps are, layer by layer ({len(plan.units_of('scores'))} photos)",
    ))


def _confusions(draw: Draw, plan: BackbonePlan, predictions, ranks, images: dict[str, SourceImage]) -> str | None:
    """The chart of which class the network predicts first for each scored breed."""
    if plan.confusion is None:
        return None
    pairs = [(images[image_id].breed, predictions[image_id][0].name) for image_id, rank in ranks.items() if rank is not None]
    return draw.figure(plan.confusion, partial(confusion_svg, pairs, plan.title))


def _architecture(draw: Draw, figures: tuple[Figure, Figure], dot: str) -> tuple[str, str]:
    """The architecture plot as SVG (zoomable) and PNG (for the lightbox), laid out by Graphviz."""
    svg_figure, png_figure = figures
    svg = draw.figure(svg_figure, lambda: graphviz(dot, "svg"))
    svg_bytes = draw.written(svg)

    def encode_png() -> bytes:
        raw_png = graphviz(dot, "png", dpi=png_dpi(svg_bytes))
        return png_bytes(np.asarray(Image.open(io.BytesIO(raw_png)).convert("RGB")))

    return svg, draw.figure(png_figure, encode_png)


def _layer(draw: Draw, plan: BackbonePlan, layer: LayerPlan, arrays: BackboneArrays,
           scores: list[MethodScore]) -> LayerResult:
    """The filter mosaic of one layer, and per image its heatmap maps and (where kept) its activation grid."""

    filters: LayerFilters = arrays["filters"].get(layer.name, LayerFilters())

    def encode_mosaic() -> bytes:
        if filters.images is None:
            raise AtlasError(f"the filter images of {layer.filters.path} were not computed before drawing its mosaic; "
                             "the figure cache changed during the build: build again")
        return webp_bytes(tile(stretch(filters.images)))

    mosaic = draw.figure(layer.mosaic, encode_mosaic)
    figures = []
    for planned in layer.images:
        analysis = arrays["analysis"][planned.image_id]
        activations = shown_activations = None
        if planned.activations is not None:
            activations = shown_activations = draw.figure(planned.activations,
                                                          partial(activation_png, analysis.activations[layer.name]))
        if planned.activations_thumbnail is not None:
            shown_activations = draw.thumbnail(planned.activations_thumbnail, activations, ACTIVATION_THUMBNAIL_SIDE)
        heatmaps = [
            HeatmapResult(heatmap.title, names.method_slug(heatmap.method),
                          draw.figure(heatmap.figure, partial(map_png, analysis.cam(heatmap.method, layer.name))))
            for heatmap in planned.heatmaps
        ]
        explained_class = explained_probability = None
        if analysis.class_index is not None and plan.class_names is not None:
            explained_class = plan.class_names[analysis.class_index]
            explained_probability = analysis.class_probability
        figures.append(LayerFigure(planned.image_id, activations, heatmaps, explained_class, explained_probability,
                                   planned.on_layer_page, shown_activations))
    examples = plan.settings("examples")
    return LayerResult(
        **layer.facts(),
        filters_shown=len(layer.filters.indices),
        activation_channels=min(plan.settings("analysis").channels, layer.channels),
        mosaic=mosaic,
        mosaic_thumbnail=draw.thumbnail(layer.mosaic_thumbnail, mosaic),
        figures=figures,
        scores=scores,
        units_page=layer.units_page if layer.name in arrays["examples"] else None,
        units=_units(draw, plan, layer, arrays["examples"].get(layer.name), filters),
        example_photos=len(plan.example_images),
        examples_per_image=examples.per_image if examples else 1,
        examples_from_atlas=([image.path for image in plan.example_images]
                             == [unit.image.path for unit in plan.units_of("analysis")]),
        filter_run=filters.run,
        grid_columns=COLUMNS,
        crop_least_side=max(plan.input_shape[:2]) * LEAST_FRACTION,
    )


def _units(draw: Draw, plan: BackbonePlan, layer: LayerPlan, examples: TopExamples | None,
           layer_filters: LayerFilters) -> list[UnitResult]:
    """Per shown unit: the strip of its natural examples (those where it fires), its numbers, its filter tile."""
    settings, images = plan.settings("examples"), plan.example_images
    if examples is None or settings is None:
        return []
    depth = settings.layers.index(layer.name)
    atlas_photos = {unit.image.sha256: unit.image.id for unit in plan.units_of("analysis")}
    filters, peaks = layer_filters.images, layer_filters.peaks
    units = []
    for unit, figure in enumerate(layer.crops):
        slots = [slot for slot in range(examples.k) if examples.image_index[unit, slot] >= 0 and examples.values[unit, slot] > 0]
        photos = [images[examples.image_index[unit, slot]] for slot in slots]
        crops = [_crop(photo.decoded(), examples, unit, slot, plan, depth) for photo, slot in zip(photos, slots, strict=True)]
        top, left, height, width = tile_place(unit, len(filters), filters.shape[1], filters.shape[2])
        units.append(UnitResult(
            index=unit,
            strip=draw.figure(figure, partial(unit_strip, crops, CROP_SIDE)) if crops else None,
            crops=[ExampleCrop(photo.file_name, float(examples.values[unit, slot]), atlas_photos.get(photo.sha256))
                   for photo, slot in zip(photos, slots, strict=True)],
            strongest=max(float(examples.values[unit, 0]), 0.0), mean=float(examples.mean_response[unit]),
            fire_fraction=float(examples.fire_fraction[unit]), dead=bool(examples.dead[unit]),
            tile=FilterTile(left, top, filters.shape[1], width, height),
            filter_peak=None if peaks is None else float(peaks[unit]),
        ))
    return units


def _crop(pixels: np.ndarray, examples: TopExamples, unit: int, slot: int, plan: BackbonePlan, depth: int) -> Crop:
    """Example ``slot`` of ``unit``: the photo ``pixels``, its field box there, and its response patch."""
    settings = plan.settings("examples")
    box = photo_box(examples.y[unit, slot], examples.x[unit, slot], settings.map_shapes[depth], plan.input_shape[:2],
                    settings.fields[depth], pixels.shape[:2])
    return Crop(pixels, box, examples.patches[unit, slot])
