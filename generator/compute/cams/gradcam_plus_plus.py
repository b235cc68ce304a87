"""Grad-CAM++: channel weights from pixel-wise weighted positive gradients (closed form for exp(score)).

It handles several instances of a class in one image better than Grad-CAM's plain average.
"""

import numpy as np

from generator.compute.cams.base import CamMethod


class GradCamPlusPlus(CamMethod):
    name, title = "gradcam++", "Grad-CAM++"
    reference = "Chattopadhyay et al., Grad-CAM++, WACV 2018"

    def combine(self, activations: np.ndarray, gradients: np.ndarray) -> np.ndarray:
        squared, cubed = gradients**2, gradients**3
        denominator = 2.0 * squared + activations.sum(axis=(1, 2), keepdims=True) * cubed
        alpha = np.divide(squared, denominator, out=np.zeros_like(squared), where=denominator != 0.0)
        weights = (alpha * np.maximum(gradients, 0.0)).sum(axis=(1, 2), keepdims=True)
        return np.maximum((weights * activations).sum(axis=-1), 0.0)
