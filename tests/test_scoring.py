"""What the pages say about heatmap scores: areas, means over photos, each layer's own chance level, the flag and
the best heatmap's rule."""

import numpy as np
import pytest

from generator.curve_area import area
from generator.pipeline.arrays import PhotoScores
from generator.scoring import best_heatmap, flagged, layer_scores


def test_the_area_is_the_trapezoid_rule_over_equal_steps():
    assert area(np.array([1.0, 0.0])) == pytest.approx(0.5)
    assert area(np.array([0.0, 1.0, 1.0, 1.0, 1.0])) == pytest.approx(0.875)
    np.testing.assert_allclose(area(np.ones((2, 3, 5))), np.ones((2, 3)))


def _photo(deletion: float, insertion: float, sanity: float, chance: tuple[float, float]) -> PhotoScores:
    """One method, two layers; chance levels for two sides of map."""
    curve = lambda value: np.full(3, value, np.float32)  # noqa: E731
    return PhotoScores(
        deletion=np.stack([[curve(deletion), curve(deletion + 0.1)]]), insertion=np.stack([[curve(insertion), curve(insertion)]]),
        chance_deletion=np.stack([curve(chance[0]), curve(chance[1])]), chance_insertion=np.stack([curve(0.3), curve(0.4)]),
        sanity=np.array([[sanity, 0.0]], np.float32),
    )


def test_each_layer_gets_the_means_over_photos_and_the_chance_level_of_its_own_map_side():
    photos = [_photo(0.2, 0.6, 0.8, (0.5, 0.6)), _photo(0.4, 0.8, 0.0, (0.7, 0.8))]
    # the first layer's maps are 14 px, the second's 7 px: chance sides sorted (7, 14)
    layers = layer_scores(photos, ["early", "late"], [14, 7], ["gradcam"], ["Grad-CAM"], ["gradcam"], [7, 14])
    early, late = layers[0].methods[0], layers[1].methods[0]
    assert (early.deletion, early.insertion) == pytest.approx((0.3, 0.7)) and early.score == pytest.approx(0.4)
    assert late.deletion == pytest.approx(0.4)
    assert (early.chance_deletion, early.chance_insertion) == pytest.approx((0.7, 0.4))  # the 14 px random map
    assert (late.chance_deletion, late.chance_insertion) == pytest.approx((0.6, 0.3))  # the 7 px one
    assert early.sanity == pytest.approx(0.4) and not early.flagged  # mean of 0.8 and 0.0 is under 0.5


def test_the_best_heatmap_skips_flagged_maps_prefers_the_deeper_layer_on_a_tie_and_warns_when_all_fail():
    photos = [_photo(0.1, 0.9, 0.9, (0.5, 0.5))]
    layers = layer_scores(photos, ["early", "late"], [7, 7], ["m"], ["M"], ["m"], [7])
    best = best_heatmap(layers)  # the early layer scores 0.8 but is flagged; the late one 0.7
    assert (best.layer, best.all_flagged) == ("late", False) and best.score.score == pytest.approx(0.7)
    assert (best.depth, best.method_index) == (1, 0)
    all_flagged = [_photo(0.1, 0.9, 0.9, (0.5, 0.5))]
    all_flagged[0].sanity[0, 1] = 0.95
    best = best_heatmap(layer_scores(all_flagged, ["early", "late"], [7, 7], ["m"], ["M"], ["m"], [7]))
    assert (best.layer, best.all_flagged) == ("early", True)
    tied = [_photo(0.1, 0.9, 0.0, (0.5, 0.5))]
    tied[0].deletion[0, 1] = tied[0].deletion[0, 0]
    assert best_heatmap(layer_scores(tied, ["early", "late"], [7, 7], ["m"], ["M"], ["m"], [7])).layer == "late"
    assert best_heatmap([]) is None


def test_a_flag_needs_the_mean_correlation_at_the_threshold():
    assert flagged(np.array([0.5])) and not flagged(np.array([0.49])) and not flagged(np.array([]))
