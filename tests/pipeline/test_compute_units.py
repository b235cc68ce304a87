"""The compute stage: an image's analysis does not depend on the images that share its batch (what makes shards
exact), cached units are read, not recomputed, and a batch explains each photo's own class."""

import numpy as np
import pytest

from generator.backbones import Backbone
from generator.cache import Cache
from generator.config import AtlasConfig, BackboneSpec
from generator.photos.folders import load_images
from generator.pipeline.compute_units import compute_backbone
from generator.plan import IMAGE_BATCH, analysis_mode
from generator.plan.backbone import plan_backbone
from generator.plan.network import facts_of
from tests.conftest import make_units
from generator.weights import Provenance


def _backbone(model) -> Backbone:
    provenance = Provenance(kind="random", summary="test", trained=False, source="seed 0", sha256="0" * 64)
    classes = model.outputs[0].shape[-1]
    return Backbone(
        name="tiny", title="tiny", model=model, input_shape=tuple(model.inputs[0].shape[1:]), provenance=provenance,
        class_names=tuple(f"class{i}" for i in range(classes)), preprocess_fn=lambda x: x / 127.5 - 1.0,
    )


def _plan(backbone: Backbone, layers: list[str], images, mode: str = "compiled", **settings):
    config = AtlasConfig(backbones=[{"name": "vgg16"}], images=["x"], layers=layers, **{"filters": 2, "steps": 2, "size": 16, **settings})
    return plan_backbone(BackboneSpec.model_construct(name="tiny", alpha=None, recipe=None), facts_of(backbone, config), images,
                         config, mode)


def _never(path: str) -> bool:
    return False


@pytest.mark.parametrize("mode", ["compiled", "eager"])
def test_an_image_gives_the_same_bits_alone_or_in_a_batch(sample_photos, tmp_path, mode):
    """Measured: without the padding to a full batch, MobileNetV2's last layers differ in the last bits."""
    import keras

    keras.utils.set_random_seed(0)
    model = keras.applications.MobileNetV2(weights=None, input_shape=(64, 64, 3), alpha=1.0, classes=20)
    images = load_images([str(path) for path in sample_photos], None).images
    assert len(images) > 1 and len(images) <= IMAGE_BATCH
    backbone = _backbone(model)
    plan = _plan(backbone, ["Conv1", "block_6_expand", "Conv_1"], images, mode, cam=["gradcam", "layercam"])
    together = make_units("analysis", plan, backbone, list(plan.units_of("analysis")), Cache(tmp_path / "a"), _never)
    for unit in plan.units_of("analysis"):
        alone = make_units("analysis", plan, backbone, [unit], Cache(tmp_path / unit.image.id), _never)[unit.image.id]
        for name, array in together[unit.image.id].to_arrays().items():
            np.testing.assert_array_equal(alone.to_arrays()[name], array, err_msg=f"{unit.image.id}: {name}")


def test_cached_images_are_not_recomputed_and_redo_recomputes(tiny_classifier, sample_photos, tmp_path):
    images = load_images([str(path) for path in sample_photos[:2]], None).images
    cache = Cache(tmp_path)
    backbone, batches = _backbone(tiny_classifier), []
    plan = _plan(backbone, ["conv_b"], images)
    units = list(plan.units_of("analysis"))
    make_units("analysis", plan, backbone, units, cache, _never, advance=lambda step: batches.append(1))
    make_units("analysis", plan, backbone, units, cache, _never, advance=lambda step: batches.append(2))
    assert batches == [1] and cache.arrays.hits == 2 and cache.computed == 2
    make_units("analysis", plan, backbone, units, cache, lambda path: path == f"tiny/images/{images[0].id}", advance=lambda step: batches.append(3))
    assert batches == [1, 3] and cache.computed == 3


def test_filter_images_are_computed_only_for_mosaics_still_to_draw(tiny_classifier, sample_photos, tmp_path):
    """A rebuild whose mosaics are all in the figure tier reads no filter images and computes none."""
    images = load_images([str(sample_photos[0])], None).images
    cache, backbone = Cache(tmp_path), _backbone(tiny_classifier)
    plan = _plan(backbone, ["conv_a", "conv_b"], images, examples_per_unit=0)  # examples read the filters (their peaks)
    first = compute_backbone(plan, lambda: backbone, cache, redo=_never)
    made = {layer: filters.images for layer, filters in first["filters"].items()}
    assert sorted(made) == ["conv_a", "conv_b"] and made["conv_b"].shape == (2, 16, 16, 3)
    cache.figures.put(plan.layers[1].mosaic.key, b"drawn")
    again = compute_backbone(plan, lambda: backbone, Cache(tmp_path), redo=_never)
    assert [layer for layer, filters in again["filters"].items() if filters.images is not None] == ["conv_a"]
    assert again["filters"]["conv_b"].run == first["filters"]["conv_b"].run  # how it was made, for its page
    np.testing.assert_array_equal(again["filters"]["conv_a"].images, made["conv_a"])
    redrawn = compute_backbone(plan, lambda: backbone, Cache(tmp_path), redo=lambda path: path == "tiny/conv_b")
    assert all(filters.images is not None for filters in redrawn["filters"].values())
    in_a_shard = Cache(tmp_path)
    compute_backbone(plan, lambda: backbone, in_a_shard, redo=_never, drawing=False, mine=lambda path: path == "tiny/conv_b")
    assert in_a_shard.arrays.hits == 1 and in_a_shard.computed == 0  # one entry: the images, with how they were made


def test_a_batch_of_photos_with_different_top1_classes_explains_each_photos_own_class(tmp_path):
    """The build analyses photos four at a time: photo 1's maps must explain photo 1's class, not photo 0's."""
    from generator.photos.image import SourceImage
    from tests.compute.test_heatmaps import corner_model

    model = corner_model()

    def photo(name: str, channel: int, rows: slice, columns: slice) -> SourceImage:
        pixels = np.zeros((16, 16, 3), np.uint8)
        pixels[rows, columns, channel] = 255
        return SourceImage(id=name, path=tmp_path / f"{name}.png", sha256=name * 8, pixels=pixels)

    images = [
        photo("red-top-left", 0, slice(0, 4), slice(0, 4)),
        photo("green-bottom-right", 1, slice(12, 16), slice(12, 16)),
        photo("green-top-right", 1, slice(0, 4), slice(12, 16)),
    ]
    backbone = _backbone(model)
    plan = _plan(backbone, ["colour"], images, cam=["gradcam", "layercam"])
    results = make_units("analysis", plan, backbone, list(plan.units_of("analysis")), Cache(tmp_path / "cache"), _never)
    for image, expected_class in zip(images, [0, 1, 1], strict=True):
        analysis = results[image.id]
        assert analysis.class_index == expected_class, image.id
        hot = image.pixels.max(axis=-1) > 0
        for method in ("gradcam", "layercam"):
            heatmap = analysis.cam(method, "colour")
            np.testing.assert_allclose(heatmap, hot.astype(np.float32), atol=1e-6, err_msg=f"{image.id} {method}")


def test_the_mode_comes_from_the_whole_atlas_and_is_part_of_the_key(tmp_path, tiny_classifier, sample_photos):
    """Eager while every photo fits one batch (no tracing to pay), compiled beyond; the two round differently,
    so their results are never mixed in the cache."""
    assert [analysis_mode(count) for count in (1, IMAGE_BATCH, IMAGE_BATCH + 1, 100)] == ["eager", "eager", "compiled", "compiled"]
    images = load_images([str(sample_photos[0])], None).images
    keys = {mode: _plan(_backbone(tiny_classifier), ["conv_b"], images, mode).units_of("analysis")[0].key for mode in ("eager", "compiled")}
    assert keys["eager"] != keys["compiled"]


def test_eager_and_compiled_passes_give_the_same_maps_to_rounding(tiny_classifier):
    from generator.compute.heatmaps import explain

    images = np.random.default_rng(3).uniform(-1, 1, (4, 32, 32, 3)).astype(np.float32)
    methods = ("gradcam", "gradcam++", "layercam", "hirescam")
    eager = explain(tiny_classifier, images, ["conv_a", "conv_b"], methods=methods, compiled=False)
    compiled = explain(tiny_classifier, images, ["conv_a", "conv_b"], methods=methods, compiled=True)
    assert eager.class_indices.tolist() == compiled.class_indices.tolist()
    for method in methods:
        for layer in ("conv_a", "conv_b"):
            np.testing.assert_allclose(eager.cams[method][layer], compiled.cams[method][layer], atol=1e-5, err_msg=f"{method} {layer}")


def test_the_scores_unit_scores_each_photos_own_maps_for_its_own_class_the_same_alone_or_in_a_batch(tmp_path):
    """On the corner network (class = the colour of a square), each photo's stored curves are the engine's curves
    of that photo's own maps; a photo scored alone gets the same bits (its re-drawn maps come from a padded batch);
    and the real maps beat the chance level, which a map of another photo would not."""
    from generator.compute.faithfulness import photo_curves
    from generator.photos.image import SourceImage
    from tests.compute.test_heatmaps import corner_model

    backbone = _backbone(corner_model())

    def photo(name: str, channel: int, rows: slice, columns: slice) -> SourceImage:
        pixels = np.full((16, 16, 3), 40, np.uint8)
        pixels[rows, columns, channel] = 255
        return SourceImage(id=name, path=tmp_path / f"{name}.png", sha256=name.encode().hex().ljust(64, "0")[:64],
                           pixels=pixels)

    images = [photo("red-top-left", 0, slice(0, 6), slice(0, 6)), photo("green-bottom-right", 1, slice(10, 16), slice(10, 16))]
    plan = _plan(backbone, ["colour"], images, cam=["gradcam", "layercam"], faithfulness_steps=4)
    cache = Cache(tmp_path / "cache")
    analyses = make_units("analysis", plan, backbone, list(plan.units_of("analysis")), cache, _never)
    together = make_units("scores", plan, backbone, list(plan.units_of("scores")), cache, made={"analysis": analyses})
    for unit, image in zip(plan.units_of("scores"), images, strict=True):
        analysis, scores = analyses[image.id], together[image.id]
        assert scores.deletion.shape == (2, 1, 5) and scores.chance_deletion.shape == (1, 5)
        pixels = backbone.preprocess(image.resized(backbone.input_shape[:2])[None])[0]
        direct = photo_curves(backbone.model, pixels, [analysis.cam("layercam", "colour")], analysis.class_index,
                              steps=4, seed=plan.settings("scores").seed)
        np.testing.assert_allclose(scores.deletion[1, 0], direct.deletion[0], atol=1e-6)
        np.testing.assert_allclose(scores.insertion[1, 0], direct.insertion[0], atol=1e-6)
        alone = make_units("scores", plan, backbone, [unit], Cache(tmp_path / image.id), made={"analysis": analyses})[image.id]
        for name, array in scores.to_arrays().items():
            np.testing.assert_array_equal(alone.to_arrays()[name], array, err_msg=f"{image.id}: {name}")
        # the square's map deletes the evidence first: below the random map's deletion, above its insertion
        assert scores.deletion[0, 0].mean() < scores.chance_deletion[0].mean()
        assert scores.insertion[0, 0].mean() > scores.chance_insertion[0].mean()


def test_every_stored_score_of_several_layers_and_methods_is_the_engines_own_for_that_map(sample_photos, tmp_path):
    """Two layers of different sides and three methods at once: each stored curve is the engine's curve of that
    layer's and method's map, each chance level that of its own side, and each sanity correlation compares the
    map with the re-drawn network's map for the trained network's class, even where the re-drawn network's own
    top-1 is another class."""
    from generator.compute.faithfulness import photo_curves, random_map
    from generator.compute.heatmaps import explain
    from generator.compute.sanity import rank_correlation, randomized

    import keras

    keras.utils.set_random_seed(5)
    inputs = keras.Input((32, 32, 3))
    a = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="conv_a")(inputs)  # 32 x 32 maps
    b = keras.layers.Conv2D(6, 3, strides=2, padding="same", activation="relu", name="conv_b")(a)  # 16 x 16 maps
    outputs = keras.layers.Dense(10, activation="softmax")(keras.layers.GlobalAveragePooling2D()(b))
    backbone = _backbone(keras.Model(inputs, outputs, name="tiny"))
    images = load_images([str(path) for path in sample_photos[:3]], None).images
    methods = ["gradcam", "layercam", "hirescam"]
    plan = _plan(backbone, ["conv_a", "conv_b"], images, cam=methods, faithfulness_steps=3)
    layers = list(plan.settings("analysis").layers)
    cache = Cache(tmp_path)
    analyses = make_units("analysis", plan, backbone, list(plan.units_of("analysis")), cache, _never)
    scores = make_units("scores", plan, backbone, list(plan.units_of("scores")), cache, made={"analysis": analyses})
    pixels = backbone.preprocess(np.stack([image.resized(backbone.input_shape[:2]) for image in images]
                                          + [np.zeros((32, 32, 3), np.uint8)] * (IMAGE_BATCH - len(images))))
    trained = np.array([analyses[image.id].class_index for image in images] + [0] * (IMAGE_BATCH - len(images)), np.int32)
    redrawn = randomized(backbone.model, plan.settings("scores").seed)
    assert (np.argmax(redrawn.predict(pixels, verbose=0), axis=1)[: len(images)] != trained[: len(images)]).any()
    redrawn_maps = explain(redrawn, pixels, layers, methods=tuple(methods), compiled=False, class_indices=trained).cams
    sides = sorted(set(plan.settings("scores").layer_sides))
    assert len(sides) == 2
    for row, image in enumerate(images):
        analysis, stored = analyses[image.id], scores[image.id]
        photo_seed = int(image.sha256[:8], 16)
        for m, method in enumerate(methods):
            for l, layer in enumerate(layers):
                direct = photo_curves(backbone.model, pixels[row], [analysis.cam(method, layer)], analysis.class_index,
                                      steps=3, seed=plan.settings("scores").seed)
                np.testing.assert_allclose(stored.deletion[m, l], direct.deletion[0], atol=1e-6, err_msg=f"{method} {layer}")
                np.testing.assert_allclose(stored.insertion[m, l], direct.insertion[0], atol=1e-6, err_msg=f"{method} {layer}")
                assert stored.sanity[m, l] == pytest.approx(
                    rank_correlation(analysis.cam(method, layer), redrawn_maps[method][layer][row]), abs=1e-6)
        for s, side in enumerate(sides):
            chance = photo_curves(backbone.model, pixels[row], [random_map(side, seed=photo_seed ^ plan.settings("scores").seed ^ side)],
                                  analysis.class_index, steps=3, seed=plan.settings("scores").seed)
            np.testing.assert_allclose(stored.chance_deletion[s], chance.deletion[0], atol=1e-6)
            np.testing.assert_allclose(stored.chance_insertion[s], chance.insertion[0], atol=1e-6)
