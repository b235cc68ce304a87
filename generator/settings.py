"""Every setting of an atlas, declared once: its type, default, bounds and help, and what the command line, the
profiles and the report take from it (the style of mkdocs' ``config/defaults.py``).

``config.AtlasConfig`` (the validated model), ``keras-atlas build``'s flags, ``config.PROFILES`` and the report's
list of the settings that shape the pictures are all made from ``SETTINGS``. Standard library only: the command
line's help reads it without importing pydantic.
"""

from __future__ import annotations

from argparse import ArgumentTypeError
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal


@dataclass(frozen=True)
class Setting:
    """One setting: its value's type, default and bounds (``ge``, ``le``, ``gt``, ``min_length`` as pydantic takes
    them), its help (the config's documentation and, where it has a flag, the flag's help), its flag, its value in
    each profile (None: the default) and whether the report lists it."""

    type: Any
    default: Any
    help: str
    bounds: dict[str, Any] = field(default_factory=dict)
    flag: str | None = None
    """``keras-atlas build``'s option (``--filters``); a ``bool`` setting's flag is a switch, a list's repeats."""
    metavar: str | None = None
    parse: Callable[[str], Any] | None = None
    """How the flag's text becomes the value (default: the type's)."""
    switch: bool = True
    """The value a ``bool`` setting's switch sets (``--no-site`` sets ``build_site`` to False)."""
    flag_help: str | None = None
    """The flag's help where ``help`` is longer than a terminal line or two."""
    reported: bool = False
    """Listed on the report page: it shapes the pictures."""
    quick: Any = None
    publish: Any = None


def positive_int(text: str) -> int:
    """A flag's whole number of at least 1."""
    value = int(text)
    if value < 1:
        raise ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def layers_flag(text: str) -> int | str | list[str]:
    """``--layers``: a count, ``all`` or comma-separated names."""
    if text == "all":
        return text
    if text.isdigit():
        return positive_int(text)
    return [name.strip() for name in text.split(",") if name.strip()]


SETTINGS: dict[str, Setting] = {
    "title": Setting(str, "Keras Atlas", "Site title.", flag="--title", metavar="TEXT"),
    "profile": Setting(
        Literal["quick", "publish"] | None, None,
        "Preset for the settings the config and flags leave unset: quick (2 CPU cores, minutes) or publish (GPU "
        "runners: every layer, larger images, more steps, and no units pages unless asked, to stay under 1 GB); "
        "explicit settings win.",
        flag="--profile", metavar="quick|publish", reported=True),
    "images": Setting(
        list[str], ("data/pets-sample",),
        "Image files, folders or globs (JPEG, PNG, WebP); an Oxford-IIIT Pet folder is recognised.",
        bounds={"min_length": 1}, flag="--images", metavar="PATH"),
    "per_breed": Setting(
        int | None, None, "With an Oxford-IIIT Pet folder: take this many images of each breed.",
        bounds={"ge": 1}, flag="--per-breed", metavar="N", parse=positive_int, reported=True),
    "weights": Setting(
        str, "auto",
        "auto (Keras' ImageNet weights, else a registry-package source), imagenet, package, random (untrained, "
        "seeded) or a weights file path.",
        flag="--weights", metavar="auto|imagenet|package|random|PATH", reported=True),
    "allow_untrained": Setting(
        bool, False, "With auto: use an untrained network, marked as such, when no trained weights can be had.",
        flag="--allow-untrained", reported=True),
    "layers": Setting(
        Any, 4,
        "Convolutional layers to draw: N spread evenly through the depth (first and last included), all, or names.",
        flag="--layers", metavar="N|all|NAMES", parse=layers_flag, reported=True, quick=3, publish="all"),
    "filters": Setting(
        int, 64, "Filters per layer in a mosaic (the first N), drawn 8 per row.", bounds={"ge": 1, "le": 1024},
        flag="--filters", metavar="N", parse=positive_int, reported=True, quick=64, publish=64),
    "size": Setting(
        int, 64, "Side in pixels of each filter-visualisation image.", bounds={"ge": 16, "le": 512},
        flag="--size", metavar="PX", parse=positive_int, reported=True, quick=64, publish=128),
    "steps": Setting(
        int, 40,
        "The most optimisation steps a layer's filter images take: they stop sooner once their objective stops "
        "rising (cheap early layers run longer than costly deep ones); a layer linear in the input takes none "
        "(closed form).",
        bounds={"ge": 0, "le": 5000}, flag="--steps", metavar="N", reported=True, quick=24, publish=256,
        flag_help="the most optimisation steps per filter image; a layer stops sooner once its images stop improving"),
    "learning_rate": Setting(
        float | None, None,
        "Adam learning rate of filter visualisation (default: the family's, filters.LEARNING_RATE for all of them).",
        bounds={"gt": 0, "le": 10}, flag="--learning-rate", metavar="RATE", reported=True),
    "top_k": Setting(
        int, 3, "Predictions listed per image.", bounds={"ge": 1, "le": 100}, flag="--top-k", metavar="K",
        parse=positive_int, reported=True),
    "class_index": Setting(
        int | None, None, "Class explained by heatmaps; the top-1 prediction of each image when absent.",
        bounds={"ge": 0}, flag="--class-index", metavar="I", reported=True),
    "cam": Setting(
        list[str], ("gradcam",),
        "Class-activation methods drawn side by side (all come from the same forward and backward pass): gradcam, "
        "gradcam++, layercam or hirescam (compute.cams.METHODS).",
        bounds={"min_length": 1}, flag="--cam", metavar="METHOD", reported=True),
    "photos_per_layer_page": Setting(
        int, 8,
        "Photos shown on each layer page, with their activation grids (the atlas' first ones); every photo's "
        "heatmaps through every layer are on its own page per backbone. Bounds a layer page's length and the "
        "atlas' bytes.",
        bounds={"ge": 1}, flag="--photos-per-layer-page", metavar="N"),
    "faithfulness_steps": Setting(
        int, 16,
        "Steps of the deletion and insertion curves that score every heatmap (0: no scores, no sanity check); "
        "each photo then costs 2 + 2 x maps x (steps - 1) passes through the network, a map per layer and method.",
        bounds={"ge": 0, "le": 128}, flag="--faithfulness-steps", metavar="N", reported=True, quick=4, publish=16),
    "examples_per_unit": Setting(
        int, 8,
        "Natural examples shown per unit of each drawn layer: the photo crops where it responds most strongly, on "
        "the layer's units page (0: none).",
        bounds={"ge": 0, "le": 32}, flag="--examples-per-unit", metavar="K", publish=0),
    "examples": Setting(
        list[str] | None, None,
        "Where the natural examples come from: image files, folders or globs, or an Oxford-IIIT Pet folder (all "
        "7,349 photos); default: the atlas' images. Adding photos computes only the groups of photos they fall in.",
        bounds={"min_length": 1}, flag="--examples", metavar="PATH"),
    "examples_per_breed": Setting(
        int | None, None, "With an Oxford-IIIT Pet folder as examples: take this many photos of each breed.",
        bounds={"ge": 1}, flag="--examples-per-breed", metavar="N", parse=positive_int),
    "heatmap_alpha": Setting(
        float, 0.4, "Weight of the heatmap colour when laid over the photo.", bounds={"ge": 0, "le": 1},
        flag="--heatmap-alpha", metavar="A", reported=True),
    "seed": Setting(
        int, 0, "Seed of random weights and of filter visualisation noise.", bounds={"ge": 0}, flag="--seed",
        metavar="N", reported=True),
    "docs_dir": Setting(
        Path, Path("site_src"), "MkDocs docs folder; the generator writes into its atlas/ sub-folder only.",
        flag="--docs-dir", metavar="DIR"),
    "site_dir": Setting(Path, Path("site"), "Where mkdocs build writes the site.", flag="--site-dir", metavar="DIR"),
    "cache_dir": Setting(
        Path, Path(".atlas-cache"), "Content-addressed cache of computed arrays.", flag="--cache-dir", metavar="DIR"),
    "build_site": Setting(
        bool, True, "Run mkdocs build --strict after generating the pages.", flag="--no-site", switch=False,
        flag_help="generate Markdown and images, skip mkdocs build"),
    "runner_gmacs": Setting(
        float, 6.0,
        "Billions of multiply-accumulates a second that a shard's runner computes, as the cost model counts them "
        "(compute.cost): what --shards-for divides the work by. Every shard's build logs the rate it reached; 6 is "
        "the slowest measured on 2 CPU cores (a depthwise network at the publish profile).",
        bounds={"gt": 0}, flag="--runner-gmacs", metavar="RATE",
        flag_help="billions of multiply-accumulates a second a shard's runner computes, by the cost model (a "
                  "shard's build logs the rate it reached)"),
}
"""Name -> setting, in the order the config documents them and the report lists them."""

PROFILES: dict[str, dict[str, Any]] = {
    profile: {name: getattr(setting, profile) for name, setting in SETTINGS.items()
              if getattr(setting, profile) is not None}
    for profile in ("quick", "publish")
}
"""Presets for settings the config and flags leave unset, from each setting's declaration: ``quick`` builds on
2 CPU cores in minutes, ``publish`` (every layer, larger images, more steps) is meant for GPU runners. ``quick``
scores heatmaps with 4 steps: at 8 they doubled the default atlas' cold build on 2 cores
(``benchmarks/README.md``). ``publish`` draws no units pages unless asked: the whole atlas is projected at 0.97 GB
without them, and their strips and pages at 0.54 GB more, over the 1 GB a static host such as GitHub Pages takes."""

REPORTED_SETTINGS = tuple(name for name, setting in SETTINGS.items() if setting.reported)
"""The settings that shape the pictures, listed on the report page."""
