"""Tile equally sized images into a grid: filter mosaics (RGB) and activation grids (palette indices)."""

from __future__ import annotations

import math

import numpy as np

BACKGROUND = (24, 24, 27)
COLUMNS = 8
"""Tiles per row of a mosaic and of an activation grid: the pages say so (``LayerResult.grid_columns``)."""
"""Opaque dark border: tiles read well on light and dark pages alike."""


def tile(images: np.ndarray, columns: int = COLUMNS, gap: int = 2, background: tuple[int, int, int] = BACKGROUND) -> np.ndarray:
    """uint8 (rows*h + gaps, columns*w + gaps, 3) grid of uint8 ``images`` (N, h, w, 3), row by row."""
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] != 3 or images.dtype != np.uint8:
        raise ValueError(f"expected uint8 images shaped (N, h, w, 3), got {images.dtype} {images.shape}")
    return _grid(images, columns, gap, background)


def tile_indices(indices: np.ndarray, columns: int = COLUMNS, gap: int = 2, background: int = 255) -> np.ndarray:
    """``tile`` for palette images: uint8 (N, h, w) colour indices, the gaps filled with index ``background``."""
    indices = np.asarray(indices)
    if indices.ndim != 3 or indices.dtype != np.uint8:
        raise ValueError(f"expected uint8 colour indices shaped (N, h, w), got {indices.dtype} {indices.shape}")
    return _grid(indices, columns, gap, background)


def tile_place(index: int, count: int, height: int, width: int, columns: int = COLUMNS,
               gap: int = 2) -> tuple[int, int, int, int]:
    """(top, left) of image ``index`` of ``count`` in the grid ``tile`` makes, and the grid's (height, width):
    where pages find one filter's image in its layer's mosaic."""
    columns = max(1, min(columns, count))
    rows = math.ceil(count / columns)
    row, column = divmod(index, columns)
    return (gap + row * (height + gap), gap + column * (width + gap),
            rows * height + (rows + 1) * gap, columns * width + (columns + 1) * gap)


def _grid(images: np.ndarray, columns: int, gap: int, background) -> np.ndarray:
    count, height, width = images.shape[:3]
    *_, canvas_height, canvas_width = tile_place(0, count, height, width, columns, gap)
    canvas = np.empty((canvas_height, canvas_width, *images.shape[3:]), np.uint8)
    canvas[...] = background
    for index, image in enumerate(images):
        top, left, *_ = tile_place(index, count, height, width, columns, gap)
        canvas[top : top + height, left : left + width] = image
    return canvas
