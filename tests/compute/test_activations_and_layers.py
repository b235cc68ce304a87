"""Activations come from one multi-output pass; layers are chosen evenly through the depth."""

import numpy as np
import pytest

from generator.compute.activations import layer_activations, shown_levels
from generator.compute.layers import select_layers, spread_evenly
from generator.compute.summary import layer_summary
from generator.errors import AtlasError


def test_activations_of_all_layers_match_their_shapes(tiny_classifier):
    images = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 3)).astype(np.float32)
    outputs = layer_activations(tiny_classifier, images, ["conv_a", "conv_b"])
    assert outputs["conv_a"].shape == (2, 32, 32, 8) and outputs["conv_b"].shape == (2, 32, 32, 6)
    assert (outputs["conv_b"] >= 0).all()  # after its ReLU


@pytest.mark.parametrize(
    "count,total,expected",
    [(4, 10, [0, 3, 6, 9]), (2, 5, [0, 4]), (1, 5, [4]), (9, 3, [0, 1, 2]), (3, 3, [0, 1, 2])],
)
def test_spread_evenly_includes_first_and_last(count, total, expected):
    assert spread_evenly(count, total) == expected


def test_select_layers_by_count_all_and_names(tiny_classifier):
    assert select_layers(tiny_classifier, 1) == ["conv_b"]
    assert select_layers(tiny_classifier, "all") == ["conv_a", "conv_b"]
    assert select_layers(tiny_classifier, ["conv_b"]) == ["conv_b"]
    with pytest.raises(AtlasError, match="no layer named 'conv_c'.*conv_a"):
        select_layers(tiny_classifier, ["conv_c"], label="tiny")
    with pytest.raises(AtlasError, match="'pool' of tiny is a GlobalAveragePooling2D, not a convolutional layer"):
        select_layers(tiny_classifier, ["pool"], label="tiny")


def test_summary_counts_every_parameter(tiny_classifier):
    summary = layer_summary(tiny_classifier)
    assert summary.total_parameters == tiny_classifier.count_params()
    assert [row.name for row in summary.rows][1:3] == ["conv_a", "conv_b"]
    assert summary.rows[1].parameters == 3 * 3 * 3 * 8 + 8


def test_architecture_graph_names_nodes_without_memory_addresses(tiny_classifier):
    import re

    from generator.compute.summary import architecture_dot

    dot = architecture_dot(tiny_classifier)
    assert "conv_b" in dot and "n0 " in dot
    assert not re.search(r"\d{9,}", dot)


def test_activations_are_those_of_inference_with_one_layer_or_several():
    """Batch norm uses its moving statistics and dropout is off, as when the network predicts."""
    import keras

    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, padding="same", name="conv")(inputs)
    x = keras.layers.BatchNormalization(name="norm")(x)
    x = keras.layers.Dropout(0.5, name="drop")(x)
    model = keras.Model(inputs, x)
    norm = model.get_layer("norm")
    norm.set_weights([np.full(4, 2.0), np.full(4, 1.0), np.full(4, 3.0), np.full(4, 4.0)])  # gamma, beta, mean, variance
    images = np.random.default_rng(0).uniform(-1, 1, (2, 8, 8, 3)).astype(np.float32)
    conv = keras.Model(inputs, model.get_layer("conv").output).predict(images, verbose=0)
    expected = 2.0 * (conv - 3.0) / np.sqrt(4.0 + norm.epsilon) + 1.0
    single = layer_activations(model, images, ["drop"])
    several = layer_activations(model, images, ["conv", "drop"])
    assert list(single) == ["drop"] and list(several) == ["conv", "drop"]
    np.testing.assert_allclose(single["drop"], expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(several["drop"], expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(several["conv"], conv, rtol=1e-6)
    assert single["drop"].dtype == np.float32


def test_shown_levels_scale_each_channel_from_its_own_minimum_and_a_flat_channel_is_the_lowest_step():
    ramp = np.arange(16, dtype=np.float32).reshape(4, 4)
    activation = np.stack([ramp, ramp + 1000.0, 5.0 * ramp - 40.0, np.full((4, 4), 7.0), ramp], axis=-1)
    levels = shown_levels(activation, channels=4, max_side=64, levels=255)
    assert levels.dtype == np.uint8 and levels.shape == (4, 4, 4)  # the first 4 channels, channels first
    for channel in range(3):  # 0 at the channel's own minimum, 254 at its maximum
        np.testing.assert_array_equal(levels[channel], np.round(ramp / 15.0 * 254).astype(np.uint8), err_msg=str(channel))
    assert (levels[3] == 0).all()


def test_shown_levels_average_a_large_map_down_in_whole_blocks_and_a_partial_edge_block_over_its_own_units():
    # A tall map, padded to 8 x 4 for blocks of 2 x 2 (the last column of blocks holds one column of units).
    tall = shown_levels(np.arange(21, dtype=np.float32).reshape(7, 3, 1), channels=1, max_side=4, levels=256)
    # unit (r, c) holds 3r + c: e.g. the block of rows 0-1, column 2 holds 2 and 5; the last block holds 20 alone
    tall_means = np.array([[2, 3.5], [8, 9.5], [14, 15.5], [18.5, 20]])
    np.testing.assert_array_equal(tall[0], np.round((tall_means - 2) / (20 - 2) * 255).astype(np.uint8))
    # Many channels do not count as a side: 4 x 4 maps of 100 channels are not averaged down.
    assert shown_levels(np.zeros((4, 4, 100), np.float32), channels=100, max_side=64, levels=255).shape == (100, 4, 4)
    with pytest.raises(ValueError, match=r"shaped \(h, w, channels\), got \(4, 4\)"):
        shown_levels(np.zeros((4, 4), np.float32), channels=1, max_side=64, levels=255)
    # 6 x 5 map, at most 3 px a side: blocks of 2 x 2; the last column's blocks hold one column of units only.
    values = np.arange(30, dtype=np.float32).reshape(6, 5)
    activation = np.stack([values, -values], axis=-1)
    levels = shown_levels(activation, channels=2, max_side=3, levels=256)
    means = np.array([[(0 + 1 + 5 + 6) / 4, (2 + 3 + 7 + 8) / 4, (4 + 9) / 2],
                      [(10 + 11 + 15 + 16) / 4, (12 + 13 + 17 + 18) / 4, (14 + 19) / 2],
                      [(20 + 21 + 25 + 26) / 4, (22 + 23 + 27 + 28) / 4, (24 + 29) / 2]])
    expected = np.round((means - means.min()) / (means.max() - means.min()) * 255).astype(np.uint8)
    assert levels.shape == (2, 3, 3)
    np.testing.assert_array_equal(levels[0], expected)
    np.testing.assert_array_equal(levels[1], 255 - expected)  # the negated channel is the mirror image
