"""The natural examples of one layer's units as a plain value: per unit its strongest responses and its statistics
over the photos, and the exact merge of two lists over disjoint photos.

Its own module, apart from the search (``compute.examples``), because the drawing reads it and never imports
``compute/``. Candidates are ordered by value, then image index, row and column (lower first): a total order, so
merging the top-``k`` lists of disjoint photo sets (shards, cached photo groups) gives exactly the top-``k`` of
their union.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np


@dataclass(frozen=True)
class TopExamples:
    """Per channel of one layer, its ``k`` strongest responses, strongest first; unused slots hold value -inf and
    image index -1 (fewer candidates than ``k``)."""

    values: np.ndarray
    """float32 (channels, k), decreasing."""
    image_index: np.ndarray
    """int64 (channels, k): which photo, as indexed by the caller (``first_index`` onwards)."""
    y: np.ndarray
    """int32 (channels, k): the row in the layer's own output grid."""
    x: np.ndarray
    """int32 (channels, k)."""
    photos: int = 0
    """Photos the statistics below are over (0 for a bare list of candidates)."""
    response_sum: np.ndarray | None = None
    """float64 (channels,): the sum over the photos of each channel's strongest response in the photo."""
    fired: np.ndarray | None = None
    """int64 (channels,): on how many photos each channel's strongest response is above 0."""
    patches: np.ndarray | None = None
    """uint8 (channels, k, side, side): each example's response map sampled over the unit's receptive field
    (``field_box``), as a fraction of the example's value (255: the value itself); None when not asked for."""

    @property
    def k(self) -> int:
        return self.values.shape[1]

    @property
    def mean_response(self) -> np.ndarray:
        """Per channel, the mean over the photos of its strongest response in each."""
        return self.response_sum / max(self.photos, 1)

    @property
    def fire_fraction(self) -> np.ndarray:
        """Per channel, the fraction of the photos on which it fires (responds above 0 somewhere)."""
        return self.fired / max(self.photos, 1)

    @property
    def dead(self) -> np.ndarray:
        """Per channel, whether it never fired on the set."""
        return self.fired == 0

    @classmethod
    def empty(cls, channels: int, k: int, patch: int = 0, counted: bool = False) -> "TopExamples":
        """No examples yet; ``counted``: with statistics over no photos, for photo sets to be merged into."""
        empty = cls(np.full((channels, k), -np.inf, np.float32), np.full((channels, k), -1, np.int64),
                    np.zeros((channels, k), np.int32), np.zeros((channels, k), np.int32),
                    patches=np.zeros((channels, k, patch, patch), np.uint8) if patch else None)
        return replace(empty, response_sum=np.zeros(channels), fired=np.zeros(channels, np.int64)) if counted else empty

    def renumbered(self, numbers: np.ndarray) -> "TopExamples":
        """The same examples with image index i replaced by ``numbers[i]`` (empty slots stay -1): from a photo
        group's own numbering to the whole set's."""
        numbers = np.asarray(numbers, np.int64)
        return replace(self, image_index=np.where(self.image_index < 0, -1, numbers[np.maximum(self.image_index, 0)]))


def merge(first: TopExamples, second: TopExamples, k: int | None = None) -> TopExamples:
    """The top ``k`` (default: ``first``'s) of both lists, by value, then image index, row, column; with the
    statistics of both photo sets added (lists of disjoint photos, such as two shards')."""
    k = k or first.k
    values = np.concatenate([first.values, second.values], axis=1)
    images = np.concatenate([first.image_index, second.image_index], axis=1)
    ys = np.concatenate([first.y, second.y], axis=1)
    xs = np.concatenate([first.x, second.x], axis=1)
    # empty slots (index -1) sort after every real candidate whatever their value
    missing = images < 0
    order = np.lexsort((np.where(missing, 1 << 30, xs), np.where(missing, 1 << 30, ys),
                        np.where(missing, np.iinfo(np.int64).max, images), -np.where(missing, -np.inf, values)), axis=1)
    order = order[:, :k]
    pick = lambda array: np.take_along_axis(array, order, axis=1)  # noqa: E731
    merged = TopExamples(pick(values).astype(np.float32), pick(images), pick(ys).astype(np.int32), pick(xs).astype(np.int32),
                         patches=pick_patches(first.patches, second.patches, order))
    return with_statistics(merged, first, second)


def with_statistics(merged: TopExamples, first: TopExamples, second: TopExamples) -> TopExamples:
    """``merged`` with the statistics of both photo sets added; a bare list of candidates adds none."""
    if first.response_sum is None or second.response_sum is None:
        kept = first if second.response_sum is None else second
        return replace(merged, photos=kept.photos, response_sum=kept.response_sum, fired=kept.fired)
    return replace(merged, photos=first.photos + second.photos, response_sum=first.response_sum + second.response_sum,
                   fired=first.fired + second.fired)


def pick_patches(first: np.ndarray | None, second: np.ndarray | None, order: np.ndarray) -> np.ndarray | None:
    if first is None or second is None:
        return None
    patches = np.concatenate([first, second], axis=1)
    return np.take_along_axis(patches, order[:, :, None, None], axis=1)
