"""An image's analysis does not depend on the images that share its batch (what makes shards exact)."""

import numpy as np

from generator.backbones import Backbone
from generator.cache import Cache
from generator.computed import IMAGE_BATCH, Compute, analyse_images
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


def test_an_image_gives_the_same_bits_alone_or_in_a_batch(sample_photos, tmp_path):
    """Measured: without the padding to a full batch, MobileNetV2's last layers differ in the last bits."""
    import keras

    keras.utils.set_random_seed(0)
    model = keras.applications.MobileNetV2(weights=None, input_shape=(64, 64, 3), alpha=1.0, classes=20)
    images = load_images([str(path) for path in sample_photos], None).images
    assert len(images) > 1 and len(images) <= IMAGE_BATCH
    config = AtlasConfig(backbones=[{"name": "vgg16"}], images=["x"], cache_dir=str(tmp_path), cam=["gradcam", "layercam"])
    backbone, layers = _backbone(model), ["Conv1", "block_6_expand", "Conv_1"]
    together = analyse_images(backbone, layers, images, Compute(config, Cache(tmp_path / "a")), lambda: None)
    for image in images:
        alone = analyse_images(backbone, layers, [image], Compute(config, Cache(tmp_path / image.id)), lambda: None)[image.id]
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
