"""Backbones: a built network with its preprocessing, class names and weight provenance.

``load(name, weights="imagenet", **options)`` is the stable entry point for notebooks and benchmarks; the
pipeline calls ``load_spec`` with a validated ``BackboneSpec``. A backbone is built and its weights loaded once
per build.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, replace
from typing import Any, Callable

import numpy as np

from generator.registry import APPLICATIONS, Application, get_application
from generator.classes import Prediction, decode, imagenet_class_names, read_class_names
from generator.config import BackboneSpec
from generator.errors import AtlasError
from generator.weights import Provenance, build_with_weights, hash_weight_values


@dataclass
class Backbone:
    """A network ready to be drawn: the model plus everything needed to feed it and read its output."""

    name: str
    """Slug used in URLs and cache keys (name plus options)."""
    title: str
    """Display title, e.g. 'MobileNet (alpha 0.25)'."""
    model: Any
    """The ``keras.Model``, classifier head included where it has one."""
    input_shape: tuple[int, int, int]
    """(height, width, channels) the model takes."""
    provenance: Provenance
    """Where the weights came from; stated on every page."""
    class_names: tuple[str, ...] | None
    """Names of the output classes, or None when the model has no classifier."""
    preprocess_fn: Callable[[np.ndarray], np.ndarray]
    """Maps float32 RGB 0..255 images to the model's input scale."""
    family: str = "plain"
    """Architecture family (see the registry); chooses filter-visualisation defaults."""

    def preprocess(self, images: np.ndarray) -> np.ndarray:
        """uint8 (or 0..255 float) RGB images (N, H, W, 3) to the float32 input the model expects."""
        return np.asarray(self.preprocess_fn(np.array(images, dtype=np.float32, copy=True)), dtype=np.float32)

    def decode(self, probabilities: np.ndarray, top: int = 5) -> list[list[Prediction]]:
        """Top-k classes of each row of ``probabilities``, as (index, name, probability)."""
        if self.class_names is None:
            raise AtlasError(f"{self.title} has no classifier, so it makes no predictions")
        return decode(probabilities, self.class_names, top)


def load(name: str, weights: str = "imagenet", *, seed: int = 0, **options: Any) -> Backbone:
    """Build backbone ``name`` with ``weights`` (``imagenet``, ``random`` or a file) and options such as ``alpha``."""
    spec = BackboneSpec(name=name, **options)
    return load_spec(spec, spec.weights or weights, seed=seed)


def load_spec(spec: BackboneSpec, weights: str, *, seed: int = 0) -> Backbone:
    """Build the backbone a validated spec describes."""
    if spec.path is not None:
        from generator.backbones.model_file import load_model_file

        return load_model_file(spec, seed=seed)
    app = get_application(spec.name)
    return _load_application(app, spec, weights, seed)


def application_title(app: Application, spec: BackboneSpec) -> str:
    """'MobileNet (alpha 0.25)'-style title from the constructor and the options that change the network."""
    if spec.title:
        return spec.title
    options = []
    if spec.alpha is not None:
        options.append(f"alpha {spec.alpha:g}")
    if spec.depth_multiplier not in (None, 1):
        options.append(f"depth multiplier {spec.depth_multiplier}")
    if spec.input_size is not None:
        options.append(f"{spec.input_size} px")
    return app.constructor + (f" ({', '.join(options)})" if options else "")


def _load_application(app: Application, spec: BackboneSpec, weights: str, seed: int) -> Backbone:
    import keras

    constructor = getattr(keras.applications, app.constructor)
    module = importlib.import_module(f"keras.applications.{app.module}")
    size = spec.input_size or app.input_size
    kwargs: dict[str, Any] = {"input_shape": (size, size, 3)}
    if spec.alpha is not None:
        kwargs["alpha"] = spec.alpha
    if spec.depth_multiplier is not None:
        kwargs["depth_multiplier"] = spec.depth_multiplier

    def build(keras_weights: str | None):
        return constructor(weights=keras_weights, **kwargs)

    model, provenance = build_with_weights(build, weights, label=f"backbone {spec.slug}", seed=seed)
    provenance = replace(provenance, sha256=hash_weight_values(model))
    return Backbone(
        name=spec.slug,
        title=application_title(app, spec),
        model=model,
        input_shape=(size, size, 3),
        provenance=provenance,
        class_names=imagenet_class_names(),
        preprocess_fn=module.preprocess_input,
        family=app.family,
    )


def list_applications() -> list[Application]:
    """Every registered application, sorted by name."""
    return [APPLICATIONS[name] for name in sorted(APPLICATIONS)]
