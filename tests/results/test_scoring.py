"""What the pages say about heatmap scores: areas, means over photos, each layer's own chance level, the flag and
the best heatmap's rule."""

import numpy as np
import pytest

from generator.formulas.curve_area import area
from generator.pipeline.arrays import PhotoScores
from generator.results.scoring import best_heatmap, flagged, layer_scores


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


def test_three_methods_on_three_layers_each_get_their_own_means_chance_and_sanity_recomputed_by_hand():
    """As many methods as layers, so that a transposed index would still run; three photos with random curves, a
    NaN correlation (a constant map) that the mean skips, and two layer sides sharing one chance level."""
    rng = np.random.default_rng(0)
    methods, layers, sides, steps = ["m0", "m1", "m2"], ["l0", "l1", "l2"], [14, 7, 14], 4
    photos = []
    for _ in range(3):
        photos.append(PhotoScores(
            deletion=rng.random((3, 3, steps + 1)).astype(np.float32), insertion=rng.random((3, 3, steps + 1)).astype(np.float32),
            chance_deletion=rng.random((2, steps + 1)).astype(np.float32), chance_insertion=rng.random((2, steps + 1)).astype(np.float32),
            sanity=rng.uniform(-1, 0.45, (3, 3)).astype(np.float32)))  # below the flag, but where set
    photos[1].sanity[2, 0] = np.nan
    photos[0].sanity[1, 2] = photos[1].sanity[1, 2] = photos[2].sanity[1, 2] = 0.9  # only m1 on l2 is flagged

    def trapezoid(curve: np.ndarray) -> float:
        return sum((float(curve[i]) + float(curve[i + 1])) / 2 / steps for i in range(steps))

    result = layer_scores(photos, layers, sides, methods, ["M0", "M1", "M2"], methods, [7, 14])
    for l, layer in enumerate(result):
        assert layer.layer == layers[l]
        chance = [7, 14].index(sides[l])
        for m, score in enumerate(layer.methods):
            assert score.method == methods[m] and score.title == f"M{m}"
            assert score.deletion == pytest.approx(np.mean([trapezoid(photo.deletion[m, l]) for photo in photos]))
            assert score.insertion == pytest.approx(np.mean([trapezoid(photo.insertion[m, l]) for photo in photos]))
            assert score.chance_deletion == pytest.approx(np.mean([trapezoid(photo.chance_deletion[chance]) for photo in photos]))
            assert score.chance_insertion == pytest.approx(np.mean([trapezoid(photo.chance_insertion[chance]) for photo in photos]))
            values = [float(photo.sanity[m, l]) for photo in photos if not np.isnan(photo.sanity[m, l])]
            assert score.sanity == pytest.approx(sum(values) / len(values))
            assert score.flagged == ((m, l) == (1, 2))
    best = best_heatmap(result)
    candidates = [(method.score, depth, method.method) for depth, layer in enumerate(result) for method in layer.methods
                  if not method.flagged]
    assert (best.score.score, best.depth, best.score.method) == max(candidates)
    assert result[best.depth].methods[best.method_index] is best.score
