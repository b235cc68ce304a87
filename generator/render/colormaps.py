"""Colour maps as 256-entry lookup tables, so colouring an array is one indexing operation."""

from __future__ import annotations

from functools import cache

import numpy as np


@cache
def lookup_table(name: str, levels: int = 256) -> np.ndarray:
    """uint8 (levels, 3) table of matplotlib colour map ``name`` (``viridis``, ``jet``...), sampled evenly."""
    from matplotlib import colormaps

    colours = colormaps[name](np.linspace(0.0, 1.0, levels))[:, :3]
    return np.round(colours * 255.0).astype(np.uint8)


def apply_colormap(values: np.ndarray, name: str) -> np.ndarray:
    """uint8 RGB (..., 3) of ``values`` in [0, 1] (clipped; NaN counts as 0)."""
    values = np.nan_to_num(np.asarray(values, dtype=np.float32))  # NaN to 0
    indices = np.round(np.clip(values, 0.0, 1.0) * 255.0).astype(np.intp)
    return lookup_table(name)[indices]
