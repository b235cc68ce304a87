"""Users' own model files: nested backbones, dotted names, code in the file, the wrong kind of model."""

import numpy as np
import pytest

from generator.backbones import load_spec
from generator.compute.activations import layer_activations
from generator.compute.filters import filter_response, visualize_filters
from generator.compute.heatmaps import explain
from generator.compute.layers import select_layers
from generator.config import BackboneSpec
from generator.errors import AtlasError


def transfer_model():
    """The usual fine-tuning shape: an application nested as one layer, then pooling and a new head."""
    import keras

    keras.utils.set_random_seed(1)
    base = keras.applications.MobileNetV2(alpha=0.35, include_top=False, weights=None, input_shape=(64, 64, 3))
    inputs = keras.Input((64, 64, 3))
    x = keras.layers.GlobalAveragePooling2D()(base(inputs, training=False))
    return keras.Model(inputs, keras.layers.Dense(3, activation="softmax", name="pets")(x))


def save(model, path):
    model.save(path)
    return path


def test_a_nested_backbone_is_flattened_so_inner_layers_are_drawn(tmp_path):
    original = transfer_model()
    head = original.get_layer("pets")
    kernel, bias = head.get_weights()
    head.set_weights([kernel * 1e10, bias])  # the untrained base outputs about 1e-10: without this all classes tie
    backbone = load_spec(BackboneSpec(name="pets_net", path=save(original, tmp_path / "pets.keras"), preprocess="tf"), "auto")
    layers = select_layers(backbone.model, 3)
    assert layers[0] == "Conv1" and "block_16_project" in select_layers(backbone.model, "all")
    images = np.random.default_rng(0).uniform(-1, 1, (2, 64, 64, 3)).astype(np.float32)
    np.testing.assert_allclose(backbone.model.predict(images, verbose=0), original.predict(images, verbose=0), atol=1e-6)
    explanation = explain(backbone.model, images, layers + ["out_relu"])
    assert all(explanation.heatmaps[name].shape[0] == 2 for name in layers)
    # out_relu feeds pooling and the new head, so its Grad-CAM has a closed form in the nested base's output.
    base_output = original.layers[1].predict(images, verbose=0)
    assert_gradcam_of_a_pooled_dense_head(explanation, "out_relu", base_output, original.get_layer("pets").get_weights()[0])
    filters = [0, 1]
    start = visualize_filters(backbone.model, "block_6_expand", filters, size=32, steps=0)
    final = visualize_filters(backbone.model, "block_6_expand", filters, size=32, steps=8)
    assert final.shape == (2, 32, 32, 3)
    assert np.all(filter_response(backbone.model, "block_6_expand", filters, final) > filter_response(backbone.model, "block_6_expand", filters, start))


def assert_gradcam_of_a_pooled_dense_head(explanation, layer: str, activations: np.ndarray, dense_kernel: np.ndarray) -> None:
    """Grad-CAM of the layer before global average pooling and a dense head is relu(A @ W[:, c]), scaled to peak 1."""
    for index, explained in enumerate(explanation.class_indices):
        raw = np.maximum(activations[index].astype(np.float64) @ dense_kernel[:, explained], 0.0)
        assert raw.max() > 0, f"image {index}: no evidence for its class at {layer}"
        np.testing.assert_allclose(explanation.heatmaps[layer][index], raw / raw.max(), atol=1e-4, err_msg=f"{layer}, image {index}")


def test_layer_names_with_dots_work_everywhere(tmp_path):
    import keras

    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Conv2D(4, 3, activation="relu", name="stage.1.conv")(inputs)
    x = keras.layers.Conv2D(5, 3, activation="relu", name="stage.2.conv")(x)
    outputs = keras.layers.Dense(2, activation="softmax")(keras.layers.GlobalAveragePooling2D()(x))
    backbone = load_spec(BackboneSpec(name="dotted", path=save(keras.Model(inputs, outputs), tmp_path / "d.keras")), "auto")
    names = select_layers(backbone.model, "all")
    assert names == ["stage.1.conv", "stage.2.conv"]
    images = np.random.default_rng(2).uniform(-1, 1, (3, 32, 32, 3)).astype(np.float32)
    activations = layer_activations(backbone.model, images, names)
    for name in names:
        direct = keras.Model(backbone.model.inputs, backbone.model.get_layer(name).output).predict(images, verbose=0)
        np.testing.assert_allclose(activations[name], direct, atol=1e-6, err_msg=name)
    explanation = explain(backbone.model, images, names)
    assert set(explanation.heatmaps) == set(names)
    dense_kernel = next(layer for layer in backbone.model.layers if isinstance(layer, keras.layers.Dense)).get_weights()[0]
    assert_gradcam_of_a_pooled_dense_head(explanation, "stage.2.conv", activations["stage.2.conv"], dense_kernel)
    start = visualize_filters(backbone.model, "stage.2.conv", [0, 1], size=32, steps=0)
    final = visualize_filters(backbone.model, "stage.2.conv", [0, 1], size=32, steps=8)
    assert np.all(filter_response(backbone.model, "stage.2.conv", [0, 1], final) > filter_response(backbone.model, "stage.2.conv", [0, 1], start))


def lambda_model():
    import keras

    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Lambda(lambda t: t * 2.0)(inputs)
    return keras.Model(inputs, keras.layers.Dense(2)(keras.layers.GlobalAveragePooling2D()(x)))


def test_a_lambda_layer_is_refused_with_the_reason_and_the_setting_that_accepts_it(tmp_path):
    path = save(lambda_model(), tmp_path / "lambda.keras")
    with pytest.raises(AtlasError, match=r"lambda.keras contains a Lambda layer.*safe mode refuses it.*trust_code: true"):
        load_spec(BackboneSpec(name="risky", path=path), "auto")
    assert load_spec(BackboneSpec(name="risky", path=path, trust_code=True), "auto").model is not None


def test_several_outputs_or_a_non_image_input_are_named(tmp_path):
    import keras

    inputs = keras.Input((16, 16, 3))
    x = keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(2, 3)(inputs))
    two_heads = keras.Model(inputs, [keras.layers.Dense(2)(x), keras.layers.Dense(3)(x)])
    with pytest.raises(AtlasError, match="has 1 inputs and 2 outputs; the atlas needs one image input and one output"):
        load_spec(BackboneSpec(name="two", path=save(two_heads, tmp_path / "two.keras")), "auto")
    vector_in = keras.Input((10,))
    tabular = keras.Model(vector_in, keras.layers.Dense(2)(vector_in))
    with pytest.raises(AtlasError, match=r"takes input shaped \(10,\); the atlas needs \(height, width, 3\)"):
        load_spec(BackboneSpec(name="table", path=save(tabular, tmp_path / "table.keras")), "auto")


def test_a_mismatched_weights_file_names_the_file_and_the_first_layer_that_disagrees(tmp_path):
    from generator.backbones import load

    path = tmp_path / "quarter.weights.h5"
    load("mobilenet", weights="random", alpha=0.25).model.save_weights(path)
    with pytest.raises(AtlasError, match=r"quarter.weights.h5 does not fit this architecture: layer conv1 expects \(3, 3, 3, 16\), the file has \(3, 3, 3, 8\)"):
        load("mobilenet", weights=str(path), alpha=0.5)


def test_a_missing_or_truncated_model_file_is_named(tmp_path):
    with pytest.raises(AtlasError, match="model file .*nowhere.keras does not exist"):
        load_spec(BackboneSpec(name="x", path=tmp_path / "nowhere.keras"), "auto")
    good = save(lambda_model(), tmp_path / "cut.keras").read_bytes()
    (tmp_path / "cut.keras").write_bytes(good[: len(good) // 2])
    with pytest.raises(AtlasError, match="model file .*cut.keras cannot be loaded"):
        load_spec(BackboneSpec(name="x", path=tmp_path / "cut.keras"), "auto")


def test_a_truncated_weights_file_is_named_as_such(tmp_path):
    from generator.backbones import load

    path = tmp_path / "cut.weights.h5"
    load("mobilenet", weights="random", alpha=0.25).model.save_weights(path)
    path.write_bytes(path.read_bytes()[:5000])
    with pytest.raises(AtlasError, match=r"cut.weights.h5 cannot be read .*truncated or not a Keras weights file"):
        load("mobilenet", weights=str(path), alpha=0.25)
