"""Plan one backbone from its loaded network: layers, recipes, units and figures, each resolved once.

This is the last stage that reads the Keras model for facts (shapes, receptive fields, the summary, the
graph); everything after it works from the plan and from arrays.
"""

from __future__ import annotations

from generator.backbones import Backbone
from generator.compute.cams import METHODS
from generator.compute.cost import analysis_cost, filters_cost
from generator.compute.filters import Recipe
from generator.compute.layers import channel_count, select_layers
from generator.compute.receptive_field import receptive_field
from generator.compute.recipes import recipe_for
from generator.compute.summary import architecture_dot, layer_summary
from generator.config import AtlasConfig, BackboneSpec
from generator.errors import AtlasError
from generator.images import SourceImage
from generator.plan import keys, names
from generator.plan.units import (
    AnalysisSettings, AnalysisUnit, BackbonePlan, Figure, FiltersUnit, HeatmapFigure, LayerImageFigures, LayerPlan,
    PhotoPlan,
)


def recipe_of(backbone: Backbone, spec: BackboneSpec, config: AtlasConfig, layer: str | None = None) -> Recipe:
    """Family defaults, the atlas' learning rate, the spec's ``recipe:`` overrides, and (per layer) its tiling."""
    overrides = spec.recipe.model_dump(exclude_none=True) if spec.recipe is not None else {}
    return recipe_for(
        backbone.family, size=config.size, steps=config.steps, min_canvas=backbone.min_size,
        model=backbone.model if layer is not None else None, layer_name=layer,
        learning_rate=config.learning_rate, overrides=overrides,
    )


def drawn_layers(backbone: Backbone, config: AtlasConfig) -> list[str]:
    """The layers ``config.layers`` chooses, after checking that ``class_index`` is one of the backbone's classes."""
    classes = backbone.class_names
    if config.class_index is not None and classes and config.class_index >= len(classes):
        raise AtlasError(f"class_index: {config.class_index} is outside {backbone.title}'s {len(classes)} classes")
    return select_layers(backbone.model, config.layers, label=f"backbone {backbone.name}")


def plan_backbone(
    spec: BackboneSpec, backbone: Backbone, images: list[SourceImage], config: AtlasConfig, mode: str
) -> BackbonePlan:
    """Every unit and figure of one backbone with its key; ``mode`` is ``units.analysis_mode`` of the whole atlas."""
    model, name, weights = backbone.model, backbone.name, backbone.provenance.sha256
    layer_names = drawn_layers(backbone, config)
    has_classifier = backbone.class_names is not None
    settings = AnalysisSettings(
        layers=tuple(layer_names), class_index=config.class_index, methods=tuple(config.cam), mode=mode,
    )
    analyses = tuple(
        AnalysisUnit(names.analysis_unit(name, image.id), keys.analysis_key(name, weights, image.sha256, settings),
                     analysis_cost(model), image)
        for image in images
    )
    canvas = max(config.size, backbone.min_size)
    layers = []
    for layer_name in layer_names:
        keras_layer = model.get_layer(layer_name)
        channels = channel_count(keras_layer)
        indices = tuple(range(min(config.filters, channels)))
        recipe = recipe_of(backbone, spec, config, layer_name)
        unit_path = names.filters_unit(name, layer_name)
        filters = FiltersUnit(
            unit_path, keys.filters_key(name, weights, layer_name, indices, recipe, config.seed),
            filters_cost(model, layer_name, len(indices), config.steps, canvas), layer_name, indices, recipe, config.seed,
        )
        mosaic = Figure(names.mosaic_file(name, layer_name), keys.mosaic_key(filters.key), unit_path)
        layers.append(LayerPlan(
            name=layer_name,
            slug=names.layer_slug(layer_name),
            page=names.layer_page(name, layer_name),
            kind=type(keras_layer).__name__,
            output_shape=str(tuple(keras_layer.output.shape)).replace("None", "?"),
            channels=channels,
            receptive_field=receptive_field(model, layer_name),
            period=recipe.period,
            filters=filters,
            mosaic=mosaic,
            mosaic_thumbnail=Figure(names.thumbnail_file(mosaic.file), keys.thumbnail_key(mosaic.key), unit_path),
            images=tuple(_layer_image_figures(name, layer_name, unit, settings, config, backbone, has_classifier)
                         for unit in analyses),
        ))
    dot = architecture_dot(model)
    page_recipe = recipe_of(backbone, spec, config)
    return BackbonePlan(
        name=name,
        title=backbone.title,
        application=spec.name,
        alpha=spec.alpha,
        provenance=backbone.provenance,
        input_shape=backbone.input_shape,
        class_names=backbone.class_names,
        top_k=config.top_k,
        heatmap_alpha=config.heatmap_alpha,
        summary=layer_summary(model),
        architecture_dot=dot or None,
        architecture=_architecture_figures(name, dot) if dot else None,
        analysis=settings,
        analyses=analyses,
        layers=tuple(layers),
        page_settings={
            "size": config.size, "steps": config.steps, "seed": config.seed, "filters": config.filters,
            "learning_rate": page_recipe.learning_rate, "redirect_fraction": page_recipe.redirect_fraction,
            "top_k": config.top_k, "precision": page_recipe.precision,
        },
    )


def _layer_image_figures(
    backbone: str, layer: str, unit: AnalysisUnit, settings: AnalysisSettings, config: AtlasConfig, model: Backbone,
    has_classifier: bool,
) -> LayerImageFigures:
    image_id = unit.image.id
    figure_unit = names.layer_image_unit(backbone, layer, image_id)
    activations = Figure(names.activations_file(backbone, layer, image_id),
                         keys.activations_key(unit.key, layer, settings.channels), figure_unit)
    side = model.input_shape[:2]
    heatmaps = tuple(
        HeatmapFigure(method, METHODS[method].title, Figure(
            names.heatmap_file(backbone, layer, method, image_id),
            keys.heatmap_key(unit.key, layer, method, config.heatmap_alpha, side), figure_unit,
        ))
        for method in settings.methods
    ) if has_classifier else ()
    return LayerImageFigures(image_id, unit.key, activations, heatmaps)


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
