"""Building blocks on a network whose right answer is known: two groups of units, one answering red and one
green; a photo with a red and a green square factorises into the two squares, each made of its own units, and the
part over the explained class' evidence takes the larger share of the score."""

import numpy as np
import pytest

from generator.compute.parts import building_blocks, factorise

HEIGHT, WIDTH = 12, 16
"""A landscape photo: a map's rows and columns swapped would not fit it."""


@pytest.fixture(scope="module")
def colour_network():
    """``units``: 1x1 convolution, units 0-1 fire on red, 2-3 on green (ReLU); class 0 reads mostly the red units,
    class 1 mostly the green ones (after global average pooling)."""
    import keras

    inputs = keras.Input((HEIGHT, WIDTH, 3))
    units = keras.layers.Conv2D(4, 1, activation="relu", name="units")
    pooled = keras.layers.GlobalAveragePooling2D()(units(inputs))
    dense = keras.layers.Dense(2, name="scores")
    model = keras.Model(inputs, dense(pooled))
    kernel = np.zeros((1, 1, 3, 4), np.float32)
    kernel[0, 0, 0, :2] = (1.0, 0.5)   # red -> units 0, 1
    kernel[0, 0, 1, 2:] = (1.0, 0.5)   # green -> units 2, 3
    units.set_weights([kernel, np.zeros(4, np.float32)])
    dense.set_weights([np.array([[1.0, 0.2], [1.0, 0.2], [0.2, 1.0], [0.2, 1.0]], np.float32), np.zeros(2, np.float32)])
    return model


def _photo(red: tuple[slice, slice], green: tuple[slice, slice]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The photo and its two squares' masks."""
    photo = np.zeros((HEIGHT, WIDTH, 3), np.float32)
    photo[red + (0,)] = 1.0
    photo[green + (1,)] = 1.0
    masks = []
    for square in (red, green):
        mask = np.zeros((HEIGHT, WIDTH), np.float32)
        mask[square] = 1.0
        masks.append(mask)
    return photo, masks[0], masks[1]


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    return float((a * b).sum() / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_two_groups_recover_each_squares_map_its_units_and_the_explained_class_share(colour_network):
    # a large red square (class 0 wins) and a small green one; then the other way round, in the same batch
    first = _photo((slice(0, 8), slice(0, 8)), (slice(9, 12), slice(12, 15)))
    second = _photo((slice(9, 12), slice(0, 3)), (slice(1, 10), slice(6, 16)))
    parts = building_blocks(colour_network, np.stack([first[0], second[0]]), "units", 2)
    assert [part.class_index for part in parts] == [0, 1]
    for found, (_, red, green) in zip(parts, (first, second), strict=True):
        assert found.spatial.shape == (2, HEIGHT, WIDTH) and found.channels.shape == (2, 4) and found.error < 1e-3
        by_colour = {}
        for spatial, channels in zip(found.spatial, found.channels, strict=True):
            colour = "red" if channels[:2].sum() > channels[2:].sum() else "green"
            by_colour[colour] = (spatial, channels)
            assert channels[2:].sum() < 1e-3 * channels.sum() if colour == "red" else channels[:2].sum() < 1e-3 * channels.sum()
        assert _overlap(by_colour["red"][0], red) > 0.9 and _overlap(by_colour["green"][0], green) > 0.9
        # sorted by share; the explained class' square first, and the shares are the parts' gradient x activation
        assert found.shares.sum() == pytest.approx(1.0, abs=1e-5) and found.shares[0] > 0.5 > found.shares[1]
        first_colour = "red" if found.channels[0][:2].sum() > found.channels[0][2:].sum() else "green"
        assert first_colour == ("red" if found.class_index == 0 else "green")


def test_the_shares_are_gradient_times_activation_of_each_part_for_the_class_asked(colour_network):
    """Explaining class 1 on a photo whose red square is larger: each part's share is its activation through class
    1's weights over the total, recomputed by hand from the network's weights, and the larger share comes first."""
    # the red square is the larger (the factorisation finds it first), the green one the larger share of class 1
    photo, red, green = _photo((slice(0, 8), slice(0, 8)), (slice(8, 12), slice(12, 16)))
    parts = building_blocks(colour_network, photo[None], "units", 2, class_indices=np.array([1]))[0]
    assert parts.class_index == 1 and parts.channels[0][2:].sum() > parts.channels[0][:2].sum()  # green first
    weights = colour_network.get_layer("scores").get_weights()[0][:, 1] / (HEIGHT * WIDTH)  # d score / d unit activation
    activation = np.maximum(photo[..., :1] * [1.0, 0.5, 0, 0] + photo[..., 1:2] * [0, 0, 1.0, 0.5], 0)
    red_score = float((activation * red[..., None] * weights).sum())
    green_score = float((activation * green[..., None] * weights).sum())
    expected = sorted([red_score, green_score], reverse=True)
    np.testing.assert_allclose(parts.shares, np.array(expected) / sum(expected), atol=1e-3)


def test_a_network_without_a_classifier_gives_parts_without_shares_and_a_dead_layer_empty_parts():
    import keras

    inputs = keras.Input((HEIGHT, WIDTH, 3))
    features = keras.Model(inputs, keras.layers.Conv2D(4, 1, activation="relu", name="units")(inputs))
    photo = np.random.default_rng(0).uniform(0, 1, (1, HEIGHT, WIDTH, 3)).astype(np.float32)
    parts = building_blocks(features, photo, "units", 3)[0]
    assert parts.shares is None and parts.class_index is None and parts.spatial.shape == (3, HEIGHT, WIDTH)
    spatial, channels, error = factorise(np.zeros((10, 4)), 3)
    assert not spatial.any() and not channels.any() and error == 0.0


def test_the_factorisation_is_deterministic_for_a_seed_and_fewer_units_than_groups_leave_parts_empty():
    activations = np.random.default_rng(1).uniform(0, 1, (20, 6))
    first, again = factorise(activations, 3, seed=4), factorise(activations, 3, seed=4)
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    spatial, channels, _ = factorise(activations[:, :2], 3)
    assert spatial[:, 2].sum() == 0 and channels[2].sum() == 0 and spatial[:, :2].any()
