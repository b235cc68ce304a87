"""Checks that need each network's architecture, run for all backbones before any weights are loaded.

A config error found after an hour of compute on the third backbone is an hour lost: what the config can get
wrong about a network (named layers, ``filters``, ``top_k`` of a model file) is checked on architectures
built without weights, which costs seconds, not downloads; or on the network's stored facts
(``plan.network``), which costs nothing and imports no TensorFlow.
"""

from __future__ import annotations

from generator.backbones import Backbone, load_spec
from generator.compute.layers import channel_count, select_layers
from generator.config import AtlasConfig, BackboneSpec
from generator.errors import ConfigError
from generator.plan.network import NetworkStore, network_key

PREFLIGHT_FILTERS = 64
"""Every drawn layer set of a Keras Application has a layer this wide; above it, ``filters`` is checked up front."""


def architecture_only(spec: BackboneSpec, config: AtlasConfig) -> Backbone:
    """The backbone's network without downloading weights: seeded random for applications; for a model file, the
    file itself, loaded as the build loads it (``load_spec`` ignores the weights choice for a file)."""
    from generator.tensorflow_import import configure_determinism

    configure_determinism()
    return load_spec(spec, "random", seed=config.seed) if spec.path is None else load_spec(spec, "auto", seed=config.seed)


def preflight(config: AtlasConfig) -> dict[int, Backbone]:
    """Raise ``ConfigError`` for the first backbone the config does not fit; only checks what can be wrong.

    Returns the model files it loaded, by their place in ``config.backbones``: the build takes them from here
    instead of loading each file a second time.
    """
    loaded: dict[int, Backbone] = {}
    named = isinstance(config.layers, list)
    wide = config.filters > PREFLIGHT_FILTERS
    store = NetworkStore(config.cache_dir)
    for place, spec in enumerate(config.backbones):
        if not (named or wide or spec.path is not None):
            continue
        facts = store.get(network_key(spec, config))  # made with these layers: they exist
        if facts is not None:
            label, class_names = f"backbone {facts.name}", facts.class_names
            widest = max(layer.channels for layer in facts.layers)
        else:
            architecture = architecture_only(spec, config)
            if spec.path is not None:
                loaded[place] = architecture
            label, class_names = f"backbone {architecture.name}", architecture.class_names
            layer_names = select_layers(architecture.model, config.layers, label=label)
            widest = max(channel_count(architecture.model.get_layer(name)) for name in layer_names)
        if wide and config.filters > widest:
            raise ConfigError(f"filters: {config.filters} is more than any drawn layer of {label} has (at most {widest})")
        if class_names is not None and config.top_k > len(class_names):
            raise ConfigError(f"top_k: {config.top_k} is more than the {len(class_names)} classes of {label}")
    return loaded
