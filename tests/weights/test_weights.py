"""Weight sources: seeded random weights, files, and an offline ImageNet download that fails clearly."""

import numpy as np
import pytest

from generator.backbones import load
from generator.errors import AtlasError
from generator.weights import build_with_weights


def test_offline_imagenet_failure_names_the_file_and_the_cache():
    url = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet/mobilenet_5_0_224_tf.h5"
    error = Exception(f"URL fetch failure on {url}: None -- [Errno -2] Name or service not known")

    def build(weights):
        assert weights == "imagenet"
        raise error

    with pytest.raises(AtlasError) as caught:
        build_with_weights(build, "imagenet", label="backbone mobilenet", seed=0)
    message = str(caught.value)
    assert "mobilenet_5_0_224_tf.h5" in message and ".keras/models/mobilenet_5_0_224_tf.h5" in message
    assert url in message and "--weights random" in message


def test_random_weights_are_seeded_and_marked_untrained():
    first = load("mobilenet", weights="random", alpha=0.25, seed=1)
    again = load("mobilenet", weights="random", alpha=0.25, seed=1)
    other = load("mobilenet", weights="random", alpha=0.25, seed=2)
    assert first.provenance.sha256 == again.provenance.sha256 != other.provenance.sha256
    assert not first.provenance.trained and "Untrained" in first.provenance.summary


def test_weights_file_loads_and_a_mismatched_one_names_the_file(tmp_path):
    source = load("mobilenet", weights="random", alpha=0.25, seed=5)
    path = tmp_path / "mine.weights.h5"
    source.model.save_weights(path)
    loaded = load("mobilenet", weights=str(path), alpha=0.25, seed=9)
    assert loaded.provenance.kind == "file" and loaded.provenance.sha256 == source.provenance.sha256
    with pytest.raises(AtlasError, match="mine.weights.h5 does not fit this architecture"):
        load("mobilenet", weights=str(path), alpha=0.5)


def test_backbone_api_preprocesses_and_decodes():
    backbone = load("mobilenet", weights="random", alpha=0.25)
    batch = backbone.preprocess(np.full((1, 224, 224, 3), 255, np.uint8))
    assert batch.dtype == np.float32 and batch.max() == pytest.approx(1.0)
    probabilities = np.zeros((1, 1000), np.float32)
    probabilities[0, [235, 285]] = [0.7, 0.2]
    top = backbone.decode(probabilities, top=2)[0]
    assert [(p.index, p.name) for p in top] == [(235, "German_shepherd"), (285, "Egyptian_cat")]


def test_layer_names_do_not_depend_on_what_was_built_before():
    import keras

    first = [layer.name for layer in load("mobilenet", weights="random", alpha=0.25).model.layers]
    keras.applications.VGG16(weights=None)  # e.g. a weight conversion, or a failed ImageNet attempt
    keras.Input((8, 8, 3))
    again = [layer.name for layer in load("mobilenet", weights="random", alpha=0.25).model.layers]
    assert first == again and first[0] == "input_layer"
