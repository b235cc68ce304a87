"""An image's analysis does not depend on the images that share its batch (what makes shards exact)."""

import numpy as np
import pytest

from generator.backbones import Backbone
from generator.cache import Cache
from generator.computed import IMAGE_BATCH, Compute, analyse_images, analysis_key, analysis_mode
from generator.config import AtlasConfig
from generator.images import load_images
from generator.weights import Provenance


def _backbone(model) -> Backbone:
    provenance = Provenance(kind="random", summary="test", trained=False, source="seed 0", sha256="0" * 64)
    classes = model.outputs[0].shape[-1]
    return Backbone(
        name="tiny", title="tiny", model=model, input_shape=tuple(model.inputs[0].shape[1:]), provenance=provenance,
        class_names=tuple(f"class{i}" for i in range(classes)), preprocess_fn=lambda x: x / 127.5 - 1.0,
    )


@pytest.mark.parametrize("mode", ["compiled", "eager"])
def test_an_image_gives_the_same_bits_alone_or_in_a_batch(sample_photos, tmp_path, mode):
    """Measured: without the padding to a full batch, MobileNetV2's last layers differ in the last bits."""
    import keras

    keras.utils.set_random_seed(0)
    model = keras.applications.MobileNetV2(weights=None, input_shape=(64, 64, 3), alpha=1.0, classes=20)
    images = load_images([str(path) for path in sample_photos], None).images
    assert len(images) > 1 and len(images) <= IMAGE_BATCH
    config = AtlasConfig(backbones=[{"name": "vgg16"}], images=["x"], cache_dir=str(tmp_path), cam=["gradcam", "layercam"])
    backbone, layers = _backbone(model), ["Conv1", "block_6_expand", "Conv_1"]
    together = analyse_images(backbone, layers, images, Compute(config, Cache(tmp_path / "a"), analysis_mode=mode), lambda: None)
    for image in images:
        work = Compute(config, Cache(tmp_path / image.id), analysis_mode=mode)
        alone = analyse_images(backbone, layers, [image], work, lambda: None)[image.id]
        for name, array in together[image.id].items():
            np.testing.assert_array_equal(alone[name], array, err_msg=f"{image.id}: {name}")


def test_cached_images_are_not_recomputed_and_redo_recomputes(tiny_classifier, sample_photos, tmp_path):
    images = load_images([str(path) for path in sample_photos[:2]], None).images
    config = AtlasConfig(backbones=[{"name": "vgg16"}], images=["x"], cache_dir=str(tmp_path))
    cache = Cache(tmp_path)
    backbone, batches = _backbone(tiny_classifier), []
    analyse_images(backbone, ["conv_b"], images, Compute(config, cache), lambda: batches.append(1))
    analyse_images(backbone, ["conv_b"], images, Compute(config, cache), lambda: batches.append(2))
    assert batches == [1] and cache.arrays.hits == 2
    redo_first = Compute(config, cache, redo=lambda path: path == f"tiny/images/{images[0].id}")
    analyse_images(backbone, ["conv_b"], images, redo_first, lambda: batches.append(3))
    assert batches == [1, 3]


def test_a_batch_of_photos_with_different_top1_classes_explains_each_photos_own_class(tmp_path):
    """The build analyses photos four at a time: photo 1's maps must explain photo 1's class, not photo 0's."""
    from generator.images import SourceImage
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
    config = AtlasConfig(backbones=[{"name": "vgg16"}], images=["x"], cache_dir=str(tmp_path), cam=["gradcam", "layercam"])
    results = analyse_images(_backbone(model), ["colour"], images, Compute(config, Cache(tmp_path / "cache")), lambda: None)
    for image, expected_class in zip(images, [0, 1, 1], strict=True):
        arrays = results[image.id]
        assert int(arrays["class_index"]) == expected_class, image.id
        hot = image.pixels.max(axis=-1) > 0
        for method in ("gradcam", "layercam"):
            heatmap = arrays[f"cam/{method}/colour"]
            np.testing.assert_allclose(heatmap, hot.astype(np.float32), atol=1e-6, err_msg=f"{image.id} {method}")


def test_the_mode_comes_from_the_whole_atlas_and_is_part_of_the_key(tmp_path, tiny_classifier, sample_photos):
    """Eager while every photo fits one batch (no tracing to pay), compiled beyond; the two round differently,
    so their results are never mixed in the cache."""
    assert [analysis_mode(count) for count in (1, IMAGE_BATCH, IMAGE_BATCH + 1, 100)] == ["eager", "eager", "compiled", "compiled"]
    image = load_images([str(sample_photos[0])], None).images[0]
    config = AtlasConfig(backbones=[{"name": "vgg16"}], images=["x"], cache_dir=str(tmp_path))
    keys = {mode: analysis_key(_backbone(tiny_classifier), ["conv_b"], image, Compute(config, Cache(tmp_path), analysis_mode=mode))
            for mode in ("eager", "compiled")}
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
