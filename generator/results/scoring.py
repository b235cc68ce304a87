"""What the pages say about the heatmaps' scores: means over the photos, chance levels, sanity flags, the best layer.

Plain numbers from the scores units' arrays (``pipeline.arrays.PhotoScores``); nothing here runs a network. The
rule that picks a network's best heatmap is ``best_heatmap``; the pages say it in words (``pages.write.BEST_RULE``),
kept there so that rewording it redraws no figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from generator.formulas.curve_area import area

FLAG_AT = 0.5
"""Mean rank correlation with the re-drawn network's maps at which a method and layer are flagged: their maps
barely change when what the network learned is destroyed (Adebayo et al., 2018, whose edge detector and guided
back-propagation stay above it after full randomisation while Grad-CAM falls near zero)."""


def flagged(correlations: np.ndarray) -> bool:
    """Whether maps with these rank correlations (one per photo) barely changed when the weights were re-drawn."""
    values = np.asarray(correlations, dtype=np.float64)
    return bool(values.size) and float(np.nanmean(values)) >= FLAG_AT


@dataclass(frozen=True)
class MethodScore:
    """One CAM method on one layer, as means over the photos."""

    method: str
    title: str
    slug: str
    deletion: float
    """Mean area under the deletion curve: lower is more faithful."""
    insertion: float
    """Mean area under the insertion curve: higher is more faithful."""
    chance_deletion: float
    """The same for random maps of the layer's resolution."""
    chance_insertion: float
    sanity: float
    """Mean rank correlation with the maps of the network with re-drawn weights."""
    flagged: bool

    @property
    def score(self) -> float:
        """Insertion minus deletion: higher is better, 0 or below is no better than the photo's own blur."""
        return self.insertion - self.deletion

    @property
    def chance_score(self) -> float:
        return self.chance_insertion - self.chance_deletion


@dataclass(frozen=True)
class LayerScores:
    layer: str
    methods: list[MethodScore]


@dataclass(frozen=True)
class BestHeatmap:
    """A network's best heatmap by ``best_heatmap``'s rule."""

    layer: str
    score: MethodScore
    all_flagged: bool
    """Every map failed the sanity check, so the best of them is shown with a warning."""
    depth: int = 0
    """Where it is: the layer's place among the drawn layers, and the method's among the layer's methods."""
    method_index: int = 0


def layer_scores(
    photos: Sequence, layers: Sequence[str], layer_sides: Sequence[int], methods: Sequence[str],
    titles: Sequence[str], slugs: Sequence[str], chance_sides: Sequence[int],
) -> list[LayerScores]:
    """Per layer, per method, the means over ``photos`` (``PhotoScores``) of its areas, chance levels and sanity."""
    deletion = np.mean([area(photo.deletion) for photo in photos], axis=0)  # (methods, layers)
    insertion = np.mean([area(photo.insertion) for photo in photos], axis=0)
    chance_deletion = np.mean([area(photo.chance_deletion) for photo in photos], axis=0)  # (sides,)
    chance_insertion = np.mean([area(photo.chance_insertion) for photo in photos], axis=0)
    correlations = np.stack([photo.sanity for photo in photos])  # (photos, methods, layers)
    result = []
    for column, (layer, side) in enumerate(zip(layers, layer_sides, strict=True)):
        chance = list(chance_sides).index(side)
        result.append(LayerScores(layer, [
            MethodScore(method, title, slug, float(deletion[row, column]), float(insertion[row, column]),
                        float(chance_deletion[chance]), float(chance_insertion[chance]),
                        float(np.nanmean(correlations[:, row, column])), flagged(correlations[:, row, column]))
            for row, (method, title, slug) in enumerate(zip(methods, titles, slugs, strict=True))
        ]))
    return result


def best_heatmap(scores: Sequence[LayerScores]) -> BestHeatmap | None:
    """The layer and method whose maps score best over the atlas' photos (the mean insertion area minus the mean
    deletion area), among those that pass the sanity check; among equal scores the deeper layer. None without scores."""
    candidates = [(depth, index, method) for depth, layer in enumerate(scores) for index, method in enumerate(layer.methods)]
    if not candidates:
        return None
    passing = [candidate for candidate in candidates if not candidate[2].flagged]
    depth, index, method = max(passing or candidates, key=lambda candidate: (candidate[2].score, candidate[0]))
    return BestHeatmap(scores[depth].layer, method, all_flagged=not passing, depth=depth, method_index=index)
