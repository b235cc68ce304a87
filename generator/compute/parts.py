"""Building blocks of a photo: a layer's activations over one photo factorised into a few parts, each a map over
the photo, a direction in the layer's channels and a share of the prediction (Olah et al., "The Building Blocks
of Interpretability", Distill 2018).

The (positions x channels) activations A of a photo, clipped at 0 (a part is a pattern of units that fire),
are factorised by non-negative matrix factorisation, A ~ S C: S (positions x groups) says where each part is, C
(groups x channels) which units it is made of. The explained class' pre-softmax score s is attributed to the parts
by gradient x activation: part k gets sum(G * S[:, k] C[k, :]) over positions and channels, with G = ds/dA; its
share is that over the parts' sum. The factorisation is scikit-learn's NMF (``nndsvda`` start, coordinate
descent), deterministic for a seed.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from generator.compute.activations import layer_activations
from generator.compute.heatmaps import layer_gradients

MAX_ITERATIONS = 400
"""Coordinate-descent iterations of the factorisation at most (the relative error says how well it fits; on an
untrained MobileNetV2 over noise some layers reach the cap, at errors of 0.27-0.36)."""


@dataclass(frozen=True)
class PhotoParts:
    """One photo's layer factorised into parts, the largest share first (largest activation without a classifier)."""

    spatial: np.ndarray
    """float32 (groups, h, w): where each part is, on the layer's grid."""
    channels: np.ndarray
    """float32 (groups, channels): each part's direction in the layer's units."""
    error: float
    """The factorisation's relative reconstruction error, ||A - S C|| / ||A|| (Frobenius)."""
    shares: np.ndarray | None
    """float32 (groups,): each part's share of the explained class' score (they sum to 1); None without a
    classifier."""
    class_index: int | None = None
    """The class the shares explain."""


def building_blocks(model, images: np.ndarray, layer_name: str, groups: int, *,
                    class_indices: np.ndarray | None = None, seed: int = 0) -> list[PhotoParts]:
    """Per preprocessed image (as ``top_examples`` takes them), layer ``layer_name`` factorised into ``groups``
    parts; ``class_indices`` names the class each photo's shares explain (default: its top-1), and a model whose
    output is not a classifier's (``class_indices`` ignored) gives parts without shares."""
    images = np.asarray(images, dtype=np.float32)
    if groups < 1:
        raise ValueError(f"groups must be at least 1, got {groups}")
    if len(model.outputs[0].shape) == 2:  # a classifier: its scores are what the parts share
        activations, gradients, explained = layer_gradients(model, images, layer_name, class_indices)
    else:
        activations, gradients, explained = layer_activations(model, images, [layer_name])[layer_name], None, None
    return [_parts(activations[row], None if gradients is None else gradients[row],
                   None if explained is None else int(explained[row]), groups, seed)
            for row in range(len(images))]


def factorise(activations: np.ndarray, groups: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, float]:
    """(S (positions, groups), C (groups, channels), relative error) of (positions, channels) activations clipped
    at 0; fewer positions or channels than ``groups`` leave the extra parts empty."""
    from sklearn.decomposition import NMF
    from sklearn.exceptions import ConvergenceWarning

    clipped = np.maximum(np.asarray(activations, dtype=np.float64), 0.0)
    norm = float(np.linalg.norm(clipped))
    rank = min(groups, *clipped.shape)
    spatial = np.zeros((clipped.shape[0], groups))
    channels = np.zeros((groups, clipped.shape[1]))
    if norm == 0.0:
        return spatial, channels, 0.0
    nmf = NMF(n_components=rank, init="nndsvda", solver="cd", max_iter=MAX_ITERATIONS, random_state=seed)
    with warnings.catch_warnings():  # a factorisation stopped at the cap says so in its error, not on the terminal
        warnings.simplefilter("ignore", ConvergenceWarning)
        spatial[:, :rank] = nmf.fit_transform(clipped)
    channels[:rank] = nmf.components_
    return spatial, channels, float(np.linalg.norm(clipped - spatial @ channels)) / norm


def _parts(activations: np.ndarray, gradients: np.ndarray | None, class_index: int | None, groups: int,
           seed: int) -> PhotoParts:
    height, width, units = activations.shape
    spatial, channels, error = factorise(activations.reshape(height * width, units), groups, seed)
    # each part's size on the photo: its map's total times its direction's, so that S and C are scaled alike
    size = spatial.sum(axis=0) * channels.sum(axis=1)
    shares = None
    if gradients is not None:
        flat = gradients.reshape(height * width, units).astype(np.float64)
        attribution = np.einsum("pk,kc,pc->k", spatial, channels, flat)
        total = attribution.sum()
        shares = attribution / total if total != 0 else np.zeros(groups)
    order = np.lexsort((np.arange(groups), -size, -(shares if shares is not None else size)))
    return PhotoParts(
        spatial=spatial.T[order].reshape(groups, height, width).astype(np.float32),
        channels=channels[order].astype(np.float32),
        error=error,
        shares=None if shares is None else shares[order].astype(np.float32),
        class_index=class_index,
    )
