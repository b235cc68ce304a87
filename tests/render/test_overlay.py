"""The heatmap overlay stays within 0..255 and keeps the photo visible (the seed code overflowed)."""

import numpy as np
import pytest

from generator.render.colormaps import lookup_table
from generator.render.overlay import overlay


def test_white_photo_under_a_full_heatmap_does_not_wrap_around():
    white = np.full((20, 30, 3), 255, np.uint8)
    hot = overlay(white, np.ones((5, 5), np.float32), alpha=0.4)
    jet_top = lookup_table("jet")[255].astype(float)
    expected = np.round(0.6 * 255 + 0.4 * jet_top)
    assert hot.dtype == np.uint8 and hot.shape == (20, 30, 3)
    np.testing.assert_array_equal(hot[0, 0], expected)
    # Re-scaling an already 0..255 image by 255 (the old fault) would saturate or wrap every channel.
    assert hot.min() >= 0.6 * 255 - 1


def test_photo_stays_visible_under_the_colour():
    half = np.zeros((16, 16, 3), np.uint8)
    half[:, 8:] = 255
    blended = overlay(half, np.full((4, 4), 0.5, np.float32), alpha=0.4)
    assert blended[:, 8:].mean() - blended[:, :8].mean() == pytest.approx(0.6 * 255, abs=1)


def test_alpha_zero_is_the_photo_and_bad_inputs_are_refused():
    photo = (np.arange(4 * 4 * 3) % 256).astype(np.uint8).reshape(4, 4, 3)
    np.testing.assert_array_equal(overlay(photo, np.zeros((2, 2)), alpha=0.0), photo)
    with pytest.raises(ValueError, match="uint8 RGB"):
        overlay(photo.astype(np.float32), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="alpha"):
        overlay(photo, np.zeros((2, 2)), alpha=1.5)


@pytest.mark.parametrize("hot_corner", ["top-left", "top-right", "bottom-left", "bottom-right"])
@pytest.mark.parametrize("map_shape", [(4, 6), (5, 5)])
def test_a_maps_hot_corner_lands_in_the_same_corner_of_a_non_square_photo(hot_corner, map_shape):
    """A transposed or flipped map would light another corner (the square map catches a transpose that keeps its shape)."""
    heatmap = np.zeros(map_shape, np.float32)
    rows, columns = map_shape
    row = 0 if hot_corner.startswith("top") else rows - 1
    column = 0 if hot_corner.endswith("left") else columns - 1
    if map_shape[0] == map_shape[1]:
        heatmap[row, :] = 0.5  # an edge next to the corner, so that a transpose of the square map is not itself
    heatmap[row, column] = 1.0
    grey = np.full((40, 60, 3), 128, np.uint8)
    blended = overlay(grey, heatmap, alpha=1.0).astype(float)
    redness = blended[..., 0] - blended[..., 2]  # jet: red where the map is 1, blue where it is 0
    corners = {
        "top-left": redness[:8, :8], "top-right": redness[:8, -8:],
        "bottom-left": redness[-8:, :8], "bottom-right": redness[-8:, -8:],
    }
    assert max(corners, key=lambda name: corners[name].mean()) == hot_corner
    if map_shape[0] == map_shape[1]:  # the half-hot edge runs along the photo's top or bottom, not down its side
        edge_row, edge_column = (0 if row == 0 else 39), (0 if column == 0 else 59)
        assert blended[edge_row, 30, 1] > blended[20, edge_column, 1] + 100


def test_the_default_blend_is_six_tenths_photo_and_four_tenths_colour():
    photo = np.full((4, 4, 3), 200, np.uint8)
    expected = np.round(0.6 * 200 + 0.4 * lookup_table("jet")[0].astype(float))
    np.testing.assert_array_equal(overlay(photo, np.zeros((2, 2), np.float32))[0, 0], expected)


def test_the_map_is_resized_bilinearly_between_pixel_centres():
    """[0, 1] over 4 pixels: bilinear gives 0, 0.25, 0.75, 1 (bicubic would overshoot past 0 and 1)."""
    from generator.render.overlay import resize_map

    resized = resize_map(np.array([[0.0, 1.0]]), 1, 4)
    assert resized.dtype == np.float32
    np.testing.assert_allclose(resized[0], [0.0, 0.25, 0.75, 1.0], atol=1e-6)


def test_a_photo_with_four_channels_is_refused():
    with pytest.raises(ValueError, match=r"expected a uint8 RGB photo shaped \(H, W, 3\), got uint8 \(4, 4, 4\)"):
        overlay(np.zeros((4, 4, 4), np.uint8), np.zeros((2, 2)))


def test_a_heatmap_map_is_enlarged_by_a_whole_factor_to_at_least_56_px_and_kept_at_its_own_size_above():
    from generator.render.overlay import map_indices

    assert map_indices(np.zeros((7, 7), np.float32)).shape == (56, 56)  # by 8
    assert map_indices(np.zeros((14, 28), np.float32)).shape == (56, 112)  # by 4: the shorter side reaches 56
    assert map_indices(np.zeros((10, 10), np.float32)).shape == (60, 60)  # by 6, never a fraction
    assert map_indices(np.zeros((28, 28), np.float32)).shape == (56, 56)  # by 2, the smallest factor there is
    assert map_indices(np.zeros((112, 112), np.float32)).shape == (112, 112)
    with pytest.raises(ValueError, match=r"expected a map shaped \(h, w\), got \(2, 7, 7\)"):
        map_indices(np.zeros((2, 7, 7), np.float32))


def test_a_heatmap_map_clips_values_outside_0_to_1_and_takes_the_palette_size_it_is_given():
    import io

    from PIL import Image

    from generator.render.overlay import map_indices, map_png

    heatmap = np.array([[-0.5, 0.0], [1.0, 1.5]], np.float32)
    assert map_indices(heatmap, min_side=2).tolist() == [[0, 0], [63, 63]]
    with Image.open(io.BytesIO(map_png(heatmap, min_side=2, levels=32))) as stored:
        assert np.asarray(stored).tolist() == [[0, 0], [31, 31]]
        assert len(stored.getpalette()) // 3 >= 32
        assert stored.getpalette()[3 * 31 : 3 * 32] == lookup_table("jet", 32)[31].tolist()


def test_a_heatmap_maps_values_keep_their_place_and_become_64_steps_of_jet():
    import io

    from PIL import Image

    from generator.render.overlay import MAP_LEVELS, map_indices, map_png

    heatmap = np.zeros((7, 7), np.float32)
    heatmap[0, 6] = 1.0  # the top-right cell hot
    heatmap[6, 0] = np.nan  # counts as 0
    indices = map_indices(heatmap)
    assert MAP_LEVELS == 64 and indices.max() == 63 and indices.min() == 0
    assert indices[3, 52] == 63  # the centre of the hot cell's 8 x 8 block, top right
    assert indices[52, 3] == 0 and indices[28, 28] == 0  # far from it: cold
    assert (indices[:, :40] == 0).all()  # a bilinear enlargement spreads a cell into its neighbour's half only
    with Image.open(io.BytesIO(map_png(heatmap))) as stored:
        assert stored.mode == "P" and stored.size == (56, 56)
        np.testing.assert_array_equal(np.asarray(stored), indices)
        palette = np.asarray(stored.getpalette()[: 3 * MAP_LEVELS], np.uint8).reshape(-1, 3)
    np.testing.assert_array_equal(palette, lookup_table("jet", MAP_LEVELS))


def test_a_map_enlarged_then_coloured_by_the_browser_is_the_overlay_to_within_a_level_and_a_half():
    """What the page composes (the stored map's colours enlarged bilinearly, blended at 0.4) against the overlay
    the atlas drew before (the values enlarged, then coloured), on a smooth map of 7 x 7 cells."""
    from PIL import Image

    from generator.render.overlay import MAP_LEVELS, map_indices, overlay

    y, x = np.mgrid[0:7, 0:7]
    heatmap = np.exp(-((y - 2.0) ** 2 + (x - 4.0) ** 2) / 6.0).astype(np.float32)
    photo = np.random.default_rng(0).integers(0, 256, (224, 224, 3), dtype=np.uint8)
    colours = lookup_table("jet", MAP_LEVELS)[map_indices(heatmap)]
    enlarged = np.asarray(Image.fromarray(colours).resize((224, 224), Image.Resampling.BILINEAR), np.float32)
    composed = 0.6 * photo + 0.4 * enlarged
    assert np.abs(composed - overlay(photo, heatmap, 0.4)).mean() < 1.5  # measured 0.68; nearest-neighbour enlargement 7.2
    # Colouring the 7 x 7 cells first (no enlargement in value space) is what the minimum side prevents:
    raw = lookup_table("jet", MAP_LEVELS)[np.round(heatmap * (MAP_LEVELS - 1)).astype(np.uint8)]
    coarse = 0.6 * photo + 0.4 * np.asarray(Image.fromarray(raw).resize((224, 224), Image.Resampling.BILINEAR), np.float32)
    assert np.abs(coarse - overlay(photo, heatmap, 0.4)).mean() > np.abs(composed - overlay(photo, heatmap, 0.4)).mean()
