"""A heatmap laid over its photograph: the map alone as a small palette image, and the blend it stands for.

Pages compose each heatmap in the browser: the photo (stored once, at display size) with the method's map laid
over it at CSS opacity ``alpha``, stretched to the photo's box and smoothed by the browser's upscaling. That is the
convex blend ``(1 - alpha) * photo + alpha * colormap(map)`` that ``overlay`` computes, at a tenth of the bytes of
a blended JPEG per method (benchmarks/README.md). ``overlay`` stays the reference the browser test compares with.

The browser interpolates colours, not values: between two map cells of 0.1 and 0.9, jet's blue and red would
meet in purple where the value-space blend passes through green. So a small map is first enlarged in value space
to at least ``MAP_MIN_SIDE`` pixels; neighbouring pixels then differ by a fraction of a colour step, and
colour interpolation between them is value interpolation to within about 2/255 on average (measured on 122 real
maps of 7 to 112 px, composed at 448 px).
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

from generator.render.colormaps import apply_colormap, lookup_table
from generator.render.encode import palette_png_bytes

MAP_MIN_SIDE = 56
"""A map smaller than this is enlarged (bilinear, in value space) by the smallest whole factor that reaches it."""
MAP_LEVELS = 64
"""Colours of the map's palette: at opacity 0.4 over a photo and smoothed by the browser, 64 steps of jet blend
with the reference to within 1.7/255 on average, at 57 % of the bytes of 256 steps."""
MAP_COLORMAP = "jet"


def resize_map(heatmap: np.ndarray, height: int, width: int) -> np.ndarray:
    """Bilinear resize of a float map to (height, width)."""
    image = Image.fromarray(np.asarray(heatmap, dtype=np.float32), mode="F")
    return np.asarray(image.resize((width, height), Image.Resampling.BILINEAR), dtype=np.float32)


def overlay(photo: np.ndarray, heatmap: np.ndarray, alpha: float = 0.4, colormap: str = "jet") -> np.ndarray:
    """uint8 (H, W, 3): ``(1 - alpha) * photo + alpha * colormap(heatmap)``; heatmap (h, w) in [0, 1]."""
    photo = np.asarray(photo)
    if photo.dtype != np.uint8 or photo.ndim != 3 or photo.shape[-1] != 3:
        raise ValueError(f"expected a uint8 RGB photo shaped (H, W, 3), got {photo.dtype} {photo.shape}")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be within [0, 1], got {alpha}")
    colour = apply_colormap(resize_map(heatmap, photo.shape[0], photo.shape[1]), colormap).astype(np.float32)
    blended = (1.0 - alpha) * photo.astype(np.float32) + alpha * colour
    return np.clip(np.round(blended), 0, 255).astype(np.uint8)


def map_indices(heatmap: np.ndarray, min_side: int = MAP_MIN_SIDE, levels: int = MAP_LEVELS) -> np.ndarray:
    """uint8 (H, W) palette indices of a map (h, w) in [0, 1], enlarged by a whole factor to at least ``min_side``.

    A whole factor keeps every cell the same size, so the map still lines up with the photo when stretched over it.
    """
    heatmap = np.nan_to_num(np.asarray(heatmap, dtype=np.float32))
    if heatmap.ndim != 2:
        raise ValueError(f"expected a map shaped (h, w), got {heatmap.shape}")
    factor = max(1, math.ceil(min_side / min(heatmap.shape)))
    if factor > 1:
        heatmap = resize_map(heatmap, heatmap.shape[0] * factor, heatmap.shape[1] * factor)
    return np.round(np.clip(heatmap, 0.0, 1.0) * (levels - 1)).astype(np.uint8)


def map_png(heatmap: np.ndarray, min_side: int = MAP_MIN_SIDE, levels: int = MAP_LEVELS,
            colormap: str = MAP_COLORMAP) -> bytes:
    """The map as a palette PNG of ``levels`` colours of ``colormap``, for the browser to lay over its photo."""
    return palette_png_bytes(map_indices(heatmap, min_side, levels), lookup_table(colormap, levels))
