"""The small base class every class-activation-map method implements.

A method turns one layer's activations A (N, h, w, C) and the gradients G = dS/dA of the explained class'
pre-softmax score S into a map (N, h, w). All methods share the one forward and backward pass of
``heatmaps.explain``, so choosing more of them costs no extra pass; each differs only in ``combine``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np


class CamMethod(ABC):
    name: str
    """Key in ``atlas.yml``'s ``cam`` list."""
    title: str
    """Shown on the pages."""
    reference: str
    """The paper, for the docstring reader and the pages."""

    @abstractmethod
    def combine(self, activations: np.ndarray, gradients: np.ndarray) -> np.ndarray:
        """The raw map (N, h, w), non-negative, before scaling."""

    def __call__(self, activations: np.ndarray, gradients: np.ndarray) -> np.ndarray:
        """The map scaled to [0, 1] per image (an all-zero map stays zero), float32."""
        return normalise(self.combine(np.asarray(activations), np.asarray(gradients)))


def normalise(maps: np.ndarray) -> np.ndarray:
    """Scale each map to [0, 1] by its own maximum; an all-zero map stays zero."""
    maps = np.asarray(maps, dtype=np.float32)
    peak = maps.max(axis=(1, 2), keepdims=True)
    return np.divide(maps, peak, out=np.zeros_like(maps), where=peak > 0)
