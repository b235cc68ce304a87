"""Planning a backbone: every unit and figure gets its own key and file, and a key changes with what shapes its
value, and only then."""

import dataclasses

import numpy as np
import pytest

from generator.config import AtlasConfig, BackboneSpec, RecipeOverrides
from generator.errors import AtlasError
from generator.photos.image import SourceImage
from generator.plan.backbone import plan_backbone
from generator.plan.network import facts_of
from tests.pipeline.test_compute_units import _backbone


def _images(tmp_path) -> list[SourceImage]:
    return [SourceImage(id=name, path=tmp_path / f"{name}.png", sha256=name * 16, pixels=np.zeros((8, 8, 3), np.uint8))
            for name in ("abcd", "efgh")]


def _plan(backbone, images, spec: dict | None = None, mode: str = "compiled", **settings):
    options = dict(layers=["conv_a", "conv_b"], filters=4, steps=3, size=16, cam=["gradcam", "gradcam++"])
    config = AtlasConfig(backbones=[{"name": "vgg16"}], images=["x"], **{**options, **settings})
    spec_fields = {"name": "tiny", "alpha": None, "recipe": None, **(spec or {})}
    if spec_fields["recipe"] is not None:
        spec_fields["recipe"] = RecipeOverrides(**spec_fields["recipe"])
    return plan_backbone(BackboneSpec.model_construct(**spec_fields), facts_of(backbone, config), images, config, mode)


def _keys(plan) -> dict[str, str]:
    """Every key of the plan by what it belongs to."""
    keys = {unit.path: unit.key for unit in plan.units}
    for layer in plan.layers:
        keys[layer.mosaic.file] = layer.mosaic.key
        keys[layer.mosaic_thumbnail.file] = layer.mosaic_thumbnail.key
        keys.update({crops.file: crops.key for crops in layer.crops})
        for image in layer.images:
            keys[image.activations.file] = image.activations.key
            keys.update({heatmap.figure.file: heatmap.figure.key for heatmap in image.heatmaps})
    if plan.faithfulness_chart is not None:
        keys[plan.faithfulness_chart.file] = plan.faithfulness_chart.key
    return keys


def test_every_unit_and_figure_has_its_own_key_and_file(tiny_classifier, tmp_path):
    plan = _plan(_backbone(tiny_classifier), _images(tmp_path))
    assert [unit.path for unit in plan.units] == ["tiny/images/abcd", "tiny/images/efgh", "tiny/scores/abcd",
                                                  "tiny/scores/efgh", "tiny/examples/ab", "tiny/examples/ef", "tiny/conv_a",
                                                  "tiny/conv_b"]
    keys = _keys(plan)
    # units, mosaics and their thumbnails, per photo and layer a grid and two heatmaps, the chart, a strip per unit
    assert len(keys) == 8 + 2 * 2 + 2 * 2 * (1 + 2) + 1 + 2 * 4 and len(set(keys.values())) == len(keys)
    assert "tiny/layers/conv-b/gradcam-plus-plus-efgh.png" in keys and "tiny/heatmap-scores.svg" in keys
    assert "tiny/layers/conv-b/unit-3.webp" in keys and plan.layers[1].units_page == "tiny/layers/conv-b/units.md"
    assert [unit.cost > 0 for unit in plan.units] == [True] * 8
    assert [unit.numbers for unit in plan.units_of("examples")] == [(0,), (1,)] and plan.settings("examples").per_image == 4
    assert [unit.analysis for unit in plan.units_of("scores")] == ["tiny/images/abcd", "tiny/images/efgh"]
    # a scores unit pays 2 + 2 x (2 methods x 2 layers + chance maps) x (steps - 1) passes: far more than its analysis
    assert plan.units_of("scores")[0].cost > 10 * plan.units_of("analysis")[0].cost
    assert plan.layers[1].filters.indices == (0, 1, 2, 3) and plan.layers[1].channels == 6


def _changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    assert before.keys() == after.keys()
    return {name for name in before if before[name] != after[name]}


def test_a_key_changes_with_what_shapes_its_value_and_only_then(tiny_classifier, tmp_path):
    backbone, images = _backbone(tiny_classifier), _images(tmp_path)
    base = _keys(_plan(backbone, images))
    filters = {"tiny/conv_a", "tiny/conv_b", "tiny/layers/conv-a/filters.webp", "tiny/layers/conv-a/filters.thumb.webp",
               "tiny/layers/conv-b/filters.webp", "tiny/layers/conv-b/filters.thumb.webp"}
    examples = {"tiny/examples/ab", "tiny/examples/ef"}
    crops = {f"tiny/layers/{layer}/unit-{unit}.webp" for layer in ("conv-a", "conv-b") for unit in range(4)}
    per_image = set(base) - filters - examples - crops
    assert _changed(base, _keys(_plan(backbone, images, steps=4))) == filters
    assert _changed(base, _keys(_plan(backbone, images, spec={"recipe": {"jitter": 2}}))) == filters
    assert _changed(base, _keys(_plan(backbone, images, mode="eager"))) == per_image
    assert _changed(base, _keys(_plan(backbone, images, class_index=3))) == per_image
    assert _changed(base, _keys(_plan(backbone, images, heatmap_alpha=0.5))) == set()  # the pages' opacity, not a figure
    assert _changed(base, _keys(_plan(backbone, images, top_k=5))) == set()
    scores = {"tiny/scores/abcd", "tiny/scores/efgh", "tiny/heatmap-scores.svg"}
    assert _changed(base, _keys(_plan(backbone, images, faithfulness_steps=4))) == scores
    assert _changed(base, _keys(_plan(backbone, images, seed=1))) == filters | scores  # filter noise, random maps
    assert _changed(base, _keys(_plan(backbone, images, examples_per_unit=4))) == examples | crops
    unscored = _plan(backbone, images, faithfulness_steps=0)
    assert unscored.units_of("scores") == () and unscored.settings("scores") is None and unscored.faithfulness_chart is None
    reweighted = dataclasses.replace(backbone, provenance=dataclasses.replace(backbone.provenance, sha256="1" * 64))
    assert _changed(base, _keys(_plan(reweighted, images))) == set(base)
    other_photo = [images[0], dataclasses.replace(images[1], sha256="ef" + "f" * 62)]  # in the same group of photos
    assert _changed(base, _keys(_plan(backbone, other_photo))) == {name for name in per_image if "efgh" in name} | {
        "tiny/heatmap-scores.svg", "tiny/examples/ef"} | crops
    without = _plan(backbone, images, examples_per_unit=0)
    assert without.settings("examples") is None and without.units_of("examples") == () and without.layers[0].units_page is None


def test_layer_pages_show_the_first_photos_and_only_their_activations_are_kept(tiny_classifier, tmp_path):
    backbone, images = _backbone(tiny_classifier), _images(tmp_path)
    base, one = _plan(backbone, images), _plan(backbone, images, photos_per_layer_page=1)
    first, second = (one.layers[0].images[index] for index in (0, 1))
    assert (first.on_layer_page, second.on_layer_page) == (True, False)
    assert first.activations is not None and second.activations is None  # no grid is drawn for the second photo
    assert [unit.keeps_activations for unit in one.units_of("analysis")] == [True, False]
    assert one.units_of("analysis")[0].key == base.units_of("analysis")[0].key and one.units_of("analysis")[1].key != base.units_of("analysis")[1].key
    assert [len(image.heatmaps) for image in one.layers[1].images] == [2, 2]  # every photo keeps its heatmaps


def test_without_a_classifier_every_photo_keeps_its_activations_which_are_all_it_shows(tiny_classifier, tmp_path):
    backbone, images = _backbone(tiny_classifier), _images(tmp_path)
    config = AtlasConfig(backbones=[{"name": "vgg16"}], images=["x"], layers=["conv_a"], photos_per_layer_page=1)
    facts = dataclasses.replace(facts_of(backbone, config), class_names=None)
    plan = plan_backbone(BackboneSpec.model_construct(name="tiny", alpha=None, recipe=None), facts, images, config, "compiled")
    assert [image.activations is not None for image in plan.layers[0].images] == [True, True]
    assert [image.on_layer_page for image in plan.layers[0].images] == [True, False]
    assert all(image.heatmaps == () for image in plan.layers[0].images)


def test_the_recipe_is_resolved_once_per_layer_from_the_backbones_own_spec(tiny_classifier, tmp_path):
    plan = _plan(_backbone(tiny_classifier), _images(tmp_path), spec={"recipe": {"learning_rate": 0.2, "jitter": 2}},
                 learning_rate=0.01)
    recipes = [layer.filters.recipe for layer in plan.layers]
    assert [(recipe.learning_rate, recipe.robustness.jitter) for recipe in recipes] == [(0.2, 2), (0.2, 2)]
    assert plan.page_settings["learning_rate"] == 0.2
    assert [layer.period for layer in plan.layers] == [recipe.period for recipe in recipes]


def test_a_class_index_outside_the_classes_is_named(tiny_classifier, tmp_path):
    with pytest.raises(AtlasError, match=r"class_index: 10 is outside tiny's 10 classes"):
        _plan(_backbone(tiny_classifier), _images(tmp_path), class_index=10)


def test_only_grids_of_large_maps_get_a_thumbnail_for_the_layer_pages_rows(tiny_classifier, tmp_path, monkeypatch):
    import generator.plan.backbone as planning

    backbone, images = _backbone(tiny_classifier), _images(tmp_path)
    sides = {layer.map_side for layer in facts_of(backbone, AtlasConfig(backbones=[{"name": "vgg16"}], images=["x"],
                                                                        layers=["conv_a", "conv_b"])).layers}
    assert sides == {32}
    for threshold, expected in ((32, True), (33, False)):  # from that side on, and not below it
        monkeypatch.setattr(planning, "ACTIVATION_THUMBNAIL_FROM", threshold)
        plan = _plan(backbone, images)
        for image in (image for layer in plan.layers for image in layer.images):
            assert (image.activations_thumbnail is not None) == expected
            if expected:
                assert image.activations_thumbnail.file == image.activations.file.replace(".png", ".thumb.webp")
                assert image.activations_thumbnail.key not in (image.activations.key, _plan(backbone, images).layers[0].mosaic_thumbnail.key)


def test_a_layers_map_side_is_read_from_its_output_shape():
    from generator.plan.network import NetworkLayer

    def side(shape: str) -> int:
        return NetworkLayer("x", "Conv2D", shape, 8, None, 0).map_side

    assert (side("(?, 56, 56, 24)"), side("(?, 7, 9, 1280)"), side("(?, 1000)")) == (56, 9, 1)
