"""Which network knows which breed: the Oxford-IIIT Pet breeds scored against the predictions already computed.

A breed counts as recognised by a network when the network's prediction is the class of that breed: the mapping
of the dataset's 37 breeds to ImageNet-1k classes is data (``data/oxford-pets-imagenet-classes.json``, with its
source), and a network whose own classes include that class (ImageNet classifiers, and the dog-breed classifier
for the breeds it knows) is scored on it. A breed without such a class is shown, unscored. No second pass: the
ranks come from each photo's stored probabilities.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from functools import cache

import numpy as np

from generator.paths import DATA_DIR

BREED_CLASSES_FILE = DATA_DIR / "oxford-pets-imagenet-classes.json"
TOP_K = 5
"""The wider of the two accuracies: the breed's class among a network's five most probable."""


@cache
def breed_classes() -> dict[str, str | None]:
    """Oxford breed name (``great_pyrenees``, ``Persian``) -> ImageNet class name, or None."""
    return json.loads(BREED_CLASSES_FILE.read_text(encoding="utf-8"))["breeds"]


def breed_key(breed: str) -> str:
    """The mapping's name of a breed as the photo loader spells it (``great pyrenees`` -> ``great_pyrenees``)."""
    return breed.replace(" ", "_")


def breed_class(breed: str) -> str | None:
    return breed_classes().get(breed_key(breed))


def scored_class(breed: str | None, class_names: tuple[str, ...] | None) -> str | None:
    """The breed's class when a network with ``class_names`` is scored on it: None when the photo has no breed,
    the breed no class, or the network not that class."""
    name = breed_class(breed) if breed else None
    return name if name is not None and class_names and name in class_names else None


def class_rank(probabilities: np.ndarray, class_names: tuple[str, ...], breed: str | None) -> int | None:
    """0-based rank of the breed's class among the network's classes by probability (ties: lower index first),
    or None where the network is not scored on the breed (``scored_class``)."""
    name = scored_class(breed, class_names)
    if name is None:
        return None
    index = class_names.index(name)
    probabilities = np.asarray(probabilities, dtype=np.float64)
    return int(np.sum(probabilities > probabilities[index]) + np.sum(probabilities[:index] == probabilities[index]))


@dataclass(frozen=True)
class BreedScore:
    """One breed in one network."""

    photos: int
    top1: int
    top5: int

    @property
    def top1_rate(self) -> float:
        return self.top1 / self.photos

    @property
    def top5_rate(self) -> float:
        return self.top5 / self.photos


@dataclass(frozen=True)
class BreedRow:
    breed: str
    species: str | None
    imagenet_class: str | None
    photo_ids: list[str]
    scores: dict[str, BreedScore | None]
    """By backbone name; None where the network has no class for the breed."""


@dataclass(frozen=True)
class Confusion:
    """For one breed in one network: its most frequent wrong top-1 class."""

    breed: str
    predicted: str
    count: int
    photos: int


@dataclass(frozen=True)
class BreedTable:
    rows: list[BreedRow]
    confusions: dict[str, list[Confusion]] = field(default_factory=dict)
    """By backbone name, breeds in table order."""


def breed_table(photos, backbones) -> BreedTable | None:
    """The breeds page's table from ``results`` values: None when no photo has a breed (not an Oxford folder).

    ``photos`` are ``PhotoResult``s, ``backbones`` the ``BackboneResult``s with a classifier.
    """
    by_breed: dict[str, list] = {}
    for photo in photos:
        if photo.breed:
            by_breed.setdefault(photo.breed, []).append(photo)
    if not by_breed:
        return None
    rows, confusions = [], {backbone.name: [] for backbone in backbones}
    for breed in sorted(by_breed, key=str.lower):
        members = by_breed[breed]
        scores: dict[str, BreedScore | None] = {}
        for backbone in backbones:
            ranks = [backbone.breed_ranks.get(photo.id) for photo in members]
            if any(rank is None for rank in ranks):
                scores[backbone.name] = None
                continue
            scores[backbone.name] = BreedScore(len(ranks), sum(rank == 0 for rank in ranks), sum(rank < TOP_K for rank in ranks))
            wrong = Counter(backbone.predictions[photo.id][0].name for photo, rank in zip(members, ranks, strict=True) if rank != 0)
            if wrong:
                predicted, count = sorted(wrong.items(), key=lambda item: (-item[1], item[0]))[0]
                confusions[backbone.name].append(Confusion(breed, predicted, count, len(members)))
        rows.append(BreedRow(breed, members[0].species, breed_class(breed), [photo.id for photo in members], scores))
    return BreedTable(rows, confusions)
