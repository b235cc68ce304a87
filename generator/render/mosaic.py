"""Tile equally sized images into a grid: filter mosaics and activation grids."""

from __future__ import annotations

import math

import numpy as np

BACKGROUND = (24, 24, 27)
"""Opaque dark border: tiles read well on light and dark pages alike."""


def tile(images: np.ndarray, columns: int = 8, gap: int = 2, background: tuple[int, int, int] = BACKGROUND) -> np.ndarray:
    """uint8 (rows*h + gaps, columns*w + gaps, 3) grid of uint8 ``images`` (N, h, w, 3), row by row."""
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] != 3 or images.dtype != np.uint8:
        raise ValueError(f"expected uint8 images shaped (N, h, w, 3), got {images.dtype} {images.shape}")
    count, height, width, _ = images.shape
    columns = max(1, min(columns, count))
    rows = math.ceil(count / columns)
    canvas = np.empty((rows * height + (rows + 1) * gap, columns * width + (columns + 1) * gap, 3), np.uint8)
    canvas[...] = background
    for index, image in enumerate(images):
        row, column = divmod(index, columns)
        top, left = gap + row * (height + gap), gap + column * (width + gap)
        canvas[top : top + height, left : left + width] = image
    return canvas
