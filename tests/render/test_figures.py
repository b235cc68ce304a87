"""Mosaics, activation grids and encodings: shapes, layout, and identical bytes for identical pixels."""

import io

import numpy as np
from PIL import Image

from generator.render.activations import activation_grid
from generator.render.encode import jpeg_bytes, png_bytes
from generator.render.mosaic import BACKGROUND, tile


def test_mosaic_is_eight_wide_in_row_order():
    images = np.stack([np.full((4, 4, 3), i, np.uint8) for i in range(10)])
    grid = tile(images, columns=8, gap=1)
    assert grid.shape == (2 * 4 + 3, 8 * 4 + 9, 3)
    assert (grid[1, 1] == 0).all() and (grid[1, 1 + 7 * 5] == 7).all() and (grid[6, 1 + 5] == 9).all()
    assert tuple(grid[6, 1 + 2 * 5]) == BACKGROUND  # the empty cells of the last row


def test_activation_grid_scales_each_channel_to_its_own_range():
    activation = np.zeros((7, 7, 70), np.float32)
    activation[..., 1] = np.arange(49).reshape(7, 7) * 1000.0
    activation[..., 2] = np.arange(49).reshape(7, 7) * 0.001
    grid = activation_grid(activation, channels=64)
    tile_side = 7 * (64 // 7)
    assert grid.shape == (8 * tile_side + 9 * 2, 8 * tile_side + 9 * 2, 3)
    second = grid[2 : 2 + tile_side, 2 + tile_side + 2 : 2 + 2 * tile_side + 2]
    third = grid[2 : 2 + tile_side, 2 + 2 * (tile_side + 2) : 2 + 3 * tile_side + 4]
    np.testing.assert_array_equal(second, third)


def test_encodings_are_deterministic_and_carry_no_metadata():
    pixels = np.random.default_rng(0).integers(0, 256, (8, 8, 3), dtype=np.uint8)
    assert png_bytes(pixels) == png_bytes(pixels.copy())
    assert jpeg_bytes(pixels) == jpeg_bytes(pixels.copy())
    png = Image.open(io.BytesIO(png_bytes(pixels)))
    assert not {"tIME", "date:create", "Software"} & set(png.info)
    np.testing.assert_array_equal(np.asarray(png), pixels)
    assert b"Exif" not in jpeg_bytes(pixels)


def test_contrast_stretch_fills_the_range_and_leaves_flat_tiles_alone():
    from generator.render.contrast import stretch

    faint = (118 + np.random.default_rng(0).integers(0, 20, (1, 16, 16, 3))).astype(np.uint8)
    flat = np.full((1, 16, 16, 3), 128, np.uint8)
    stretched = stretch(np.concatenate([faint, flat]))
    assert stretched[0].min() == 0 and stretched[0].max() == 255
    np.testing.assert_array_equal(stretched[1], flat[0])
    # Order is kept: a brighter pixel stays at least as bright.
    order = np.argsort(faint[0].ravel(), kind="stable")
    assert np.all(np.diff(stretched[0].ravel()[order].astype(int)) >= 0)
