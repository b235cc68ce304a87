"""A unit that is linear in the input gets its closed-form image: the optimum is known, so the image reaches it
(at least 0.95 of it), a checkerboard kernel gets a checkerboard, and only linear units are taken for linear."""

import numpy as np
import pytest

from generator.compute.closed_form import linear_in_input
from generator.compute.filters import CLOSED_FORM, Recipe, filter_peaks, optimise_filters


def _first_layer(kernel: np.ndarray, bias: np.ndarray, *, activation: str = "linear", norm: bool = False, stride: int = 1):
    """A network whose layer ``first`` is a convolution (then optionally a batch norm) on the input, with more after."""
    import keras

    inputs = keras.Input((None, None, 3))
    x = keras.layers.Conv2D(kernel.shape[-1], kernel.shape[0], strides=stride, padding="same", activation=activation,
                            name="conv")(inputs)
    if norm:
        x = keras.layers.BatchNormalization(name="first")(x)
    else:
        x = keras.layers.Activation("linear", name="first")(x)
    x = keras.layers.ReLU(name="relu")(x)
    outputs = keras.layers.Conv2D(2, 3, padding="same", name="second")(x)
    model = keras.Model(inputs, outputs)
    model.get_layer("conv").set_weights([kernel, bias])
    if norm:
        rng = np.random.default_rng(1)
        channels = kernel.shape[-1]
        model.get_layer("first").set_weights([rng.uniform(-2, 2, channels), rng.normal(0, 1, channels),
                                              rng.normal(0, 1, channels), rng.uniform(0.5, 2, channels)])
    return model


def _optimum(model, layer: str, units: int) -> np.ndarray:
    """Each unit's best response over all images in 0..255, by brute force over its field: in [-1, 1] input units
    the best is at +1 where the affine map's weight is positive and -1 where negative."""
    import keras

    cut = keras.Model(model.inputs[0], model.get_layer(layer).output)
    grey = np.zeros((1, 9, 9, 3), np.float32)
    best = []
    for unit in range(units):
        weights = np.zeros((9, 9, 3))
        base = cut(grey).numpy()[0, 4, 4, unit]
        for index in np.ndindex(9, 9, 3):  # the affine map's weight of every input value, one at a time
            probe = grey.copy()
            probe[(0, *index)] = 1.0
            weights[index] = cut(probe).numpy()[0, 4, 4, unit] - base
        best.append(base + np.abs(weights).sum())
    return np.array(best)


@pytest.mark.parametrize("norm", [False, True])
def test_a_linear_first_layer_reaches_at_least_0_95_of_its_closed_form_optimum(norm):
    """The optimum found by brute force, one input value at a time, through the whole cut network."""
    kernel = np.random.default_rng(0).normal(0, 1, (3, 3, 3, 6)).astype(np.float32)
    model = _first_layer(kernel, np.linspace(-1, 1, 6).astype(np.float32), norm=norm)
    assert linear_in_input(model, "first")
    made = optimise_filters(model, "first", list(range(6)), recipe=Recipe(size=32, steps=50))
    assert (made.steps, made.stopped) == (0, CLOSED_FORM)
    reached = filter_peaks(model, "first", list(range(6)), made.images)
    optimum = _optimum(model, "first", 6)
    assert np.median(reached / optimum) >= 0.95  # the bar; the closed form is the optimum itself
    np.testing.assert_allclose(reached, optimum, rtol=1e-4)


def test_a_checkerboard_kernel_gets_a_checkerboard():
    board = np.where(np.add.outer(np.arange(3), np.arange(3)) % 2 == 0, 1.0, -1.0).astype(np.float32)
    kernel = np.repeat(board[:, :, None, None], 3, axis=2)  # every colour alike
    model = _first_layer(kernel, np.zeros(1, np.float32))
    image = optimise_filters(model, "first", [0], recipe=Recipe(size=30, steps=10)).images[0].astype(int)
    grey = image.mean(axis=-1)
    assert np.all(image.max(axis=-1) - image.min(axis=-1) <= 1)  # no colour: the kernel treats all three alike
    light, dark = grey > 200, grey < 55
    assert (light | dark).all()  # every pixel at one extreme or the other
    # the kernel's own pattern, tiled with its period of 3 and aligned to the canvas' centre unit
    shifts = [np.roll(np.tile(board > 0, (10, 10)), (dy, dx), axis=(0, 1)) for dy in range(3) for dx in range(3)]
    assert any(np.array_equal(light, shifted) for shifted in shifts)


def test_only_what_is_affine_up_to_a_last_rising_activation_counts_as_linear():
    import keras

    kernel, bias = np.ones((3, 3, 3, 2), np.float32), np.zeros(2, np.float32)
    assert linear_in_input(_first_layer(kernel, bias, activation="relu"), "conv")  # a ReLU last: still its optimum
    assert linear_in_input(_first_layer(kernel, bias, norm=True, stride=2), "first")  # a folded-in batch norm
    assert not linear_in_input(_first_layer(kernel, bias), "second")  # a ReLU in between
    assert not linear_in_input(_first_layer(kernel, bias, activation="swish"), "conv")  # swish falls before it rises
    assert linear_in_input(_first_layer(kernel, bias, activation="relu"), "relu")  # a rising activation after another
    inputs = keras.Input((None, None, 3))
    pooled = keras.layers.MaxPooling2D(name="pool")(keras.layers.Conv2D(2, 3, name="c")(inputs))
    assert not linear_in_input(keras.Model(inputs, pooled), "pool")  # a maximum is not affine


def test_a_patch_embedding_whose_period_is_offset_from_the_canvas_still_lines_up_with_a_unit():
    """An 8 x 8 convolution with stride 8 (a patchify stem) sees only windows starting at multiples of 8; on a
    40 px canvas the 32 px image starts 4 px in, so the tiling must start from the canvas' units, not the image's
    corner: otherwise no unit sees one whole period, and none reaches its optimum."""
    kernel = np.random.default_rng(3).normal(0, 1, (8, 8, 3, 4)).astype(np.float32)
    model = _first_layer(kernel, np.zeros(4, np.float32), stride=8)
    recipe = Recipe(size=32, steps=1, min_canvas=40)
    images = optimise_filters(model, "first", list(range(4)), recipe=recipe).images
    optimum = _optimum_of_patches(model, kernel)
    reached = filter_peaks(model, "first", list(range(4)), images, recipe=recipe)
    np.testing.assert_allclose(reached, optimum, rtol=1e-4)


def _optimum_of_patches(model, kernel: np.ndarray) -> np.ndarray:
    """A patch embedding's optimum per unit: the sum of its weights' magnitudes plus its bias (0 here), in [-1, 1]
    input units, as ``_first_layer`` adds nothing after the convolution."""
    return np.abs(kernel).sum(axis=(0, 1, 2))


def test_a_pixel_without_weight_stays_grey_between_the_extremes_of_the_others():
    """A horizontal Sobel kernel (rows 1 2 1, 0 0 0, -1 -2 -1): bright stripes, grey ones, dark ones."""
    sobel = np.array([[1, 2, 1], [0, 0, 0], [-1, -2, -1]], np.float32)
    model = _first_layer(np.repeat(sobel[:, :, None, None], 3, axis=2), np.zeros(1, np.float32))
    image = optimise_filters(model, "first", [0], recipe=Recipe(size=30, steps=10)).images[0]
    rows = sorted({int(value) for value in image[:, :, 0].mean(axis=1)})
    assert rows == [0, 128, 255] and (image == image[:, :1]).all()  # stripes across the whole width
