"""Plan one backbone from its network's facts: layers, recipes, units and figures, each resolved once.

The facts (``network``) come from the loaded network or from the cache; either way no Keras model is read here,
so a rebuild whose units are all stored plans without TensorFlow.
"""

from __future__ import annotations

from dataclasses import asdict

from generator.breeds import scored_class
from generator.compute.cams import METHODS
from generator.compute.cost import analysis_cost, examples_cost, filters_cost, scores_cost
from generator.compute.examples import EXAMPLES_BATCH, PATCH_SIDE
from generator.compute.filters import Recipe
from generator.compute.recipes import recipe_for
from generator.config import AtlasConfig, BackboneSpec
from generator.images import SourceImage
from generator.plan import keys, names
from generator.plan.network import NetworkFacts, NetworkLayer
from generator.registry import APPLICATIONS
from generator.plan.units import (
    ACTIVATION_THUMBNAIL_FROM, ACTIVATION_THUMBNAIL_SIDE, CROP_SIDE, EXAMPLE_GROUP_DIGITS, IMAGE_BATCH, AnalysisSettings,
    AnalysisUnit, BackbonePlan, ExampleSettings, ExamplesUnit, Figure, FiltersUnit, HeatmapFigure, LayerImageFigures,
    LayerPlan, PhotoPlan, ScoreSettings, ScoresUnit, analysis_mode,
)


def recipe_of(facts: NetworkFacts, spec: BackboneSpec, config: AtlasConfig, layer: NetworkLayer | None = None) -> Recipe:
    """Family defaults, the atlas' learning rate, the spec's ``recipe:`` overrides, and (per layer) its tiling and
    when its images have converged (its share of the network's cost)."""
    overrides = spec.recipe.model_dump(exclude_none=True) if spec.recipe is not None else {}
    return recipe_for(facts.family, size=config.size, steps=config.steps, min_canvas=facts.min_size,
                      receptive_field=layer.receptive_field if layer else None, learning_rate=config.learning_rate,
                      overrides=overrides, cost_share=layer.macs / facts.macs if layer and facts.macs else None)


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
    """Every unit and figure of one backbone with its key; ``mode`` is ``units.analysis_mode`` of the whole atlas,
    ``example_images`` the set natural examples come from (default: ``images``)."""
    name, network = facts.name, network_identity_of(spec, facts)
    has_classifier = facts.class_names is not None
    settings = AnalysisSettings(
        layers=tuple(layer.name for layer in facts.layers), class_index=config.class_index, methods=tuple(config.cam),
        mode=mode,
    )
    # The atlas' first photos are on the layer pages with their activation grids; without a classifier there are
    # no heatmaps, and activations are all a photo's page can show.
    keeps = [index < config.photos_per_layer_page or not has_classifier for index in range(len(images))]
    analyses = tuple(
        AnalysisUnit(names.analysis_unit(name, image.id), keys.analysis_key(name, network, image.sha256, settings, keep),
                     analysis_cost(facts.macs), image, keep)
        for image, keep in zip(images, keeps, strict=True)
    )
    canvas = max(config.size, facts.min_size)
    example_images = images if example_images is None else example_images
    examples, example_units = _examples(name, network, facts, example_images, config)
    layers = []
    for layer in facts.layers:
        indices = tuple(range(min(config.filters, layer.channels)))
        recipe = recipe_of(facts, spec, config, layer)
        unit_path = names.filters_unit(name, layer.name)
        filters_key = keys.filters_key(name, network, layer.name, indices, recipe, config.seed)
        filters = FiltersUnit(
            unit_path, filters_key, filters_cost(layer.macs, facts.input_side, len(indices), config.steps, canvas),
            layer.name, indices, recipe, config.seed,
        )
        mosaic = Figure(names.mosaic_file(name, layer.name), keys.mosaic_key(filters.key), unit_path)
        layers.append(LayerPlan(
            name=layer.name,
            slug=names.layer_slug(layer.name),
            page=names.layer_page(name, layer.name),
            kind=layer.kind,
            output_shape=layer.output_shape,
            channels=layer.channels,
            receptive_field=layer.receptive_field,
            period=recipe.period,
            filters=filters,
            mosaic=mosaic,
            mosaic_thumbnail=Figure(names.thumbnail_file(mosaic.file), keys.thumbnail_key(mosaic.key), unit_path),
            images=tuple(_layer_image_figures(name, layer, unit, settings, has_classifier,
                                              index < config.photos_per_layer_page)
                         for index, unit in enumerate(analyses)),
            units_page=names.units_page(name, layer.name) if examples else None,
            crops=_crops(name, layer.name, len(indices), example_units) if examples else (),
        ))
    page_recipe = recipe_of(facts, spec, config)
    scoring, scores, chart = _scores(name, facts, analyses, settings, config) if has_classifier else (None, (), None)
    return BackbonePlan(
        examples=examples,
        example_units=example_units,
        example_images=tuple(example_images) if examples else (),
        scoring=scoring,
        scores=scores,
        faithfulness_chart=chart,
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


def _scores(
    backbone: str, facts: NetworkFacts, analyses: tuple[AnalysisUnit, ...], settings: AnalysisSettings,
    config: AtlasConfig,
) -> tuple[ScoreSettings | None, tuple[ScoresUnit, ...], Figure | None]:
    """A scores unit per image (its heatmaps' faithfulness and sanity), and the chart of them through the depth."""
    if config.faithfulness_steps == 0:
        return None, (), None
    scoring = ScoreSettings(config.faithfulness_steps, config.seed, tuple(layer.map_side for layer in facts.layers),
                            tuple(METHODS[method].title for method in settings.methods))
    maps = len(settings.methods) * len(settings.layers) + len(scoring.chance_sides)
    units = tuple(
        ScoresUnit(names.scores_unit(backbone, unit.image.id), keys.scores_key(unit.key, scoring),
                   scores_cost(facts.macs, maps, scoring.steps), unit.image, unit.path)
        for unit in analyses
    )
    key = keys.faithfulness_chart_key([unit.key for unit in units], list(settings.layers),
                                      list(scoring.method_titles), facts.title)
    return scoring, units, Figure(names.faithfulness_chart_file(backbone), key, backbone)


def _examples(
    backbone: str, network: str, facts: NetworkFacts, images: list[SourceImage], config: AtlasConfig,
) -> tuple[ExampleSettings | None, tuple[ExamplesUnit, ...]]:
    """A unit per group of example photos (``EXAMPLE_GROUP_DIGITS``), each photo keeping its place in the set."""
    if config.examples_per_unit == 0 or not images:
        return None, ()
    k = config.examples_per_unit
    small = analysis_mode(len(images)) == "eager"  # the analysis' rule: one eager batch of four, else compiled batches of 32
    settings = ExampleSettings(
        layers=tuple(layer.name for layer in facts.layers), k=k, per_image=min(k, -(-k // len(images))),
        channels=config.filters, fields=tuple(layer.receptive_field for layer in facts.layers),
        map_shapes=tuple(layer.map_shape for layer in facts.layers), patch=PATCH_SIDE,
        batch=IMAGE_BATCH if small else EXAMPLES_BATCH, compiled=not small,
    )
    groups: dict[str, list[int]] = {}
    for number, image in enumerate(images):
        groups.setdefault(image.sha256[:EXAMPLE_GROUP_DIGITS], []).append(number)
    units = tuple(
        ExamplesUnit(names.examples_unit(backbone, group),
                     keys.examples_key(backbone, network, [images[number].sha256 for number in numbers], settings),
                     examples_cost(facts.macs, len(numbers)), tuple(images[number] for number in numbers), tuple(numbers))
        for group, numbers in sorted(groups.items())
    )
    return settings, units


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
