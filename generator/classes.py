"""Class names and top-k decoding, offline.

Keras' ``decode_predictions`` downloads its class index at run time, which fails behind a firewall; the atlas
ships the same index in ``data/`` and decodes with it. A user's model brings its own names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from generator.errors import AtlasError
from generator.paths import IMAGENET_CLASS_INDEX


@dataclass(frozen=True)
class Prediction:
    """One ranked class of one image."""

    index: int
    name: str
    probability: float


@lru_cache(maxsize=1)
def imagenet_class_names() -> tuple[str, ...]:
    """The 1000 ImageNet-1k class names in index order, from the shipped class index."""
    index = json.loads(IMAGENET_CLASS_INDEX.read_text(encoding="utf-8"))
    return tuple(index[str(i)][1] for i in range(len(index)))


def read_class_names(path: Path) -> tuple[str, ...]:
    """Class names of a user's model: a JSON list (or ``{"0": name}`` mapping), else one name per line."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise AtlasError(f"class names file {path} cannot be read: {error}") from None
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise AtlasError(f"class names file {path} is not valid JSON: {error}") from None
        if isinstance(data, dict):
            try:
                return tuple(str(data[str(i)]) if not isinstance(data[str(i)], list) else str(data[str(i)][-1])
                             for i in range(len(data)))
            except KeyError as missing:
                raise AtlasError(f"class names file {path}: keys must be 0..{len(data) - 1}; {missing} is missing") from None
        if isinstance(data, list):
            return tuple(str(name) for name in data)
        raise AtlasError(f"class names file {path} must hold a JSON list of names")
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def decode(probabilities: np.ndarray, class_names: tuple[str, ...], top: int) -> list[list[Prediction]]:
    """Top ``top`` classes of every row of ``probabilities`` (N, classes), highest first, ties by index."""
    probabilities = np.asarray(probabilities)
    if probabilities.ndim != 2:
        raise ValueError(f"expected probabilities shaped (N, classes), got {probabilities.shape}")
    if probabilities.shape[1] != len(class_names):
        raise AtlasError(
            f"the model predicts {probabilities.shape[1]} classes but {len(class_names)} class names were given"
        )
    top = min(top, probabilities.shape[1])
    results = []
    for row in probabilities:
        order = np.lexsort((np.arange(row.size), -row))[:top]
        results.append([Prediction(int(i), class_names[i], float(row[i])) for i in order])
    return results
