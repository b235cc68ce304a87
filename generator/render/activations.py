"""An activation grid: the first channels of one layer's output for one image, each in its own range, as tiles.

The compute stage hands over each channel already at the precision shown (``compute.activations.shown_levels``:
averaged down to the tile size, scaled to its own range, ``ACTIVATION_LEVELS`` steps). Here each step becomes one
of ``ACTIVATION_LEVELS`` viridis colours, and the gaps between tiles take one more: 256 colours in all, so the grid
is stored as a palette PNG (one byte a pixel, lossless), about a third of the bytes of the same picture as RGB.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from generator.plan.units import ACTIVATION_LEVELS, ACTIVATION_TILE
from generator.render.colormaps import lookup_table
from generator.render.encode import palette_png_bytes
from generator.render.mosaic import BACKGROUND, COLUMNS, tile_indices

GAP_INDEX = ACTIVATION_LEVELS
"""The palette index of the gaps between tiles (``mosaic.BACKGROUND``)."""


@cache
def palette() -> np.ndarray:
    """uint8 (256, 3): the ``ACTIVATION_LEVELS`` viridis colours, then the gap colour."""
    return np.concatenate([lookup_table("viridis", ACTIVATION_LEVELS), np.asarray([BACKGROUND], np.uint8)])


def enlarged(levels: np.ndarray, tile_size: int = ACTIVATION_TILE) -> np.ndarray:
    """uint8 (k, H, W): small maps enlarged by a whole factor (nearest neighbour) towards ``tile_size``, so that
    each unit stays a crisp square; maps already that large are left as they are."""
    levels = np.asarray(levels)
    if levels.ndim != 3 or levels.dtype != np.uint8:
        raise ValueError(f"expected uint8 levels shaped (channels, h, w), got {levels.dtype} {levels.shape}")
    repeat = max(1, tile_size // max(levels.shape[1], levels.shape[2]))
    return levels.repeat(repeat, axis=1).repeat(repeat, axis=2)


def activation_grid(levels: np.ndarray, columns: int = COLUMNS) -> np.ndarray:
    """uint8 RGB grid of (k, h, w) levels, ``columns`` channels per row."""
    return palette()[_grid_indices(levels, columns)]


def activation_png(levels: np.ndarray, columns: int = COLUMNS) -> bytes:
    """The grid of ``activation_grid`` as a palette PNG: the same pixels, a third of the bytes."""
    return palette_png_bytes(_grid_indices(levels, columns), palette())


def _grid_indices(levels: np.ndarray, columns: int) -> np.ndarray:
    return tile_indices(enlarged(levels), columns=columns, background=GAP_INDEX)
