"""An activation grid: the first channels of one layer's output for one image, each scaled to its own range.

Each channel is coloured with one of ``LEVELS`` viridis colours, and the gaps between tiles take one more: 256
colours in all, so the grid is stored as a palette PNG (one byte a pixel, lossless), about a third of the bytes
of the same picture as RGB.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from generator.render.colormaps import lookup_table
from generator.render.encode import palette_png_bytes
from generator.render.mosaic import BACKGROUND, tile_indices

LEVELS = 255
"""Viridis colours a channel is drawn with: 0 at the channel's minimum, ``LEVELS - 1`` at its maximum."""
GAP_INDEX = LEVELS
"""The palette index of the gaps between tiles (``mosaic.BACKGROUND``)."""


@cache
def palette() -> np.ndarray:
    """uint8 (256, 3): the ``LEVELS`` viridis colours, then the gap colour."""
    return np.concatenate([lookup_table("viridis", LEVELS), np.asarray([BACKGROUND], np.uint8)])


def channel_indices(activation: np.ndarray, channels: int = 64, tile_size: int = 64) -> np.ndarray:
    """uint8 (k, tile_size, tile_size) palette indices of the first ``channels`` channels of (h, w, C).

    Small maps are enlarged by a whole factor (nearest neighbour), so each unit stays a crisp square.
    """
    activation = np.asarray(activation, dtype=np.float32)[..., :channels]
    low = activation.min(axis=(0, 1))
    span = activation.max(axis=(0, 1)) - low
    scaled = np.divide(activation - low, span, out=np.zeros_like(activation), where=span > 0)
    indices = np.round(np.clip(np.moveaxis(scaled, -1, 0), 0.0, 1.0) * (LEVELS - 1)).astype(np.uint8)  # (k, h, w)
    repeat = max(1, tile_size // max(activation.shape[0], activation.shape[1]))
    return indices.repeat(repeat, axis=1).repeat(repeat, axis=2)


def channel_tiles(activation: np.ndarray, channels: int = 64, tile_size: int = 64) -> np.ndarray:
    """uint8 (k, tile_size, tile_size, 3) viridis tiles of the first ``channels`` channels of (h, w, C)."""
    return palette()[channel_indices(activation, channels, tile_size)]


def activation_grid(activation: np.ndarray, channels: int = 64, columns: int = 8) -> np.ndarray:
    """uint8 RGB grid, ``columns`` channels per row (nearest-neighbour upscaling keeps unit boundaries crisp)."""
    return palette()[_grid_indices(activation, channels, columns)]


def activation_png(activation: np.ndarray, channels: int = 64, columns: int = 8) -> bytes:
    """The grid of ``activation_grid`` as a palette PNG: the same pixels, a third of the bytes."""
    return palette_png_bytes(_grid_indices(activation, channels, columns), palette())


def _grid_indices(activation: np.ndarray, channels: int, columns: int) -> np.ndarray:
    return tile_indices(channel_indices(activation, channels), columns=columns, background=GAP_INDEX)
