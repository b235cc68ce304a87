"""A unit's crops: the photo over the field box, grey past its border, the response laid over only where the unit
responds and only on the photo."""

import io

import numpy as np
from PIL import Image

from generator.render.colormaps import apply_colormap
from generator.render.unit_crops import OUTSIDE, OVERLAY_ALPHA, OVERLAY_COLOURS, Crop, crop_image, unit_strip

RED, BLUE = (200, 30, 30), (30, 30, 200)


def _photo() -> np.ndarray:
    """400 x 400: red on the left half, blue on the right."""
    photo = np.zeros((400, 400, 3), np.uint8)
    photo[:, :200], photo[:, 200:] = RED, BLUE
    return photo


def _silent(side: int = 9) -> np.ndarray:
    return np.zeros((side, side), np.uint8)


def test_a_crop_shows_the_photo_inside_its_box_and_grey_past_the_border():
    crop = crop_image(Crop(_photo(), (100.0, 0.0, 200.0, 200.0), _silent()), 64)  # the red half's middle
    assert np.abs(crop[4:-4, 4:-4].astype(int) - RED).max() <= 2
    corner = crop_image(Crop(_photo(), (-200.0, -200.0, 400.0, 400.0), _silent()), 64)  # centred on the top-left corner
    assert np.abs(corner[:28, :28].astype(int) - OUTSIDE).max() <= 2  # above and left of the photo
    assert np.abs(corner[36:, 36:58].astype(int) - RED).max() <= 2  # the photo's top-left quarter (blue from x = 200)
    straddle = crop_image(Crop(_photo(), (0.0, 100.0, 200.0, 200.0), _silent()), 64)  # across the colour edge
    assert np.abs(straddle[32, :28].astype(int) - RED).max() <= 2 and np.abs(straddle[32, 36:].astype(int) - BLUE).max() <= 2


def test_the_response_tints_the_photo_where_the_unit_responds_and_never_the_grey_outside():
    patch = _silent()
    patch[:, 5:] = 255  # the unit responds on the right of its field only
    crop = crop_image(Crop(_photo(), (-200.0, 0.0, 400.0, 200.0), patch), 64)  # the top half of the box is outside
    tint = apply_colormap(np.ones(1), OVERLAY_COLOURS)[0]
    expected = np.round(np.array(RED) * (1 - OVERLAY_ALPHA) + tint * OVERLAY_ALPHA)
    assert np.abs(crop[50, 60].astype(int) - expected).max() <= 3  # on the photo, where it responds
    assert np.abs(crop[50, 4].astype(int) - RED).max() <= 2  # on the photo, where it is silent
    assert np.abs(crop[4, 60].astype(int) - OUTSIDE).max() <= 2  # outside: grey, untinted


def test_a_strip_puts_the_crops_side_by_side_strongest_first():
    crops = [Crop(_photo(), (100.0, 0.0, 200.0, 200.0), _silent()), Crop(_photo(), (100.0, 200.0, 200.0, 200.0), _silent())]
    strip = np.asarray(Image.open(io.BytesIO(unit_strip(crops, 32))).convert("RGB"))
    assert strip.shape == (32 + 4, 2 * 32 + 6, 3)  # 2 px gaps around and between
    assert np.abs(strip[18, 18].astype(int) - RED).max() <= 12 and np.abs(strip[18, 52].astype(int) - BLUE).max() <= 12
