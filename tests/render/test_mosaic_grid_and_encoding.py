"""Mosaics, activation grids and encodings: shapes, layout, and identical bytes for identical pixels."""

import io

import numpy as np
import pytest
from PIL import Image

from generator.compute.activations import shown_levels
from generator.plan.units import ACTIVATION_LEVELS
from generator.render.activations import activation_grid, enlarged, palette
from generator.render.contrast import stretch
from generator.render.encode import jpeg_bytes, png_bytes, webp_thumbnail
from generator.render.mosaic import BACKGROUND, tile


def levels_of(activation: np.ndarray, channels: int = 64) -> np.ndarray:
    """What the compute stage stores for an activation grid (see tests/compute for its own tests)."""
    return shown_levels(activation, channels, 64, ACTIVATION_LEVELS)


def channel_tiles(activation: np.ndarray, channels: int = 64) -> np.ndarray:
    return palette()[enlarged(levels_of(activation, channels))]


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
    grid = activation_grid(levels_of(activation, channels=64))
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


def test_every_tile_of_a_three_row_mosaic_sits_where_the_gap_puts_it():
    images = np.stack([np.full((3, 5, 3), i + 1, np.uint8) for i in range(7)])
    grid = tile(images, columns=3, gap=2)
    assert grid.shape == (3 * 3 + 4 * 2, 3 * 5 + 4 * 2, 3) and grid.dtype == np.uint8
    for index in range(7):
        row, column = divmod(index, 3)
        top, left = 2 + row * (3 + 2), 2 + column * (5 + 2)
        assert (grid[top : top + 3, left : left + 5] == index + 1).all(), index
    assert tuple(grid[0, 0]) == BACKGROUND and tuple(grid[2 + 2 * 5, 2 + 7]) == BACKGROUND


def test_a_mosaic_is_eight_wide_by_default_and_one_image_is_one_column():
    assert tile(np.zeros((9, 4, 4, 3), np.uint8), gap=0).shape == (8, 32, 3)
    assert tile(np.zeros((1, 4, 4, 3), np.uint8), gap=0).shape == (4, 4, 3)


@pytest.mark.parametrize(
    "images",
    [np.zeros((2, 4, 4), np.uint8), np.zeros((2, 4, 4, 4), np.uint8), np.zeros((2, 4, 4, 3), np.float32)],
    ids=["no channels", "four channels", "floats"],
)
def test_a_mosaic_refuses_anything_but_uint8_rgb_images_and_says_what_it_got(images):
    with pytest.raises(ValueError, match=rf"expected uint8 images shaped \(N, h, w, 3\), got {images.dtype} "):
        tile(images)


def test_activation_tiles_colour_each_level_with_its_viridis_step_and_the_extremes_are_viridis_ends():
    from generator.render.colormaps import lookup_table

    levels = np.arange(64, dtype=np.uint8).reshape(1, 8, 8) * 4
    tiles = palette()[enlarged(levels, tile_size=8)]
    viridis = lookup_table("viridis", ACTIVATION_LEVELS)
    np.testing.assert_array_equal(tiles[0], viridis[levels[0]])
    assert viridis[0].tolist() == lookup_table("viridis")[0].tolist() and viridis[-1].tolist() == lookup_table("viridis")[-1].tolist()
    assert palette()[ACTIVATION_LEVELS].tolist() == list(BACKGROUND)  # the one entry left is the gap between tiles


def test_the_activation_png_holds_exactly_the_grids_pixels_in_one_byte_each():
    import io

    from PIL import Image

    from generator.render.activations import activation_png

    activation = np.random.default_rng(1).normal(size=(20, 20, 70)).astype(np.float32)
    grid = activation_grid(levels_of(activation))
    with Image.open(io.BytesIO(activation_png(levels_of(activation)))) as picture:
        assert picture.mode == "P"
        np.testing.assert_array_equal(np.asarray(picture.convert("RGB")), grid)
    assert tuple(grid[0, 0]) == BACKGROUND and len(np.unique(grid.reshape(-1, 3), axis=0)) <= 256
    assert len(activation_png(levels_of(activation))) < len(png_bytes(grid)) / 2


def test_activation_tiles_are_enlarged_by_a_whole_factor_of_the_longer_side_and_large_maps_averaged_down():
    assert channel_tiles(np.zeros((7, 7, 2), np.float32)).shape == (2, 63, 63, 3)  # 64 // 7 = 9
    assert channel_tiles(np.zeros((13, 13, 1), np.float32)).shape == (1, 52, 52, 3)  # 64 // 13 = 4
    assert channel_tiles(np.zeros((8, 4, 1), np.float32)).shape == (1, 64, 32, 3)  # by the longer side
    assert channel_tiles(np.zeros((40, 40, 1), np.float32)).shape == (1, 40, 40, 3)  # never by 2 past the tile
    assert channel_tiles(np.zeros((112, 112, 1), np.float32)).shape == (1, 56, 56, 3)  # averaged down by 2
    assert channel_tiles(np.zeros((224, 224, 1), np.float32)).shape == (1, 56, 56, 3)  # by 4
    assert channel_tiles(np.zeros((147, 147, 1), np.float32)).shape == (1, 49, 49, 3)  # by 3
    assert channel_tiles(np.zeros((2, 2, 100), np.float32)).shape[0] == 64  # the first 64 channels by default


def test_activation_levels_must_be_uint8_shaped_channels_first():
    with pytest.raises(ValueError, match=r"expected uint8 levels shaped \(channels, h, w\), got float32"):
        enlarged(np.zeros((2, 4, 4), np.float32))
    with pytest.raises(ValueError, match=r"got uint8 \(4, 4\)"):
        enlarged(np.zeros((4, 4), np.uint8))


def test_an_activation_grid_shows_the_channels_and_columns_it_is_asked_for():
    activation = np.random.default_rng(0).uniform(0, 1, (4, 4, 80)).astype(np.float32)
    assert activation_grid(levels_of(activation)).shape == (8 * 64 + 9 * 2, 8 * 64 + 9 * 2, 3)  # 64 channels, 8 a row
    assert activation_grid(levels_of(activation, channels=6), columns=3).shape == (2 * 64 + 3 * 2, 3 * 64 + 4 * 2, 3)


def test_the_contrast_stretch_maps_the_1st_and_99th_percentiles_to_black_and_white():
    values = np.arange(101, dtype=np.uint8) + 100  # 100..200: the 1st percentile is 101 and the 99th 199
    images = np.repeat(values.reshape(1, 101, 1, 1), 3, axis=-1)
    stretched = stretch(images)[0, :, 0, 0]
    expected = np.clip(np.round((values.astype(float) - 101) * 255.0 / 98.0), 0, 255)
    np.testing.assert_array_equal(stretched, expected)
    assert stretched[0] == 0 and stretched[-1] == 255  # below and above the range are clipped, not wrapped


def test_the_contrast_stretch_leaves_spans_under_eight_alone_and_stretches_a_span_of_eight():
    flat = np.repeat(np.array([120, 121, 122, 123, 124, 125, 126, 127], np.uint8).reshape(1, 8, 1, 1), 3, axis=-1)
    wide = np.repeat(np.linspace(100, 108, 101).round().astype(np.uint8).reshape(1, 101, 1, 1), 3, axis=-1)
    assert stretch(flat).tobytes() == flat.tobytes()  # a span of 7 after the percentiles
    stretched = stretch(np.concatenate([wide[:, :8], wide[:, -8:]], axis=1))
    assert stretched.min() == 0 and stretched.max() == 255
    both = stretch(np.concatenate([flat, np.repeat(np.arange(0, 256, 32, dtype=np.uint8).reshape(1, 8, 1, 1), 3, -1)]))
    assert both[1].min() == 0 and both[1].max() == 255  # a flat image before it does not stop the loop


@pytest.mark.parametrize("images", [np.zeros((2, 4, 4, 3), np.float32), np.zeros((4, 4, 3), np.uint8)], ids=["floats", "one image"])
def test_the_contrast_stretch_refuses_anything_but_a_uint8_batch(images):
    with pytest.raises(ValueError, match=rf"expected uint8 images shaped \(N, h, w, 3\), got {images.dtype}"):
        stretch(images)


def test_png_is_zlib_level_6_without_optimisation_and_jpeg_is_baseline_444_at_quality_88():
    """The settings are part of the bytes every cache key promises: restated here as Pillow calls."""
    pixels = np.random.default_rng(1).integers(0, 256, (24, 40, 3), dtype=np.uint8)
    png = io.BytesIO()
    Image.fromarray(pixels).save(png, format="PNG", compress_level=6, optimize=False)
    assert png_bytes(pixels) == png.getvalue()
    jpeg = io.BytesIO()
    Image.fromarray(pixels).save(jpeg, format="JPEG", quality=88, optimize=False, progressive=False, subsampling=0)
    assert jpeg_bytes(pixels) == jpeg.getvalue()
    decoded = Image.open(io.BytesIO(jpeg_bytes(pixels)))
    assert [sampling[1:3] for sampling in decoded.layer] == [(1, 1)] * 3 and not decoded.info.get("progressive")


def test_encoders_refuse_pixels_that_are_not_uint8_and_say_what_they_got():
    for encode in (png_bytes, jpeg_bytes):
        with pytest.raises(TypeError, match="^expected uint8 pixels, got float64$"):
            encode(np.zeros((2, 2, 3)))


@pytest.mark.parametrize(
    "size,expected", [((640, 100), (320, 50)), ((642, 100), (214, 34)), ((700, 90), (234, 30)), ((200, 120), (200, 120))]
)
def test_a_thumbnail_is_reduced_by_a_whole_factor_to_at_most_320_px(size, expected):
    pixels = np.random.default_rng(2).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    data = webp_thumbnail(pixels)
    picture = Image.open(io.BytesIO(data))
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP" and picture.size == expected
    reference = io.BytesIO()
    factor = -(-max(size) // 320)
    source = Image.fromarray(pixels)
    (source.reduce(factor) if factor > 1 else source).save(reference, format="WEBP", quality=82, method=6)
    assert data == reference.getvalue()  # lossy at quality 82, method 6: the settings are part of the bytes
    assert "exif" not in picture.info and "icc_profile" not in picture.info


def test_a_thumbnail_can_be_asked_smaller():
    picture = Image.open(io.BytesIO(webp_thumbnail(np.zeros((100, 400, 3), np.uint8), max_side=100)))
    assert picture.size == (100, 25)


def test_a_mosaic_as_webp_is_the_same_bytes_each_time_close_to_the_pixels_and_far_smaller_than_png():
    import io

    from PIL import Image

    from generator.render.encode import webp_bytes

    rng = np.random.default_rng(2)
    texture = np.clip(rng.normal(128, 40, (16, 64, 64, 3)).cumsum(axis=2) / 8 + 64, 0, 255).astype(np.uint8)
    mosaic = tile(texture)
    encoded = webp_bytes(mosaic)
    assert encoded == webp_bytes(mosaic.copy()) and encoded[:4] == b"RIFF" and encoded[8:12] == b"WEBP"
    decoded = np.asarray(Image.open(io.BytesIO(encoded)).convert("RGB"), dtype=float)
    assert decoded.shape == mosaic.shape and np.abs(decoded - mosaic).mean() < 6
    assert len(encoded) < len(png_bytes(mosaic)) / 2
