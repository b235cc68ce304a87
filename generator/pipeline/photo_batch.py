"""Photos as a network takes them: resized to its input, preprocessed, and padded to a full batch.

Its own module because three units prepare their photos this way (the analysis, its heatmaps' scores and the
natural examples) and each unit's code hash is its module's import closure: here, this code is in all three,
and nothing else of any one of them is in the others'.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from generator.backbones import Backbone  # at run time on purpose: the networks' preprocessing is part of the code
import generator.images  # noqa: F401  at run time on purpose: photos are resized by its code (the code hash)

if TYPE_CHECKING:
    from generator.images import SourceImage


def padded_batch(backbone: Backbone, images: list[SourceImage], size: int) -> np.ndarray:
    """The photos resized and preprocessed for ``backbone``, padded with blank images to ``size``: measured on
    TensorFlow's CPU kernels, a photo's results then do not depend on which photos share its batch (see
    ``plan.units.IMAGE_BATCH``)."""
    pixels = np.stack([image.resized(backbone.input_shape[:2]) for image in images])
    blanks = np.zeros((size - len(images), *pixels.shape[1:]), pixels.dtype)
    return backbone.preprocess(np.concatenate([pixels, blanks]))
