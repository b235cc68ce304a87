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
    """1x1 conv copying red and green into two channels -> GAP -> Dense: class 0 = red, class 1 = green.

    Each class counts the other colour against it (weight -5): a map that took absolute channel weights, or
    explained one class for the whole batch, lights up the wrong square.
    """
    import keras

    inputs = keras.Input((16, 16, 3))
    features = keras.layers.Conv2D(2, 1, use_bias=False, activation="relu", name="colour")(inputs)
    pooled = keras.layers.GlobalAveragePooling2D()(features)
    outputs = keras.layers.Dense(2, activation="softmax", name="predictions")(pooled)
    model = keras.Model(inputs, outputs)
    model.get_layer("colour").set_weights([np.array([[[[1, 0], [0, 1], [0, 0]]]], np.float32)])
    model.get_layer("predictions").set_weights([np.array([[10, -5], [-5, 10]], np.float32), np.zeros(2, np.float32)])
    return model


ALL_METHODS = ("gradcam", "gradcam++", "layercam", "hirescam")


def square(image: np.ndarray, rows: slice, columns: slice, channel: int, value: float) -> np.ndarray:
    image[rows, columns, channel] = value
    return image


@pytest.mark.parametrize("method", ALL_METHODS)
@pytest.mark.parametrize("corner", [(slice(0, 4), slice(0, 4)), (slice(12, 16), slice(12, 16)), (slice(0, 4), slice(12, 16))])
def test_evidence_in_one_corner_gives_a_heatmap_that_peaks_there_and_nowhere_else(corner, method):
    model = corner_model()
    image = square(np.zeros((16, 16, 3), np.float32), *corner, 0, 1.0)  # red square: evidence for class 0
    image = square(image, slice(6, 10), slice(6, 10), 1, 0.2)  # a fainter green square: evidence against it
    explanation = explain(model, image[None], ["colour"], methods=ALL_METHODS)
    assert explanation.class_indices[0] == 0
    heatmap = explanation.cams[method]["colour"][0]
    expected = np.zeros((16, 16), np.float32)
    expected[corner] = 1.0  # the green square counts against class 0: zero, not lit
    np.testing.assert_allclose(heatmap, expected, atol=1e-6)


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "eager"])
@pytest.mark.parametrize("method", ALL_METHODS)
def test_a_batch_whose_photos_have_different_top1_classes_explains_each_photos_own_class(method, compiled):
    model = corner_model()
    red_top_left = square(np.zeros((16, 16, 3), np.float32), slice(0, 4), slice(0, 4), 0, 1.0)
    green_bottom_right = square(np.zeros((16, 16, 3), np.float32), slice(12, 16), slice(12, 16), 1, 1.0)
    both = square(red_top_left.copy(), slice(12, 16), slice(12, 16), 1, 0.5)  # red wins; the green square is against it
    batch = np.stack([red_top_left, green_bottom_right, both])
    explanation = explain(model, batch, ["colour"], methods=ALL_METHODS, compiled=compiled)
    assert explanation.class_indices.tolist() == [0, 1, 0]
    maps = explanation.cams[method]["colour"]
    for index, (rows, columns) in enumerate([(slice(0, 4), slice(0, 4)), (slice(12, 16), slice(12, 16)), (slice(0, 4), slice(0, 4))]):
        expected = np.zeros((16, 16), np.float32)
        expected[rows, columns] = 1.0
        np.testing.assert_allclose(maps[index], expected, atol=1e-6, err_msg=f"photo {index}")


def linear_head_model(seed: int = 3):
    """Input 6x8x3 -> 1x1 conv 'features' (4 channels, ReLU) -> GAP -> Dense(3, softmax), weights of both signs.

    The explained score is S_c = sum_k W[k, c] * mean(A_k) + b_c, so dS_c/dA[i, j, k] = W[k, c] / (h * w) at
    every position: each method's map has a closed form in A and W (see ``expected_map``).
    """
    import keras

    rng = np.random.default_rng(seed)
    inputs = keras.Input((6, 8, 3))
    features = keras.layers.Conv2D(4, 1, activation="relu", name="features")(inputs)
    pooled = keras.layers.GlobalAveragePooling2D()(features)
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax", name="predictions")(pooled))
    model.get_layer("features").set_weights([rng.normal(size=(1, 1, 3, 4)).astype(np.float32), rng.normal(size=4).astype(np.float32) * 0.1])
    # Small enough that no class saturates (probabilities 0.35 to 0.99 here): the softmax's gradient then differs
    # from the score's in direction, not only in scale.
    dense = 0.15 * np.array([[2.0, -1.5, 0.5], [-1.0, 2.5, -2.0], [1.5, 0.5, -1.0], [-0.5, -1.0, 2.0]], np.float32)
    model.get_layer("predictions").set_weights([dense, np.array([0.1, -0.2, 0.3], np.float32)])
    return model


def expected_map(method: str, activations: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The method's map for one image from its activations A (h, w, C) and the class' dense weights W (C,)."""
    area = activations.shape[0] * activations.shape[1]
    gradient = weights / area  # the same at every position
    if method in ("gradcam", "hirescam"):  # the mean gradient is the gradient itself here
        raw = activations @ gradient
    elif method == "layercam":
        raw = activations @ np.maximum(gradient, 0.0)
    else:  # Grad-CAM++: alpha = g^2 / (2 g^2 + sum(A) g^3), summed over the h*w positions
        denominator = 2 * gradient**2 + activations.sum(axis=(0, 1)) * gradient**3
        alpha = np.where(denominator != 0, gradient**2 / np.where(denominator != 0, denominator, 1), 0.0)
        raw = activations @ (area * alpha * np.maximum(gradient, 0.0))
    raw = np.maximum(raw, 0.0)
    return raw / raw.max() if raw.max() > 0 else raw


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "eager"])
@pytest.mark.parametrize("method", ALL_METHODS)
def test_each_method_matches_its_closed_form_on_a_linear_head_with_weights_of_both_signs(method, compiled):
    """Explains the pre-softmax score: the gradient of the softmax probability would subtract the other classes'
    weights and change every map here; absolute weights would light up the evidence against the class."""
    import keras

    model = linear_head_model()
    rng = np.random.default_rng(4)
    images = (rng.uniform(-1, 1, (5, 6, 8, 3)) + rng.normal(size=(5, 1, 1, 3)) * 1.5).astype(np.float32)
    activations = keras.Model(model.inputs[0], model.get_layer("features").output)(images).numpy().astype(np.float64)
    dense, bias = (value.astype(np.float64) for value in model.get_layer("predictions").get_weights())
    logits = activations.mean(axis=(1, 2)) @ dense + bias
    probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    explanation = explain(model, images, ["features"], methods=ALL_METHODS, compiled=compiled)
    assert explanation.class_indices.tolist() == [1, 0, 2, 1, 1]  # the batch explains all three classes
    np.testing.assert_array_equal(explanation.class_indices, logits.argmax(axis=1))
    np.testing.assert_allclose(explanation.probabilities, probabilities.max(axis=1), rtol=1e-5)
    np.testing.assert_allclose(explanation.probabilities_all, probabilities, rtol=1e-5, atol=1e-7)
    for index, explained in enumerate(explanation.class_indices):
        expected = expected_map(method, activations[index], dense[:, explained])
        np.testing.assert_allclose(explanation.cams[method]["features"][index], expected, atol=2e-5, err_msg=f"image {index}")
    forced = explain(model, images, ["features"], class_index=1, methods=(method,), compiled=compiled).cams[method]["features"]
    for index in range(len(images)):
        np.testing.assert_allclose(forced[index], expected_map(method, activations[index], dense[:, 1]), atol=2e-5)


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


def test_an_unknown_method_is_named_with_every_method_there_is():
    with pytest.raises(ValueError, match=r"^unknown CAM method 'scorecam'; choose from gradcam, gradcam\+\+, layercam, hirescam$"):
        explain(corner_model(), np.zeros((1, 16, 16, 3), np.float32), ["colour"], methods=("gradcam", "scorecam"))


@pytest.mark.parametrize("class_index", [0, 1])
def test_every_class_index_of_the_model_can_be_explained(class_index):
    image = square(np.zeros((1, 16, 16, 3), np.float32)[0], slice(0, 4), slice(0, 4), 0, 1.0)[None]
    explanation = explain(corner_model(), image, ["colour"], class_index=class_index)
    assert explanation.class_indices.tolist() == [class_index]


@pytest.mark.parametrize("class_index", [-1, 2, 10])
def test_a_class_index_outside_the_model_is_refused_with_the_number_of_classes(class_index):
    with pytest.raises(ValueError, match=rf"^class_index {class_index} is outside the model's 2 classes$"):
        explain(corner_model(), np.zeros((1, 16, 16, 3), np.float32), ["colour"], class_index=class_index)


def test_class_index_is_checked_against_the_classes_when_several_layers_are_explained():
    from tests.conftest import make_tiny_classifier

    model = make_tiny_classifier(classes=10)
    with pytest.raises(ValueError, match="outside the model's 10 classes"):
        explain(model, np.zeros((1, 32, 32, 3), np.float32), ["conv_a", "conv_b"], class_index=10)
    assert explain(model, np.zeros((1, 32, 32, 3), np.float32), ["conv_a", "conv_b"], class_index=9).class_indices.tolist() == [9]


@pytest.mark.parametrize("bias,expected", [([0.0, 0.0, 0.0], 0), ([0.0, 1.0, 1.0], 1), ([1.0, 0.0, 1.0], 0), ([0.0, 0.0, 1.0], 2)])
def test_tied_top_classes_are_explained_as_the_lowest_index_the_predictions_list_first(bias, expected):
    """An untrained network's probabilities tie; ``decode`` ranks the lowest index first, and so must the heatmap."""
    model = linear_head_model()
    dense = model.get_layer("predictions")
    dense.set_weights([np.zeros_like(dense.get_weights()[0]), np.array(bias, np.float32)])
    explanation = explain(model, np.ones((2, 6, 8, 3), np.float32), ["features"])
    assert explanation.class_indices.tolist() == [expected, expected]


def test_a_mixed_precision_model_is_explained_in_float32():
    """A user's model saved under Keras' mixed_bfloat16 policy computes in bfloat16; the maps are combined and
    returned in float32, and they match the closed form to bfloat16's precision."""
    import keras

    from generator.compute.activations import layer_activations

    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        model = linear_head_model()
    finally:
        keras.mixed_precision.set_global_policy("float32")
    images = np.random.default_rng(4).uniform(-1, 1, (3, 6, 8, 3)).astype(np.float32)
    explanation = explain(model, images, ["features"], methods=ALL_METHODS)
    assert explanation.class_indices.dtype == np.int32
    assert {explanation.probabilities.dtype, explanation.probabilities_all.dtype, explanation.activations["features"].dtype} == {np.dtype("float32")}
    assert {maps["features"].dtype for maps in explanation.cams.values()} == {np.dtype("float32")}
    activations = layer_activations(model, images, ["features"])["features"]
    assert activations.dtype == np.float32
    dense = model.get_layer("predictions").get_weights()[0].astype(np.float64)
    for index, explained in enumerate(explanation.class_indices):
        expected = expected_map("gradcam", activations[index].astype(np.float64), dense[:, explained])
        np.testing.assert_allclose(explanation.heatmaps["features"][index], expected, atol=3e-2)


@pytest.mark.parametrize("mode,passes_in_python", [({}, 1), ({"compiled": True}, 1), ({"compiled": False}, 3)])
def test_the_compiled_pass_is_traced_once_and_reused_and_the_eager_pass_runs_every_time(monkeypatch, mode, passes_in_python):
    """Compiled (the default): the network's Python is run once, to trace; eager: once per batch, no tracing."""
    import generator.compute.heatmaps as heatmaps

    calls = []
    original = heatmaps.run_model
    monkeypatch.setattr(heatmaps, "run_model", lambda *args, **kwargs: calls.append(1) or original(*args, **kwargs))
    model, images = corner_model(), np.zeros((2, 16, 16, 3), np.float32)
    for _ in range(3):
        explain(model, images, ["colour"], **mode)
    assert len(calls) == passes_in_python


def test_a_mixed_precision_model_ending_in_a_softmax_layer_gives_float32_probabilities():
    import keras

    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        inputs = keras.Input((6, 8, 3))
        features = keras.layers.Conv2D(4, 1, activation="relu", name="features")(inputs)
        scores = keras.layers.Dense(3, name="scores")(keras.layers.GlobalAveragePooling2D()(features))
        model = keras.Model(inputs, keras.layers.Activation("softmax", name="probabilities")(scores))
    finally:
        keras.mixed_precision.set_global_policy("float32")
    explanation = explain(model, np.random.default_rng(0).uniform(-1, 1, (2, 6, 8, 3)).astype(np.float32), ["features"])
    assert explanation.probabilities.dtype == np.float32 and explanation.probabilities_all.dtype == np.float32
    np.testing.assert_allclose(explanation.probabilities_all.sum(axis=1), 1.0, atol=1e-2)
