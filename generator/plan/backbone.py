"""Plan one backbone from its network's facts: layers, recipes, units and figures, each resolved once.

The facts (``network``) come from the loaded network or from the cache; either way no Keras model is read here,
so a rebuild whose units are all stored plans without TensorFlow.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

from generator.results.breeds import scored_class
from generator.compute.cams import METHODS
from generator.config import AtlasConfig, BackboneSpec
from generator.photos.image import SourceImage
from generator.plan import keys, names
from generator.plan.network import NetworkFacts, NetworkLayer
from generator.registry import APPLICATIONS
from generator.plan.units import (
    ACTIVATION_THUMBNAIL_FROM, ACTIVATION_THUMBNAIL_SIDE, CROP_SIDE, BackbonePlan, Figure, HeatmapFigure, KindPlan,
    LayerImageFigures, LayerPlan, PhotoPlan,
)
from generator.units.base import PlanContext
from generator.units.table import KINDS

if TYPE_CHECKING:
    from generator.units.analysis import AnalysisSettings, AnalysisUnit
    from generator.units.examples import ExamplesUnit
    from generator.units.scores import ScoreSettings


def network_identity_of(spec: BackboneSpec, facts: NetworkFacts) -> str:
    """The network's identity in its units' keys (``keys.network_identity``): a model file, or a test's network that
    no row names, has no registry row."""
    row = APPLICATIONS.get(spec.name) if spec.path is None else None
    application = None if row is None else asdict(row)
    return keys.network_identity(facts.provenance.sha256, spec.model_dump(mode="json"), application)


def plan_backbone(
    spec: BackboneSpec, facts: NetworkFacts, images: list[SourceImage], config: AtlasConfig, mode: str,
    example_images: list[SourceImage] | None = None,
) -> BackbonePlan:
    """Every unit (each kind's, ``units.table.KINDS``) and figure of one backbone with its key; ``mode`` is
    ``units.analysis_mode`` of the whole atlas, ``example_images`` the set natural examples come from (default:
    ``images``)."""
    name = facts.name
    example_images = images if example_images is None else example_images
    context = PlanContext(name, network_identity_of(spec, facts), spec, facts, config, tuple(images),
                          tuple(example_images), mode)
    work: dict[str, KindPlan] = {}
    for kind in KINDS:
        work[kind.name] = kind.plan(context, work)
    has_classifier = facts.class_names is not None
    settings, analyses = work["analysis"].settings, work["analysis"].units
    example_units = work["examples"].units
    filters = {unit.layer: unit for unit in work["filters"].units}
    layers = []
    for layer in facts.layers:
        unit = filters[layer.name]
        mosaic = Figure(names.mosaic_file(name, layer.name), keys.mosaic_key(unit.key), unit.path)
        layers.append(LayerPlan(
            name=layer.name,
            slug=names.layer_slug(layer.name),
            page=names.layer_page(name, layer.name),
            kind=layer.kind,
            output_shape=layer.output_shape,
            channels=layer.channels,
            receptive_field=layer.receptive_field,
            period=unit.recipe.period,
            filters=unit,
            mosaic=mosaic,
            mosaic_thumbnail=Figure(names.thumbnail_file(mosaic.file), keys.thumbnail_key(mosaic.key), unit.path),
            images=tuple(_layer_image_figures(name, layer, analysis, settings, has_classifier,
                                              index < config.photos_per_layer_page)
                         for index, analysis in enumerate(analyses)),
            units_page=names.units_page(name, layer.name) if example_units else None,
            crops=_crops(name, layer.name, len(unit.indices), example_units) if example_units else (),
        ))
    page_recipe = work["filters"].settings
    return BackbonePlan(
        work=work,
        example_images=tuple(example_images) if example_units else (),
        faithfulness_chart=_scores_chart(name, facts, work["scores"], settings),
        confusion=_confusion_figure(name, facts, analyses),
        name=name,
        title=facts.title,
        application=spec.name,
        alpha=spec.alpha,
        provenance=facts.provenance,
        input_shape=facts.input_shape,
        class_names=facts.class_names,
        top_k=config.top_k,
        heatmap_alpha=config.heatmap_alpha,
        summary=facts.summary,
        architecture_dot=facts.dot or None,
        architecture=_architecture_figures(name, facts.dot) if facts.dot else None,
        layers=tuple(layers),
        page_settings={
            "size": config.size, "steps": config.steps, "seed": config.seed, "filters": config.filters,
            "learning_rate": page_recipe.learning_rate, "redirect_fraction": page_recipe.redirect_fraction,
            "top_k": config.top_k, "precision": page_recipe.precision,
        },
    )


def _layer_image_figures(
    backbone: str, layer: NetworkLayer, unit: AnalysisUnit, settings: AnalysisSettings, has_classifier: bool,
    on_layer_page: bool,
) -> LayerImageFigures:
    image_id, layer_name = unit.image.id, layer.name
    figure_unit = names.layer_image_unit(backbone, layer_name, image_id)
    activations = thumbnail = None
    if unit.keeps_activations:
        activations = Figure(names.activations_file(backbone, layer_name, image_id),
                             keys.activations_key(unit.key, layer_name, settings.channels), figure_unit)
        if layer.map_side >= ACTIVATION_THUMBNAIL_FROM:
            thumbnail = Figure(names.thumbnail_file(activations.file),
                               keys.thumbnail_key(activations.key, ACTIVATION_THUMBNAIL_SIDE), figure_unit)
    heatmaps = tuple(
        HeatmapFigure(method, METHODS[method].title, Figure(
            names.heatmap_file(backbone, layer_name, method, image_id),
            keys.heatmap_key(unit.key, layer_name, method), figure_unit,
        ))
        for method in settings.methods
    ) if has_classifier else ()
    return LayerImageFigures(image_id, activations, heatmaps, activations_thumbnail=thumbnail, on_layer_page=on_layer_page)


def _scores_chart(backbone: str, facts: NetworkFacts, scores: KindPlan, settings: AnalysisSettings) -> Figure | None:
    """The chart of the backbone's heatmap scores through the depth, when they are scored."""
    if scores.settings is None:
        return None
    scoring: ScoreSettings = scores.settings
    key = keys.faithfulness_chart_key([unit.key for unit in scores.units], list(settings.layers),
                                      list(scoring.method_titles), facts.title)
    return Figure(names.faithfulness_chart_file(backbone), key, backbone)


def _crops(backbone: str, layer: str, shown: int, units: tuple[ExamplesUnit, ...]) -> tuple[Figure, ...]:
    """Per shown unit of ``layer``, the strip of its examples' crops: redrawn when any group's examples change."""
    group_keys = [unit.key for unit in units]
    return tuple(Figure(names.crops_file(backbone, layer, index), keys.crops_key(group_keys, layer, index, CROP_SIDE),
                        names.filters_unit(backbone, layer))
                 for index in range(shown))


def _confusion_figure(backbone: str, facts: NetworkFacts, analyses: tuple[AnalysisUnit, ...]) -> Figure | None:
    """The breed-confusion chart, planned when some photos' breeds have a class among the network's."""
    scored = [unit for unit in analyses if scored_class(unit.image.breed, facts.class_names)]
    if not scored:
        return None
    key = keys.confusion_key([unit.key for unit in scored], [unit.image.breed for unit in scored], facts.title)
    return Figure(names.confusion_file(backbone), key, backbone)


def _architecture_figures(backbone: str, dot: str) -> tuple[Figure, Figure]:
    svg, png = keys.architecture_keys(dot)
    unit = names.architecture_unit(backbone)
    return (Figure(names.architecture_file(backbone, "svg"), svg, unit),
            Figure(names.architecture_file(backbone, "png"), png, unit))


def plan_photos(images: list[SourceImage]) -> list[PhotoPlan]:
    """Each photo once, with its thumbnail, for every page that shows it."""
    plans = []
    for image in images:
        photo = Figure(names.photo_file(image.id), keys.photo_key(image.sha256), names.photo_unit(image.id))
        thumbnail = Figure(names.thumbnail_file(photo.file), keys.thumbnail_key(photo.key), photo.unit)
        plans.append(PhotoPlan(image, photo, thumbnail))
    return plans
