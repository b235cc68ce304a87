"""A heatmap laid over its photograph.

The blend is a convex combination in floating point, rounded and clipped once: the result is always within
0..255 and the photograph stays visible under the colour (adding two 0..255 images and scaling the sum would
wrap around and wash the photo out).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from generator.render.colormaps import apply_colormap


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
