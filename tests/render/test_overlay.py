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
