"""Checks that need each network's architecture, run for all backbones before any weights are loaded.

A config error found after an hour of compute on the third backbone is an hour lost: what the config can get
wrong about a network (named layers, ``filters``, ``top_k`` of a model file) is checked on architectures
built without weights, which costs seconds, not downloads.
"""

from __future__ import annotations

from generator.backbones import Backbone, load_spec
from generator.compute.layers import channel_count, select_layers
from generator.config import AtlasConfig, BackboneSpec
from generator.errors import AtlasError

PREFLIGHT_FILTERS = 64
"""Every drawn layer set of a Keras Application has a layer this wide; above it, ``filters`` is checked up front."""


def architecture_only(spec: BackboneSpec, config: AtlasConfig) -> Backbone:
    """The backbone's network without downloading weights: seeded random for applications, the file for a model."""
    return load_spec(spec, "random", seed=config.seed) if spec.path is None else load_spec(spec, "auto")


def preflight(config: AtlasConfig) -> None:
    """Raise ``AtlasError`` for the first backbone the config does not fit; only checks what can be wrong."""
    named = isinstance(config.layers, list)
    wide = config.filters > PREFLIGHT_FILTERS
    for spec in config.backbones:
        if not (named or wide or spec.path is not None):
            continue
        architecture = architecture_only(spec, config)
        label = f"backbone {architecture.name}"
        layer_names = select_layers(architecture.model, config.layers, label=label)
        widest = max(channel_count(architecture.model.get_layer(name)) for name in layer_names)
        if wide and config.filters > widest:
            raise AtlasError(f"filters: {config.filters} is more than any drawn layer of {label} has (at most {widest})")
        classes = len(architecture.class_names or ())
        if architecture.class_names is not None and config.top_k > classes:
            raise AtlasError(f"top_k: {config.top_k} is more than the {classes} classes of {label}")
