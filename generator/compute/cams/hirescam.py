"""HiResCAM: element-wise gradient times activation; faithful to what the score actually uses."""

import numpy as np

from generator.compute.cams.base import CamMethod


class HiResCam(CamMethod):
    name, title = "hirescam", "HiResCAM"
    reference = "Draelos & Carin, HiResCAM, 2020"

    def combine(self, activations: np.ndarray, gradients: np.ndarray) -> np.ndarray:
        return np.maximum((gradients * activations).sum(axis=-1), 0.0)
