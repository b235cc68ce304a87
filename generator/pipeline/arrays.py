"""What the compute stage hands the draw stage: typed arrays, and their stored form in the array tier.

The stored names (``activations/<layer>``, ``cam/<method>/<layer>``...) are spelled only here: the rest of the
build reads fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # the draw stage reads its fields; it never imports compute/
    from generator.results.filter_run import FilterRun


@dataclass(frozen=True)
class ImageAnalysis:
    """One image through one backbone."""

    activations: dict[str, np.ndarray]
    """Per drawn layer, its first channels at the precision shown: uint8 levels (channels, h, w), see
    ``compute.activations.shown_levels``."""
    probabilities: np.ndarray | None = None
    """Over every class; None without a classifier, like the three fields below."""
    class_index: int | None = None
    """The class the heatmaps explain."""
    class_probability: float | None = None
    cams: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    """(method, layer) -> the map (h, w) in [0, 1]."""

    def cam(self, method: str, layer: str) -> np.ndarray:
        return self.cams[(method, layer)]

    def to_arrays(self) -> dict[str, np.ndarray]:
        arrays = {f"activations/{layer}": values for layer, values in self.activations.items()}
        if self.probabilities is not None:
            arrays["probabilities"] = self.probabilities
            arrays["class_index"] = np.asarray(self.class_index)
            arrays["class_probability"] = np.asarray(self.class_probability)
        for (method, layer), values in self.cams.items():
            arrays[f"cam/{method}/{layer}"] = values
        return arrays

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> "ImageAnalysis":
        activations, cams = {}, {}
        for name, values in arrays.items():
            if name.startswith("activations/"):
                activations[name.removeprefix("activations/")] = values
            elif name.startswith("cam/"):
                method, layer = name.removeprefix("cam/").split("/", 1)
                cams[(method, layer)] = values
        if "probabilities" not in arrays:
            return cls(activations)
        return cls(activations, arrays["probabilities"], int(arrays["class_index"]), float(arrays["class_probability"]), cams)


@dataclass(frozen=True)
class PhotoScores:
    """How faithful each heatmap of one image is, and how it fares when the weights are re-drawn."""

    deletion: np.ndarray
    """(methods, layers, steps + 1): the explained class's probability as the map's pixels are deleted."""
    insertion: np.ndarray
    """(methods, layers, steps + 1): ... as they are revealed on the blurred photo."""
    chance_deletion: np.ndarray
    """(sides, steps + 1): the same for a random map per side of the layers' maps (``ScoreSettings.chance_sides``)."""
    chance_insertion: np.ndarray
    sanity: np.ndarray
    """(methods, layers): rank correlation of each map with the map of the network with re-drawn weights."""

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {f"scores/{name}": getattr(self, name) for name in PhotoScores.__dataclass_fields__}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> "PhotoScores":
        return cls(**{name: arrays[f"scores/{name}"] for name in PhotoScores.__dataclass_fields__})


@dataclass(frozen=True)
class LayerFilters:
    """The filter images of one layer, as far as the build needs them."""

    images: np.ndarray | None = None
    """uint8 (filters, size, size, 3); None when the layer's mosaic is drawn already and nothing else needs them."""
    peaks: np.ndarray | None = None
    """How strongly each filter's image excites it (its strongest activation on it)."""
    run: "FilterRun | None" = None
    """The steps its images took and why they stopped (None: not known, its entry is gone)."""


@dataclass
class BackboneArrays:
    """What the draw stage needs of one backbone besides its plan: per unit kind (``units.table.KINDS``), the value
    its ``make`` returned: ``analysis``: ``ImageAnalysis`` by image id; ``scores``: ``PhotoScores`` by image id;
    ``examples``: ``TopExamples`` of the whole example set by layer; ``filters``: ``LayerFilters`` by layer."""

    values: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, kind: str) -> Any:
        return self.values[kind]
