"""LayerCAM: every position weighted by its own positive gradient; sharper than Grad-CAM in early layers."""

import numpy as np

from generator.compute.cams.base import CamMethod


class LayerCam(CamMethod):
    name, title = "layercam", "LayerCAM"
    reference = "Jiang et al., LayerCAM, IEEE TIP 2021"

    def combine(self, activations: np.ndarray, gradients: np.ndarray) -> np.ndarray:
        return np.maximum((np.maximum(gradients, 0.0) * activations).sum(axis=-1), 0.0)
