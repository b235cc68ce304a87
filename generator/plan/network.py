"""What the plan needs to know about a network, read once from the loaded model and kept in the cache.

Planning a backbone needs facts that only the built network has: its drawn layers with their shapes, channels,
receptive fields and costs, its summary and graph, its class names, and the hash of its weight values (part of
every key). Building the network means importing TensorFlow and loading the weights, seconds to minutes; so the
facts are stored under a key of everything that decides them (the backbone's spec, the weights choice, the
layer choice, the state of every file its weights can come from, the code and the library versions). A rebuild
whose facts are all stored plans every backbone without TensorFlow, and loads a network only when a unit of it
needs computing.

Weights found by ``auto`` are resolved when the facts are made: a download that failed then is tried again when
the Keras cache folder or the converted-weights folder changes (putting the file there, as the error message
says), or with ``--force``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from generator.backbones import Backbone
from generator.cache import make_key
from generator.cache.code import code_hash, library_versions
from generator.cache.layout import CacheLayout
from generator.compute.cost import macs_up_to
from generator.compute.layers import channel_count, select_layers
from generator.compute.receptive_field import receptive_field
from generator.compute.summary import LayerRow, Summary, architecture_dot, layer_summary
from generator.config import AtlasConfig, BackboneSpec
from generator.errors import ConfigError
from generator.output.files import write_text_if_changed
from generator.weights import KERAS_CACHE, Provenance
from generator.weights.sources import package_sources

NETWORK_CODE = "generator.plan.network"
NETWORK_LIBRARIES = ("tensorflow", "tensorflow-cpu", "keras")


@dataclass(frozen=True)
class NetworkLayer:
    """One drawn layer as the network has it."""

    name: str
    kind: str
    output_shape: str
    channels: int
    receptive_field: int | None
    macs: int
    """Multiply-accumulates of one forward pass up to and including this layer (``compute.cost``)."""

    @property
    def map_side(self) -> int:
        """The longer side of its output maps (``(?, 56, 56, 24)`` -> 56); 1 for a layer without maps."""
        return max(self.map_shape)

    @property
    def map_shape(self) -> tuple[int, int]:
        """(rows, columns) of its output maps (``(?, 56, 48, 24)`` -> (56, 48)); (1, 1) for a layer without maps."""
        sizes = [int(size) for size in self.output_shape.strip("()").split(",")[1:-1] if size.strip().isdigit()]
        return (sizes[0], sizes[1]) if len(sizes) == 2 else (max(sizes, default=1),) * 2


@dataclass(frozen=True)
class NetworkFacts:
    """Everything planning needs from a built network; plain values, stored as JSON."""

    name: str
    title: str
    family: str
    min_size: int
    input_shape: tuple[int, int, int]
    input_side: int | None
    """The side the network was built for (None where it takes any)."""
    class_names: tuple[str, ...] | None
    provenance: Provenance
    summary: Summary
    dot: str
    macs: int
    """Of one whole forward pass."""
    layers: tuple[NetworkLayer, ...]

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "NetworkFacts":
        data = json.loads(text)
        summary = data["summary"]
        return cls(**{
            **data,
            "input_shape": tuple(data["input_shape"]),
            "class_names": None if data["class_names"] is None else tuple(data["class_names"]),
            "provenance": Provenance(**data["provenance"]),
            "summary": Summary([LayerRow(**row) for row in summary["rows"]], summary["total_parameters"],
                               summary["trainable_parameters"]),
            "layers": tuple(NetworkLayer(**layer) for layer in data["layers"]),
        })


def drawn_layers(backbone: Backbone, config: AtlasConfig) -> list[str]:
    """The layers ``config.layers`` chooses, after checking that ``class_index`` is one of the backbone's classes."""
    classes = backbone.class_names
    if config.class_index is not None and classes and config.class_index >= len(classes):
        raise ConfigError(f"class_index: {config.class_index} is outside {backbone.title}'s {len(classes)} classes")
    return select_layers(backbone.model, config.layers, label=f"backbone {backbone.name}")


def facts_of(backbone: Backbone, config: AtlasConfig) -> NetworkFacts:
    """Read the facts from a loaded network (the one place the plan looks at a Keras model)."""
    model = backbone.model
    layers = []
    for name in drawn_layers(backbone, config):
        layer = model.get_layer(name)
        layers.append(NetworkLayer(
            name=name, kind=type(layer).__name__, output_shape=str(tuple(layer.output.shape)).replace("None", "?"),
            channels=channel_count(layer), receptive_field=receptive_field(model, name), macs=macs_up_to(model, name),
        ))
    side = model.inputs[0].shape[1]
    return NetworkFacts(
        name=backbone.name, title=backbone.title, family=backbone.family, min_size=backbone.min_size,
        input_shape=tuple(backbone.input_shape), input_side=None if side is None else int(side),
        class_names=backbone.class_names, provenance=backbone.provenance, summary=layer_summary(model),
        dot=architecture_dot(model), macs=macs_up_to(model), layers=tuple(layers),
    )


def _file_state(path: Path | str | None) -> list[Any] | None:
    if path is None:
        return None
    try:
        status = Path(path).stat()
    except OSError:
        return [str(path), None]
    return [str(path), status.st_size, status.st_mtime_ns]


def _folder_state(folder: Path) -> list[list[Any]]:
    if not folder.is_dir():
        return []
    return [_file_state(path) for path in sorted(folder.iterdir()) if path.is_file()]


def network_key(spec: BackboneSpec, config: AtlasConfig) -> str:
    """Everything that decides a network's facts, without building it: a file's state is its size and time."""
    weights = spec.weights or config.weights
    packages = package_sources(spec.name) if spec.path is None else []
    sources = {
        "keras": _folder_state(KERAS_CACHE),
        "converted": [_file_state(source.weights_path(Path(config.cache_dir))) for source in packages],
        "files": [_file_state(spec.path), _file_state(spec.classes),
                  _file_state(weights) if weights.endswith((".h5", ".keras")) else None],
    }
    return make_key(kind="network", spec=spec.model_dump(mode="json"), weights=weights, seed=config.seed,
                    allow_untrained=config.allow_untrained, layers=config.layers, class_index=config.class_index,
                    sources=sources, code=code_hash(NETWORK_CODE), libraries=library_versions(*NETWORK_LIBRARIES))


class NetworkStore:
    """The stored facts of every network a build planned, one JSON file per key under the cache's ``networks``."""

    def __init__(self, cache_dir: Path) -> None:
        self.folder = CacheLayout(Path(cache_dir)).networks

    def get(self, key: str) -> NetworkFacts | None:
        try:
            return NetworkFacts.from_json((self.folder / f"{key}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError, TypeError, KeyError):  # missing, or written by another version: made again
            return None

    def put(self, key: str, facts: NetworkFacts) -> None:
        write_text_if_changed(self.folder / f"{key}.json", facts.to_json() + "\n")

    def forget(self, key: str) -> None:
        (self.folder / f"{key}.json").unlink(missing_ok=True)


def same_network(facts: NetworkFacts, backbone: Backbone) -> bool:
    """Whether a loaded network is the one the stored facts describe (the same weights, so the same keys)."""
    return facts.provenance.sha256 == backbone.provenance.sha256
