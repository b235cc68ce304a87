"""The sanity check: maps that do not change when a network's weights are re-drawn are flagged (Adebayo et al.)."""

import numpy as np
import pytest

from generator.compute.heatmaps import explain
from generator.compute.sanity import rank_correlation, randomized, ranks, sanity
from generator.results.scoring import FLAG_AT, flagged
from tests.compute.test_heatmaps import corner_model


def _photos(count: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Photos of a red square somewhere on a textured background, and the class the trained network gives them."""
    rng = np.random.default_rng(7)
    photos = rng.uniform(0.0, 0.4, size=(count, 16, 16, 3)).astype(np.float32)
    for index, photo in enumerate(photos):
        row, column = divmod(index * 5, 12)
        photo[row : row + 4, column : column + 4, 0] = 1.0
    return photos, np.zeros(count, np.int32)


def _edges(model, images: np.ndarray) -> dict[str, np.ndarray]:
    """A "method" that ignores the network: the photo's edges (gradient magnitude of its brightness)."""
    brightness = images.mean(axis=-1)
    rows, columns = np.gradient(brightness, axis=(1, 2))
    return {"edges": np.hypot(rows, columns)}


def _gradcam(classes: np.ndarray):
    def explain_maps(model, images: np.ndarray) -> dict[str, np.ndarray]:
        return {"gradcam": explain(model, images, ["colour"], class_indices=classes, compiled=False).cams["gradcam"]["colour"]}

    return explain_maps


def test_an_edge_detector_is_flagged_and_grad_cam_of_a_network_that_learned_is_not():
    model = corner_model()
    photos, classes = _photos()
    edges = sanity(_edges, model, photos, seed=0)["edges"]
    np.testing.assert_allclose(edges, 1.0, atol=1e-6)
    assert flagged(edges)
    # On a network this small, one random re-draw can still light up the only red thing in the photo (seed 1
    # correlates at 0.58); over re-draws, Grad-CAM's maps follow the weights, not the photo.
    gradcam = np.concatenate([sanity(_gradcam(classes), model, photos, seed=seed)["gradcam"] for seed in range(4)])
    assert not flagged(gradcam) and gradcam.mean() < FLAG_AT / 2, gradcam



def test_the_api_re_draws_with_seed_0_by_default_and_gives_float32_correlations():
    """Its default is the build's seed (``ScoreSettings.seed`` defaults to the atlas' 0): a notebook's numbers are
    the pages'; and the correlations are stored as float32, like every score."""
    model = corner_model()
    photos, classes = _photos()
    default = sanity(_gradcam(classes), model, photos)["gradcam"]
    assert default.dtype == np.float32
    np.testing.assert_array_equal(default, sanity(_gradcam(classes), model, photos, seed=0)["gradcam"])
    assert not np.array_equal(default, sanity(_gradcam(classes), model, photos, seed=1)["gradcam"])


def test_re_drawn_weights_are_seeded_and_new():
    model = corner_model()
    first, again, other = randomized(model, 0), randomized(model, 0), randomized(model, 1)
    for a, b, c, trained in zip(first.get_weights(), again.get_weights(), other.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
        assert a.shape == trained.shape
        if a.ndim > 1:  # kernels are drawn; biases start at zero
            assert not np.array_equal(a, trained) and not np.array_equal(a, c)


def test_a_network_drawn_with_the_atlas_seed_is_not_compared_with_itself():
    """An untrained backbone is drawn with the atlas' seed: the re-drawn copy must use another."""
    import keras

    keras.utils.set_random_seed(0)
    untrained = keras.models.clone_model(corner_model())
    redrawn = randomized(untrained, 0)
    assert not np.array_equal(untrained.get_weights()[0], redrawn.get_weights()[0])


def test_ranks_share_ties_and_the_correlation_is_spearmans():
    np.testing.assert_array_equal(ranks(np.array([3.0, 1.0, 3.0, 2.0])), [2.5, 0.0, 2.5, 1.0])
    a = np.array([[0.1, 0.5], [0.9, 0.3]])
    assert rank_correlation(a, a ** 3) == pytest.approx(1.0)
    assert rank_correlation(a, -a) == pytest.approx(-1.0)
    # Spearman on a small known case: ranks (0, 1, 2, 3) against (1, 0, 3, 2): 1 - 6 * 4 / (4 * 15) = 0.6
    assert rank_correlation(np.array([1.0, 2, 3, 4]), np.array([2.0, 1, 4, 3])) == pytest.approx(0.6)
    assert rank_correlation(np.zeros((2, 2)), a) == 0.0
    with pytest.raises(ValueError, match="one shape"):
        rank_correlation(a, np.zeros(3))


def test_flagging_takes_the_mean_over_photos():
    assert flagged(np.array([0.9, 0.2])) and not flagged(np.array([0.9, 0.0])) and not flagged(np.array([]))


def test_each_image_can_be_explained_for_its_own_class():
    model = corner_model()
    red = np.zeros((16, 16, 3), np.float32)
    red[:4, :4, 0] = 1.0
    images = np.stack([red, red])
    explanation = explain(model, images, ["colour"], class_indices=np.array([0, 1]), methods=("gradcam",))
    assert explanation.class_indices.tolist() == [0, 1]
    # class 0 (red) is explained by the red square; class 1 (green) finds no evidence there
    assert explanation.cams["gradcam"]["colour"][0][:4, :4].mean() > 0.9
    assert explanation.cams["gradcam"]["colour"][1][:4, :4].max() == 0.0
    with pytest.raises(ValueError, match=r"^class_indices\[1\] = 2 is outside the model's 2 classes$"):
        explain(model, images, ["colour"], class_indices=np.array([0, 2]))
