"""The area under a curve sampled at equal steps over [0, 1]: the faithfulness scores' one number per curve.

Its own module because both sides need it and neither should hash the other's code: the compute stage returns
each photo's areas with its curves, and the scores on the pages are areas of the stored curves averaged over
photos.
"""

from __future__ import annotations

import numpy as np


def area(curves: np.ndarray) -> np.ndarray:
    """Areas under curves sampled at equal steps over [0, 1] (the last axis), by the trapezoid rule."""
    curves = np.asarray(curves, dtype=np.float64)
    steps = curves.shape[-1] - 1
    return (curves[..., 1:] + curves[..., :-1]).sum(axis=-1) / (2 * steps)
