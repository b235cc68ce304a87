"""Batch norms folded into convolutions, and the bfloat16 network: the same output for less work."""

import numpy as np
import pytest

from generator.compute.feed import run_model
from generator.compute.filters import filter_loop_network, truncated_model
from generator.compute.folding import foldable_pairs


def model_with_batch_norms(seed: int = 0):
    """Conv->BN->ReLU, DepthwiseConv->BN, a conv read twice, a conv with its own activation: only two fold."""
    import keras

    keras.utils.set_random_seed(seed)
    inputs = keras.Input((16, 16, 3))
    x = keras.layers.Conv2D(8, 3, padding="same", name="conv")(inputs)
    x = keras.layers.BatchNormalization(name="conv_bn")(x)
    x = keras.layers.ReLU(6.0, name="conv_relu")(x)
    x = keras.layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2, name="depthwise")(x)
    x = keras.layers.BatchNormalization(name="depthwise_bn")(x)
    shared = keras.layers.Conv2D(4, 1, name="shared")(x)  # read by a batch norm and by the add: not foldable
    y = keras.layers.BatchNormalization(name="shared_bn")(shared)
    x = keras.layers.Add(name="add")([shared, y])
    x = keras.layers.Conv2D(4, 3, activation="relu", name="activated")(x)  # BN after a ReLU: not foldable
    x = keras.layers.BatchNormalization(name="activated_bn")(x)
    x = keras.layers.Conv2D(5, 1, name="last")(x)
    model = keras.Model(inputs, x)
    rng = np.random.default_rng(seed)
    for layer in model.layers:  # moving statistics far from the identity, so a wrong fold shows
        if isinstance(layer, keras.layers.BatchNormalization):
            n = layer.gamma.shape[0]
            layer.set_weights([rng.uniform(0.5, 2, n), rng.normal(0, 0.5, n), rng.normal(0, 0.5, n), rng.uniform(0.2, 3, n)])
    return model


def test_only_a_linear_convolution_read_by_one_batch_norm_is_folded():
    model = model_with_batch_norms()
    pairs = {conv.name: norm.name for conv, norm in foldable_pairs(model).items()}
    assert pairs == {"conv": "conv_bn", "depthwise": "depthwise_bn"}


@pytest.mark.parametrize("layer", ["conv_relu", "depthwise_bn", "last"])
def test_the_folded_network_computes_what_the_original_does(layer):
    model = model_with_batch_norms()
    images = np.random.default_rng(1).uniform(-1, 1, (2, 16, 16, 3)).astype(np.float32)
    expected = run_model(truncated_model(model, layer), images).numpy()
    folded = filter_loop_network(model, layer)
    np.testing.assert_allclose(run_model(folded, images).numpy(), expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())
    assert not any(l.name.endswith("_bn") and l.name in {"conv_bn", "depthwise_bn"} for l in folded.layers)


def test_the_bfloat16_network_computes_in_bfloat16_close_to_float32():
    model = model_with_batch_norms()
    images = np.random.default_rng(2).uniform(-1, 1, (2, 16, 16, 3)).astype(np.float32)
    expected = run_model(truncated_model(model, "last"), images).numpy()
    output = run_model(filter_loop_network(model, "last", precision="bfloat16"), images)
    assert output.dtype.name == "bfloat16"
    error = np.abs(output.numpy().astype(np.float32) - expected).max() / np.abs(expected).max()
    assert 0 < error < 0.05  # rounded (bfloat16 keeps 8 bits), but the same network
    assert model.get_layer("conv").compute_dtype == "float32"  # the original model is untouched


def test_a_layer_that_cannot_be_copied_to_bfloat16_is_named_with_the_way_out():
    import keras

    from generator.errors import AtlasError

    class Unrebuildable(keras.layers.Layer):  # its constructor takes a function: Keras cannot write its config
        def __init__(self, scale, **kwargs):
            super().__init__(**kwargs)
            self.scale = scale
            self.weight = self.add_weight(shape=(1,), initializer="ones")

        def call(self, inputs):
            return self.scale(inputs * self.weight)

    inputs = keras.Input((8, 8, 3))
    model = keras.Model(inputs, keras.layers.Conv2D(2, 1, name="conv")(Unrebuildable(lambda x: 2 * x, name="odd")(inputs)))
    with pytest.raises(AtlasError, match=r"'odd' \(Unrebuildable\).*precision: float32"):
        filter_loop_network(model, "conv", precision="bfloat16")
