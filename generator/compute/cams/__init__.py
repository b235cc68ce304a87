"""Class-activation-map methods, one per module behind ``CamMethod`` (the cut tf-keras-vis uses)."""

from generator.compute.cams.base import CamMethod, normalise
from generator.compute.cams.gradcam import GradCam
from generator.compute.cams.gradcam_plus_plus import GradCamPlusPlus
from generator.compute.cams.hirescam import HiResCam
from generator.compute.cams.layercam import LayerCam

METHODS: dict[str, CamMethod] = {method.name: method for method in (GradCam(), GradCamPlusPlus(), LayerCam(), HiResCam())}
"""Method name (as in ``atlas.yml``'s ``cam`` list) to method."""

__all__ = ["METHODS", "CamMethod", "normalise"]
