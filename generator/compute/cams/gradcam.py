"""Grad-CAM: channels weighted by their spatially averaged gradient."""

import numpy as np

from generator.compute.cams.base import CamMethod


class GradCam(CamMethod):
    name, title = "gradcam", "Grad-CAM"
    reference = "Selvaraju et al., Grad-CAM, ICCV 2017"

    def combine(self, activations: np.ndarray, gradients: np.ndarray) -> np.ndarray:
        weights = gradients.mean(axis=(1, 2), keepdims=True)
        return np.maximum((weights * activations).sum(axis=-1), 0.0)
