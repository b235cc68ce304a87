"""Where a backbone's weights come from, and the provenance every page states.

Three sources, named by ``weights``: ``imagenet`` goes through Keras' own download and cache (offline it fails
fast, naming the missing file and how to put it into the cache), ``random`` is an untrained network seeded for
repeatability, and a path loads a ``.weights.h5``, ``.h5`` or ``.keras`` file. No source ever falls back to
another silently.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Callable

from generator.errors import AtlasError, ConfigError

KERAS_CACHE = Path("~/.keras/models").expanduser()


@dataclass(frozen=True)
class Provenance:
    """What a page says about the weights it shows."""

    kind: str
    """``imagenet``, ``package``, ``random``, ``file`` or ``model-file``."""
    summary: str
    """One sentence for the page, e.g. 'ImageNet-1k weights, loaded through Keras'."""
    trained: bool
    """False for an untrained network: its pages carry a visible notice."""
    source: str
    """The URL, file or seed the weights came from."""
    sha256: str = ""
    """Hash of the weight values, filled in once the model is built; part of every cache key."""
    note: str = ""
    """What was tried before this source and why it failed (with ``--weights auto``)."""
    label: str = ""
    """A badge of a few words: what the weights were trained on ('ImageNet-1k', 'untrained'...)."""


def build_with_weights(build: Callable[[str | None], "object"], weights: str, *, label: str, seed: int):
    """Build a model with ``build(keras_weights_argument)`` and the chosen ``weights``.

    Returns ``(model, Provenance)``. ``label`` names the backbone in error messages.
    """
    import keras

    fresh_names()

    if weights == "random":
        keras.utils.set_random_seed(seed)
        model = build(None)
        return model, Provenance(
            kind="random",
            summary=f"Untrained: random initial weights (seed {seed}). Filters, predictions and heatmaps show no learned features.",
            trained=False,
            source=f"seed {seed}",
            label="untrained",
        )
    if weights == "imagenet":
        model = _build_imagenet(build, label)
        return model, Provenance(
            kind="imagenet",
            summary="ImageNet-1k weights, loaded through Keras' own download and cache (~/.keras/models).",
            trained=True,
            source="keras.applications",
            label="ImageNet-1k",
        )
    path = Path(weights)
    keras.utils.set_random_seed(seed)
    model = build(None)
    load_weights_file(model, path, label=label)
    return model, Provenance(
        kind="file",
        summary=f"Weights loaded from the file {path.name}.",
        trained=True,
        source=str(path),
        label="weights file",
    )


def fresh_names() -> None:
    """Reset Keras' automatic layer names, so a backbone's layers are named the same whatever was built before.

    Keras numbers unnamed layers per process (``input_layer``, ``input_layer_1``...): without this, a weight
    conversion or a failed download earlier in the build renames layers in the summary and the plot.
    """
    import keras

    keras.backend.clear_session()


_unreachable: list[str] = []
"""The first failed ImageNet download of this process: later backbones do not wait on the network again."""


def _build_imagenet(build, label: str):
    import socket

    if _unreachable:
        raise AtlasError(
            f"{label}: ImageNet weights not tried: the download site was unreachable earlier in this build, "
            f"when another backbone fetched {_unreachable[0]}"
        )
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(30)
    try:
        return build("imagenet")
    except AtlasError:
        raise
    except Exception as error:  # Keras raises a bare Exception for a failed fetch
        message = imagenet_download_message(label, error)
        if "URL fetch failure" in str(error) and ("Errno" in str(error) or "timed out" in str(error)):
            _unreachable.append(" ".join(str(error).split())[-80:])
        raise AtlasError(message) from None
    finally:
        socket.setdefaulttimeout(previous)


def load_weights_file(model, path: Path, *, label: str) -> None:
    """``model.load_weights(path)`` with an error that names the file and what disagreed."""
    if not path.is_file():
        raise ConfigError(f"{label}: weights file {path} does not exist")
    try:
        model.load_weights(str(path))
    except OSError as error:  # h5py: truncated, or not an HDF5 file at all
        raise AtlasError(
            f"{label}: weights file {path} cannot be read ({' '.join(str(error).split())[:160]}); "
            "it is truncated or not a Keras weights file. Download or save it again."
        ) from None
    except Exception as error:
        raise AtlasError(
            f"{label}: weights file {path} does not fit this architecture: {mismatch_summary(error)}. "
            "Check that it was saved from the same backbone and options (alpha, input size)."
        ) from None


def mismatch_summary(error: Exception) -> str:
    """'layer conv1 expects (3, 3, 3, 16), the file has (3, 3, 3, 8); 55 layers disagree' from Keras' long message."""
    text = " ".join(str(error).split())
    layer = re.search(r"object <\w+ name=([^,>]+)", text)
    shapes = re.search(r"variable\.shape=(\([^)]*\)), Received: value\.shape=(\([^)]*\))", text)
    count = re.search(r"A total of (\d+) objects could not be loaded", text)
    if layer and shapes:
        summary = f"layer {layer.group(1)} expects {shapes.group(1)}, the file has {shapes.group(2)}"
        return summary + (f"; {count.group(1)} layers disagree" if count else "")
    return text[:300]


def imagenet_download_message(label: str, error: Exception) -> str:
    """Turn Keras' fetch failure into a message that names the missing file and how to provide it."""
    text = " ".join(str(error).split())
    match = re.search(r"(https?://\S+?\.h5)", text)
    if match is None:
        return f"{label}: ImageNet weights could not be loaded through Keras: {text}"
    url = match.group(1)
    filename = url.rsplit("/", 1)[-1]
    return (
        f"{label}: ImageNet weights file {filename} is not in the Keras cache and could not be downloaded "
        f"({text.split(': ', 1)[-1][:160]}). On a machine with internet, download {url} and copy it to "
        f"{KERAS_CACHE / filename}; or choose --weights random (untrained) or --weights PATH."
    )


def hash_weight_values(model) -> str:
    """sha256 of every weight array in order: the identity of 'these weights' in cache keys."""
    digest = hashlib.sha256()
    for variable in model.weights:
        value = variable.numpy()
        digest.update(str(value.shape).encode())
        digest.update(value.tobytes())
    return digest.hexdigest()
