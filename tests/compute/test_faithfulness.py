"""Deletion and insertion scores on a network whose answer is known: its class depends on one patch alone."""

import numpy as np
import pytest

from generator.compute.faithfulness import blurred, deletion_insertion, importance_order

SIDE, PATCH = 16, 4


@pytest.fixture(scope="module")
def patch_network():
    """P(class 0) = sigmoid(2 (s - 1.5)), s the sum over channels of the mean of the top-left 4 x 4 patch."""
    import keras

    inputs = keras.Input((SIDE, SIDE, 3))
    patch = keras.layers.Cropping2D(((0, SIDE - PATCH), (0, SIDE - PATCH)))(inputs)
    pooled = keras.layers.GlobalAveragePooling2D()(patch)
    dense = keras.layers.Dense(2, activation="softmax")
    outputs = dense(pooled)
    dense.set_weights([np.array([[1.0, -1.0]] * 3, np.float32), np.array([-1.5, 1.5], np.float32)])
    return keras.Model(inputs, outputs)


def _photo() -> np.ndarray:
    photo = np.full((1, SIDE, SIDE, 3), -1.0, np.float32)
    photo[:, :PATCH, :PATCH] = 1.0
    return photo


def _maps():
    patch_map = np.zeros((SIDE // 4, SIDE // 4), np.float32)  # at a layer's resolution: 4 x 4 cells of 4 px
    patch_map[0, 0] = 1.0
    random_map = np.random.default_rng(3).uniform(size=(SIDE, SIDE)).astype(np.float32)
    return {"patch": patch_map, "inverse": 1.0 - patch_map, "random": random_map,
            "constant": np.full((SIDE // 4, SIDE // 4), 0.5, np.float32)}


def test_a_map_of_the_patch_beats_a_random_map_and_its_inverse_loses_on_both_scores(patch_network):
    scores = {name: deletion_insertion(patch_network, _photo(), [heatmap], [0], steps=16)
              for name, heatmap in _maps().items()}
    deletion = {name: float(curves.deletion_auc[0]) for name, curves in scores.items()}
    insertion = {name: float(curves.insertion_auc[0]) for name, curves in scores.items()}
    assert deletion["patch"] < deletion["random"] < deletion["inverse"], deletion
    assert insertion["patch"] > insertion["random"] > insertion["inverse"], insertion
    patch = scores["patch"]
    # The patch is the first 16th of the pixels: one step deletes all of it, and one step reveals it.
    assert patch.deletion[0, 0] > 0.9 and patch.deletion[0, 1] == pytest.approx(patch.deletion[0, -1], abs=1e-6)
    assert patch.insertion[0, 1] == pytest.approx(patch.insertion[0, -1], abs=1e-6)
    # Both curves end where the other starts: everything deleted is the blurred copy, nothing inserted too.
    assert patch.deletion[0, -1] == pytest.approx(patch.insertion[0, 0], abs=1e-6)
    assert patch.deletion[0, 0] == pytest.approx(patch.insertion[0, -1], abs=1e-6)


def test_a_constant_map_scores_exactly_at_chance(patch_network):
    """Ties are broken in the seeded random order: a flat map is a random order, not the top-left corner first."""
    order = importance_order(np.zeros((4, 4), np.float32), (SIDE, SIDE), seed=0)
    assert sorted(order.tolist()) == list(range(SIDE * SIDE)) and order[:PATCH].tolist() != list(range(PATCH))
    constant = deletion_insertion(patch_network, _photo(), [_maps()["constant"]], [0], steps=8, seed=5)
    ranked = deletion_insertion(patch_network, _photo(), [np.zeros((SIDE, SIDE), np.float32)], [0], steps=8, seed=5)
    np.testing.assert_array_equal(constant.deletion, ranked.deletion)
    np.testing.assert_array_equal(constant.insertion, ranked.insertion)


def test_the_area_is_the_trapezoid_rule_over_the_fractions(patch_network):
    curves = deletion_insertion(patch_network, _photo(), [_maps()["random"]], [1], steps=4)
    expected = sum((curves.deletion[0, k] + curves.deletion[0, k + 1]) / 2 * 0.25 for k in range(4))
    assert curves.deletion_auc[0] == pytest.approx(expected, rel=1e-6)
    assert curves.deletion.shape == curves.insertion.shape == (1, 5)


def test_the_blurred_copy_keeps_a_flat_image_and_smooths_an_edge():
    flat = np.full((1, 8, 8, 3), 0.25, np.float32)
    np.testing.assert_allclose(blurred(flat), flat, atol=1e-6)
    edge = np.zeros((1, 8, 8, 1), np.float32)
    edge[:, :, 4:] = 1.0
    smooth = blurred(edge, sigma=1.0)
    assert 0.0 < smooth[0, 4, 3, 0] < 0.5 < smooth[0, 4, 4, 0] < 1.0
    np.testing.assert_allclose(smooth[0, :, :, 0], smooth[0, ::-1, :, 0], atol=1e-6)  # along the edge: unchanged


def test_mismatched_inputs_are_refused(patch_network):
    with pytest.raises(ValueError, match="N maps"):
        deletion_insertion(patch_network, _photo(), [], [0])
    with pytest.raises(ValueError, match="steps"):
        deletion_insertion(patch_network, _photo(), [_maps()["patch"]], [0], steps=0)


def test_the_api_scores_with_the_builds_defaults_and_passes_its_seed_on(patch_network):
    """The notebook API's defaults are the atlas' (16 steps, seed 0), and a seed given reaches the random order
    that breaks a flat map's ties: its curves are the engine's own for that seed, and another seed's differ."""
    from generator.compute.faithfulness import photo_curves

    flat = np.full((SIDE, SIDE), 0.5, np.float32)
    default = deletion_insertion(patch_network, _photo(), [flat], [0])
    assert default.deletion.shape == (1, 17)
    np.testing.assert_array_equal(default.deletion, deletion_insertion(patch_network, _photo(), [flat], [0], seed=0).deletion)
    seeded = deletion_insertion(patch_network, _photo(), [flat], [0], steps=8, seed=5)
    engine = photo_curves(patch_network, _photo()[0], [flat], 0, steps=8, seed=5)
    np.testing.assert_array_equal(seeded.deletion, engine.deletion)
    assert not np.array_equal(seeded.deletion, deletion_insertion(patch_network, _photo(), [flat], [0], steps=8).deletion)
