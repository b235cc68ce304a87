"""Shared fixtures: tiny seeded conv models, generated images, the real sample photos."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from pathlib import Path

import numpy as np
import pytest

from generator.paths import SAMPLE_PETS_DIR

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def pytest_collection_modifyitems(config, items):
    """Under ``make mutation``, a mutant's tests run fastest first (mutmut runs them with ``-x``): most mutants are
    killed by a test of a second or less, before the tests that build a tiny atlas. Nothing changes otherwise."""
    mutant = os.environ.get("MUTANT_UNDER_TEST", "")
    stats = Path("mutmut-stats.json")
    if not mutant or mutant in ("stats", "fail", "list_all_tests") or not stats.is_file():
        return
    import json

    durations = json.loads(stats.read_text()).get("duration_by_test", {})
    items.sort(key=lambda item: durations.get(item.nodeid, float("inf")))


def make_tiny_classifier(classes: int = 10, seed: int = 0):
    """Input 32x32x3 -> conv_a (8, relu) -> conv_b (6, relu) -> GAP -> Dense(classes, softmax).

    conv_b has 6 channels and the classifier 10 classes, so a heatmap that explained 'class = channel count'
    (the seed code's fault) would explain class 6, not the prediction.
    """
    import keras

    keras.utils.set_random_seed(seed)
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="conv_a")(inputs)
    x = keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="conv_b")(x)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = keras.layers.Dense(classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="tiny")


@pytest.fixture(scope="session")
def tiny_classifier():
    return make_tiny_classifier()


@pytest.fixture
def sample_photos() -> list[Path]:
    return sorted(SAMPLE_PETS_DIR.glob("*.jpg"))


def gradient_image(height: int = 48, width: int = 64) -> np.ndarray:
    """A deterministic uint8 RGB test picture: horizontal and vertical ramps and a constant."""
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([x * 255 // max(width - 1, 1), y * 255 // max(height - 1, 1), np.full_like(x, 128)], -1).astype(np.uint8)


def arrays_of(analysis=None, filters=None, scores=None, examples=None, peaks=None):
    """A ``BackboneArrays`` as the compute stage hands it on: every kind's value, by kind (``filters`` and
    ``peaks`` by layer, as arrays)."""
    from generator.pipeline.arrays import BackboneArrays, LayerFilters

    peaks = peaks or {}
    return BackboneArrays({
        "analysis": analysis or {}, "scores": scores or {}, "examples": examples or {},
        "filters": {layer: LayerFilters(images, peaks.get(layer)) for layer, images in (filters or {}).items()},
    })


def make_units(kind: str, plan, backbone, units, cache, redo=lambda path: False, made=None, advance=None,
               drawing: bool = True):
    """What ``kind``'s ``make`` gives for ``units`` (the compute stage's call, one kind alone)."""
    from generator.units.base import Making
    from generator.units.table import KINDS

    from generator.pipeline.photo_batch import PreparedPhotos

    making = Making(lambda: backbone, cache, redo, made or {}, advance or (lambda step: None), drawing, PreparedPhotos())
    return next(each for each in KINDS if each.name == kind).make(plan, list(units), making)
