"""The compute functions reach inside a nested model (a backbone used as one layer), named as the build names
its layers, bare or after the nested model's name; and they give what the flat model gives."""

import numpy as np
import pytest


@pytest.fixture(scope="module")
def transfer_model():
    """Input -> (a nested 'base' with conv_x and conv_y) -> pooling -> Dense 3: the transfer-learning shape."""
    import keras

    keras.utils.set_random_seed(4)
    inner_input = keras.Input((16, 16, 3))
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv_x")(inner_input)
    x = keras.layers.Conv2D(5, 3, padding="same", activation="relu", name="conv_y")(x)
    base = keras.Model(inner_input, x, name="base")
    inputs = keras.Input((16, 16, 3))
    outputs = keras.layers.Dense(3, activation="softmax", name="head")(keras.layers.GlobalAveragePooling2D()(base(inputs)))
    return keras.Model(inputs, outputs, name="transfer")


def test_gradcam_and_activations_reach_a_layer_of_a_nested_model_by_either_name(transfer_model):
    from generator.compute.activations import layer_activations
    from generator.compute.flatten import flatten
    from generator.compute.heatmaps import gradcam

    images = np.random.default_rng(0).uniform(-1, 1, (2, 16, 16, 3)).astype(np.float32)
    flat = flatten(transfer_model)
    expected = gradcam(flat, images, ["conv_x", "conv_y"])
    for names in (["conv_x", "conv_y"], ["base/conv_x", "base/conv_y"]):
        maps = gradcam(transfer_model, images, names)
        assert list(maps) == names
        for name, reference in zip(names, expected.values(), strict=True):
            np.testing.assert_allclose(maps[name], reference, atol=1e-6)
    activations = layer_activations(transfer_model, images, ["base/conv_y"])
    assert activations["base/conv_y"].shape == (2, 16, 16, 5)
    np.testing.assert_allclose(activations["base/conv_y"], layer_activations(flat, images, ["conv_y"])["conv_y"], atol=1e-6)


def test_filter_images_of_a_nested_layer_are_those_of_the_flat_model(transfer_model):
    from generator.compute.filters import visualize_filters
    from generator.compute.flatten import flatten

    nested = visualize_filters(transfer_model, "base/conv_y", [0, 1], size=16, steps=3, seed=1)
    flat = visualize_filters(flatten(transfer_model), "conv_y", [0, 1], size=16, steps=3, seed=1)
    np.testing.assert_array_equal(nested, flat)


def test_an_unknown_layer_is_still_named_in_the_error(transfer_model):
    from generator.compute.heatmaps import gradcam

    with pytest.raises(ValueError, match="conv_z"):
        gradcam(transfer_model, np.zeros((1, 16, 16, 3), np.float32), ["base/conv_z"])
