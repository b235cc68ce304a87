"""An activation grid: the first channels of one layer's output for one image, each scaled to its own range."""

from __future__ import annotations

import numpy as np

from generator.render.colormaps import apply_colormap
from generator.render.mosaic import tile


def channel_tiles(activation: np.ndarray, channels: int = 64, tile_size: int = 64) -> np.ndarray:
    """uint8 (k, tile_size, tile_size, 3) viridis tiles of the first ``channels`` channels of (h, w, C)."""
    activation = np.asarray(activation, dtype=np.float32)[..., :channels]
    low = activation.min(axis=(0, 1))
    span = activation.max(axis=(0, 1)) - low
    scaled = np.divide(activation - low, span, out=np.zeros_like(activation), where=span > 0)
    coloured = apply_colormap(np.moveaxis(scaled, -1, 0), "viridis")  # (k, h, w, 3)
    repeat = max(1, tile_size // max(activation.shape[0], activation.shape[1]))
    return coloured.repeat(repeat, axis=1).repeat(repeat, axis=2)


def activation_grid(activation: np.ndarray, channels: int = 64, columns: int = 8) -> np.ndarray:
    """uint8 RGB grid, ``columns`` channels per row (nearest-neighbour upscaling keeps unit boundaries crisp)."""
    return tile(channel_tiles(activation, channels), columns=columns)
