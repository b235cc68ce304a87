"""Per-family recipes, receptive fields and tiled periods."""

from dataclasses import replace

import numpy as np
import pytest

from generator.compute.filters import visualize_filters
from generator.compute.redirected_relu import silenceable_relus
from generator.compute.receptive_field import receptive_field, tile_side
from generator.compute.recipes import recipe_for
from generator.config import AtlasConfig
from generator.errors import AtlasError


def test_vgg16_receptive_fields_match_the_textbook():
    import keras

    vgg = keras.applications.VGG16(weights=None, include_top=False, input_shape=(64, 64, 3))
    # 3x3 convolutions grow the field by 2 x jump; each 2x2 pooling adds 1 x jump and doubles the jump.
    assert [receptive_field(vgg, name) for name in ("block1_conv1", "block1_conv2", "block2_conv1", "block3_conv3",
                                                    "block5_conv3")] == [3, 5, 10, 40, 196]


def test_branches_take_the_widest_path(tiny_classifier):
    import keras

    inputs = keras.Input((32, 32, 3))
    narrow = keras.layers.Conv2D(2, 1, name="narrow")(inputs)
    wide = keras.layers.Conv2D(2, 5, padding="same", name="wide")(inputs)
    joined = keras.layers.Concatenate(name="joined")([narrow, wide])
    model = keras.Model(inputs, keras.layers.Conv2D(2, 3, name="after")(joined))
    assert receptive_field(model, "narrow") == 1 and receptive_field(model, "after") == 7
    assert receptive_field(tiny_classifier, "conv_b") == 5


def test_tiles_only_where_they_save_work_and_divide_the_image():
    assert tile_side(3, 64) == 16 and tile_side(14, 64) == 32
    assert tile_side(40, 64) == 64 and tile_side(None, 64) == 64
    assert tile_side(10, 48) == 24 and tile_side(20, 48) == 48  # a 40 px period would not divide 48


def test_a_tiled_filter_image_is_periodic_and_still_drives_its_filter(tiny_classifier):
    from generator.compute.filters import Recipe, filter_response

    recipe = Recipe(size=32, steps=30, period=16)
    images = visualize_filters(tiny_classifier, "conv_b", [0, 1, 2], recipe=recipe, seed=1)  # conv_a is linear: a closed form
    assert images.shape == (3, 32, 32, 3)
    np.testing.assert_array_equal(images[:, :16], images[:, 16:])
    np.testing.assert_array_equal(images[:, :, :16], images[:, :, 16:])
    start = visualize_filters(tiny_classifier, "conv_b", [0, 1, 2], recipe=Recipe(size=32, steps=0, period=16), seed=1)
    assert np.all(filter_response(tiny_classifier, "conv_b", [0, 1, 2], images)
                  > filter_response(tiny_classifier, "conv_b", [0, 1, 2], start))


def test_families_differ_only_where_the_architecture_demands_it():
    plain = recipe_for("plain", size=64, steps=24, min_canvas=32)
    # EfficientNet's swish gets no redirected step from its layers (``silenceable_relus``), not from its family:
    # EfficientNet-Lite's ReLU6 needs them
    assert recipe_for("efficientnet", size=64, steps=24, min_canvas=32) == replace(plain, precision="float32")
    assert recipe_for("nasnet", size=64, steps=24, min_canvas=32).canvas_multiple == 32
    assert recipe_for("mobilenet", size=64, steps=24, min_canvas=32) == replace(plain, precision="float32")
    assert recipe_for("inception", size=64, steps=24, min_canvas=75).min_canvas == 75


def test_a_network_without_relu_gets_no_redirected_step():
    import keras

    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Conv2D(4, 3, activation="swish", name="swish_conv")(inputs)
    x = keras.layers.Conv2D(4, 3, activation="relu", name="relu_conv")(x)
    model = keras.Model(inputs, x)
    assert silenceable_relus(model, "swish_conv") == frozenset() and silenceable_relus(model, "relu_conv") == {"relu_conv"}


def test_the_config_overrides_family_defaults_per_backbone():
    """The plan resolves each backbone's recipe from its own spec: its overrides, else the atlas' learning rate."""
    from types import SimpleNamespace

    from generator.units.filters import recipe_of

    config = AtlasConfig(backbones=[{"name": "vgg16", "recipe": {"learning_rate": 0.1, "jitter": 4}}, {"name": "mobilenet_v2"}],
                         learning_rate=0.02)
    vgg_spec, mobile_spec = config.backbones
    vgg = recipe_of(SimpleNamespace(family="plain", min_size=32, model=None), vgg_spec, config)
    mobile = recipe_of(SimpleNamespace(family="mobilenet", min_size=32, model=None), mobile_spec, config)
    assert (vgg.learning_rate, vgg.robustness.jitter, mobile.learning_rate, mobile.robustness.jitter) == (0.1, 4, 0.02, 8)


def test_an_unknown_recipe_key_is_named():
    from generator.config import load_config

    with pytest.raises(AtlasError, match=r"backbones\[0\]\.recipe\.jiter"):
        load_config(None, {"backbones": [{"name": "vgg16", "recipe": {"jiter": 4}}]})
