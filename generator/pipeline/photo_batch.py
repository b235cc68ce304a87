"""Photos as a network takes them: resized to its input, preprocessed, and padded to a full batch; each photo
prepared once per backbone for every unit kind that takes it.

Its own module because three kinds prepare their photos this way (the analysis, its heatmaps' scores and the
natural examples) and each kind's code hash is its module's import closure: here, this code is in all three,
and nothing else of any one of them is in the others'.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

import numpy as np

from generator.backbones import Backbone  # at run time on purpose: the networks' preprocessing is part of the code
import generator.photos.image  # noqa: F401  at run time on purpose: photos are resized by its code (the code hash)

if TYPE_CHECKING:
    from generator.photos.image import SourceImage

KEPT_BYTES = 256 * 2**20
"""The prepared photos one backbone keeps for the next kind (the most recent first): the atlas' photos at any
input size, and a large example set's last batches."""


class PreparedPhotos:
    """The photos of one backbone's build, each resized and preprocessed once: the analysis, the scores and the
    natural examples take the same photos in turn. Preprocessing is per pixel, so a photo prepared alone is the
    row it would be in any batch."""

    def __init__(self, kept_bytes: int = KEPT_BYTES) -> None:
        self.kept_bytes = kept_bytes
        self.prepared: OrderedDict[str, np.ndarray] = OrderedDict()
        self.made = 0
        """Photos prepared (not read from the kept ones): for the tests."""

    def batch(self, backbone: Backbone, images: list[SourceImage], size: int) -> np.ndarray:
        """The photos prepared for ``backbone``, padded with blank images to ``size``: measured on TensorFlow's
        CPU kernels, a photo's results then do not depend on which photos share its batch (see
        ``plan.units.IMAGE_BATCH``)."""
        rows = [self._photo(backbone, image) for image in images]
        if size > len(rows):
            rows += [self._blank(backbone, rows[0].dtype)] * (size - len(rows))
        return np.stack(rows)

    def _photo(self, backbone: Backbone, image: SourceImage) -> np.ndarray:
        key = image.sha256
        if key in self.prepared:
            self.prepared.move_to_end(key)
            return self.prepared[key]
        prepared = backbone.preprocess(image.resized(backbone.input_shape[:2])[None])[0]
        self.made += 1
        self.prepared[key] = prepared
        while sum(row.nbytes for row in self.prepared.values()) > self.kept_bytes and len(self.prepared) > 1:
            self.prepared.popitem(last=False)
        return prepared

    def _blank(self, backbone: Backbone, dtype: np.dtype) -> np.ndarray:
        height, width = backbone.input_shape[:2]
        return backbone.preprocess(np.zeros((1, height, width, 3), np.uint8))[0].astype(dtype, copy=False)
