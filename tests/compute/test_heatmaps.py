"""Grad-CAM explains the predicted class, from one pass for all layers, and points where the evidence is."""

import numpy as np
import pytest

from generator.compute.heatmaps import explain, gradcam
from generator.compute.predictions import predict


def test_explains_the_top1_class_not_the_layer_channel_count():

    from tests.conftest import make_tiny_classifier

    model = make_tiny_classifier(classes=10, seed=4)
    dense = model.get_layer("predictions")
    kernel, bias = dense.get_weights()
    bias[:] = 0.0
    bias[2] = 3.0  # class 2 is the prediction; conv_b has 6 channels
    dense.set_weights([kernel, bias])
    images = np.random.default_rng(0).uniform(-1, 1, (3, 32, 32, 3)).astype(np.float32)

    predicted = predict(model, images).argmax(axis=1)
    explanation = explain(model, images, ["conv_a", "conv_b"])
    assert list(predicted) == [2, 2, 2]
    assert list(explanation.class_indices) == [2, 2, 2]
    for layer in ("conv_a", "conv_b"):
        maps = explanation.heatmaps[layer]
        assert maps.dtype == np.float32 and maps.shape == (3, 32, 32)
        assert maps.min() >= 0.0 and maps.max() <= 1.0
        np.testing.assert_allclose(maps, gradcam(model, images, [layer], class_index=2)[layer], atol=1e-6)
        assert not np.allclose(maps, gradcam(model, images, [layer], class_index=6)[layer], atol=1e-3)


def corner_model():
    """1x1 conv copying red and green into two channels -> GAP -> Dense: class 0 = red, class 1 = green."""
    import keras

    inputs = keras.Input((16, 16, 3))
    features = keras.layers.Conv2D(2, 1, use_bias=False, activation="relu", name="colour")(inputs)
    pooled = keras.layers.GlobalAveragePooling2D()(features)
    outputs = keras.layers.Dense(2, activation="softmax", name="predictions")(pooled)
    model = keras.Model(inputs, outputs)
    model.get_layer("colour").set_weights([np.array([[[[1, 0], [0, 1], [0, 0]]]], np.float32)])
    model.get_layer("predictions").set_weights([np.eye(2, dtype=np.float32) * 10, np.zeros(2, np.float32)])
    return model


@pytest.mark.parametrize("method", ["gradcam", "gradcam++", "layercam", "hirescam"])
@pytest.mark.parametrize("corner", [(slice(0, 4), slice(0, 4)), (slice(12, 16), slice(12, 16)), (slice(0, 4), slice(12, 16))])
def test_evidence_in_one_corner_gives_a_heatmap_that_peaks_there(corner, method):
    model = corner_model()
    image = np.zeros((1, 16, 16, 3), np.float32)
    image[0, corner[0], corner[1], 0] = 1.0  # red square: evidence for class 0
    image[0, 6:10, 6:10, 1] = 0.2  # a fainter green square in the middle: evidence for the other class
    explanation = explain(model, image, ["colour"], methods=("gradcam", "gradcam++", "layercam", "hirescam"))
    assert explanation.class_indices[0] == 0
    heatmap = explanation.cams[method]["colour"][0]
    peak = np.unravel_index(np.argmax(heatmap), heatmap.shape)
    assert corner[0].start <= peak[0] < corner[0].stop and corner[1].start <= peak[1] < corner[1].stop
    inside = heatmap[corner].mean()
    assert inside == pytest.approx(1.0) and heatmap.sum() == pytest.approx(inside * 16)


def test_all_layers_come_from_one_gradient_call(monkeypatch):
    """One GradientTape.gradient call for all layers: the seed code made one pass per layer."""
    import tensorflow as tf

    from tests.conftest import make_tiny_classifier

    calls = []
    original = tf.GradientTape.gradient

    def counting(self, *args, **kwargs):
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(tf.GradientTape, "gradient", counting)
    explain(make_tiny_classifier(), np.zeros((2, 32, 32, 3), np.float32), ["conv_a", "conv_b"])
    assert len(calls) == 1


def test_unknown_method_is_named():
    with pytest.raises(ValueError, match="unknown CAM method 'scorecam'"):
        explain(corner_model(), np.zeros((1, 16, 16, 3), np.float32), ["colour"], methods=("scorecam",))


def test_methods_differ_where_gradients_vary_within_a_channel(tiny_classifier):
    images = np.random.default_rng(1).uniform(-1, 1, (1, 32, 32, 3)).astype(np.float32)
    cams = explain(tiny_classifier, images, ["conv_a"], methods=("gradcam", "layercam", "hirescam")).cams
    assert not np.allclose(cams["gradcam"]["conv_a"], cams["layercam"]["conv_a"], atol=1e-3)
    assert not np.allclose(cams["gradcam"]["conv_a"], cams["hirescam"]["conv_a"], atol=1e-3)
