"""Per-image contrast stretch for display of filter visualisations.

A few dozen optimisation steps leave the images close to the grey they started from; the structure is there
but faint. Stretching each image's 1st-99th percentile to the full range makes it readable. It is applied when
the mosaic is drawn, never to the computed arrays, and the pages say so.
"""

from __future__ import annotations

import numpy as np

MIN_SPAN = 8.0
"""An image whose values span less than this (a filter that never moved from grey) is left as it is."""


def stretch(images: np.ndarray, low: float = 1.0, high: float = 99.0) -> np.ndarray:
    """uint8 (N, h, w, 3): each image's ``low``-``high`` percentile range mapped to 0..255."""
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim != 4:
        raise ValueError(f"expected uint8 images shaped (N, h, w, 3), got {images.dtype} {images.shape}")
    result = np.empty_like(images)
    for index, image in enumerate(images.astype(np.float32)):
        bottom, top = np.percentile(image, [low, high])
        if top - bottom < MIN_SPAN:
            result[index] = images[index]
            continue
        result[index] = np.clip(np.round((image - bottom) * (255.0 / (top - bottom))), 0, 255).astype(np.uint8)
    return result
