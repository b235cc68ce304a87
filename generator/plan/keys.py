"""The content keys of units and figures: everything a value depends on, hashed. The one place keys are made.

A unit's key covers the backbone, its network's identity (its weights' hash, its spec and registry row:
``network_identity``), the image's bytes, the layer, every compute parameter, the
seed, the code that computes it (the import closure of its kind's module, ``units.<kind>``, see ``cache.code``) and the versions of
the libraries that shape arrays. A figure's key is the key of the arrays it shows plus every render parameter,
the draw stage's code and the versions of the libraries and codecs that encode it. Changing what a key covers
is the one way to redo work.
"""

from __future__ import annotations

from typing import Any

from generator.cache import make_key
from generator.cache.code import code_hash, graphviz_version, image_codec_versions, library_versions

FIGURES_CODE = "generator.pipeline.draw_figures"
"""The draw stage: figures are cheap to redraw, so every figure kind shares the stage's whole closure."""
ARRAY_LIBRARIES = ("tensorflow", "tensorflow-cpu", "keras", "numpy", "pillow")
FIGURE_LIBRARIES = ("numpy", "pillow", "matplotlib")

THUMBNAIL_SIDE = 320
"""Longest side of a thumbnail at most (cards, tables, the filter mosaic on its layer page)."""
PHOTO_SIDE = 512
"""Longest side of the photo stored once for every page (the lightbox shows it; thumbnails come from it)."""


SPEC_FIELDS_NOT_SHAPING_ARRAYS = ("title", "weights", "recipe", "path", "classes", "trust_code")
"""Fields of a backbone's spec that reach no array through the network: its title is shown; the weights it names
and the model file reach the keys as the hash of the weight values loaded; the recipe as each filters key's
``Recipe``; class names and trust are read, never computed with."""


def network_identity(weights_sha256: str, spec: dict[str, Any], application: dict[str, Any] | None) -> str:
    """What decides a network's arrays besides the code: the values of its weights, its spec (``BackboneSpec``
    dumped: alpha, input size, a model file's input scaling...) and its registry row (None for a model file).
    They are values here, never code (``cache.code.KEYED_AS_VALUES``): another backbone's row changes nothing."""
    shaping = {name: value for name, value in spec.items() if name not in SPEC_FIELDS_NOT_SHAPING_ARRAYS}
    return make_key(weights=weights_sha256, spec=shaping, application=application)


def unit_key(kind_module: str, **values: Any) -> str:
    """The key of a work unit of the kind ``kind_module`` (``units.<kind>``): its ``values`` (whole typed settings,
    ``dataclasses.asdict``), the kind's code (the module's import closure) and the libraries that shape arrays."""
    return make_key(**values, code=code_hash(kind_module), libraries=library_versions(*ARRAY_LIBRARIES))


def crops_key(examples: list[str], layer: str, unit: int, side: int) -> str:
    """A unit's strip of crops: every group's examples (any may hold one of its top ones), the unit and the side."""
    return figure_key(make_key(examples=examples), kind="unit crops", layer=layer, unit=unit, side=side)


def faithfulness_chart_key(scores: list[str], layers: list[str], methods: list[str], title: str) -> str:
    """The chart of a backbone's scores through its depth: every photo's scores, and what the chart names."""
    return figure_key(make_key(scores=scores), kind="faithfulness chart", layers=layers, methods=methods, title=title)


def figure_key(array_key: str, **render_parameters: Any) -> str:
    """The key of a figure: the key of the arrays it shows, how it is drawn, the draw code and its libraries."""
    return make_key(arrays=array_key, render=render_parameters, code=code_hash(FIGURES_CODE),
                    libraries=library_versions(*FIGURE_LIBRARIES), codecs=image_codec_versions())


def photo_key(image_sha256: str) -> str:
    return figure_key(image_sha256, kind="photo", side=PHOTO_SIDE)


def thumbnail_key(figure: str, side: int = THUMBNAIL_SIDE) -> str:
    """A thumbnail is made from the figure's bytes: its key is the figure's key and how it is shrunk."""
    return figure_key(figure, kind="thumbnail", side=side)


def architecture_keys(dot: str) -> tuple[str, str]:
    """(SVG, PNG) of the Graphviz layout of ``dot``."""
    dot_key = make_key(dot=dot)
    layout = graphviz_version()
    return figure_key(dot_key, kind="svg", graphviz=layout), figure_key(dot_key, kind="png", graphviz=layout)


def confusion_key(analyses: list[str], breeds: list[str], title: str) -> str:
    """The chart of a network's breed confusions: the analyses its predictions come from, and the photos' breeds."""
    return figure_key(make_key(analyses=analyses, breeds=breeds), kind="confusion", title=title)


def mosaic_key(filters: str) -> str:
    return figure_key(filters, kind="mosaic")


def activations_key(analysis: str, layer: str, channels: int) -> str:
    return figure_key(analysis, kind="activations", layer=layer, channels=channels)


def heatmap_key(analysis: str, layer: str, method: str) -> str:
    """The map alone (pages lay it over the photo at the atlas' opacity): its render settings are in the code hash."""
    return figure_key(analysis, kind="heatmap map", layer=layer, method=method)
