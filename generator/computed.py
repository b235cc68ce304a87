"""Compute through the array tier of the cache: each work unit's key, and its arrays, computed only when missing.

Two kinds of unit (see ``plan``): the filter images of a layer, and the analysis of an image (probabilities, the
first activation channels and every CAM of every drawn layer). Images go through the network in batches of
exactly ``IMAGE_BATCH``, padded with blank images: measured on TensorFlow's CPU kernels, an image's results then
do not depend on which images share its batch or where it sits, so a shard, an incremental rebuild and a clean
build all give the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from generator.backbones import Backbone
from generator.cache import Cache, code_hash, make_key
from generator.compute.filters import Recipe, visualize_filters
from generator.compute.recipes import recipe_for
from generator.compute.layers import channel_count
from generator.config import AtlasConfig, recipe_overrides
from generator.images import SourceImage

IMAGE_BATCH = 4
"""Images per forward/backward pass (always full; see the module docstring)."""
ACTIVATION_CHANNELS = 64


def analysis_mode(atlas_photos: int) -> str:
    """How photos go through the network: ``eager`` when all of the atlas' photos fit one batch, else ``compiled``.

    A single batch would pay the compiled pass' tracing for nothing (see ``heatmaps``). The two modes round
    differently in the last bits, so the mode comes from the whole atlas' photo count, never from the share a
    shard or a rebuild computes, and it is part of the analysis key: every build of one atlas gives the same bytes.
    """
    return "eager" if atlas_photos <= IMAGE_BATCH else "compiled"


@dataclass
class Compute:
    """What a compute call needs besides its inputs: the cache, and which units to redo regardless of it."""

    config: AtlasConfig
    cache: Cache
    redo: Callable[[str], bool] = lambda path: False
    analysis_mode: str = "compiled"
    """``analysis_mode(number of photos in the atlas)``: how every photo of this build goes through the network."""


def filters_shown(layer, config: AtlasConfig) -> int:
    """How many filters a mosaic shows: the first ``filters``, or all the layer has if fewer."""
    return min(config.filters, channel_count(layer))


def filter_indices(layer, config: AtlasConfig) -> list[int]:
    return list(range(filters_shown(layer, config)))


def filters_recipe(backbone: Backbone, layer_name: str, config: AtlasConfig) -> Recipe:
    """Family defaults, the atlas' learning rate, the backbone's ``recipe:`` overrides, and the layer's tiling."""
    return recipe_for(
        backbone.family, size=config.size, steps=config.steps, min_canvas=backbone.min_size, model=backbone.model,
        layer_name=layer_name, learning_rate=config.learning_rate, overrides=recipe_overrides(config, backbone.name),
    )


def filters_key(backbone: Backbone, layer_name: str, config: AtlasConfig) -> str:
    return make_key(
        kind="filters", backbone=backbone.name, weights=backbone.provenance.sha256, layer=layer_name,
        filters=filter_indices(backbone.model.get_layer(layer_name), config), recipe=asdict(filters_recipe(backbone, layer_name, config)),
        seed=config.seed, code=code_hash("compute"),
    )


def filters_of(backbone: Backbone, layer_name: str, work: Compute) -> np.ndarray:
    """uint8 filter images (filters, size, size, 3) of one layer, from the cache or computed and cached."""
    key = filters_key(backbone, layer_name, work.config)
    cached = None if work.redo(f"{backbone.name}/{layer_name}") else work.cache.get_arrays(key)
    if cached is not None:
        return cached["images"]
    images = visualize_filters(
        backbone.model, layer_name, filter_indices(backbone.model.get_layer(layer_name), work.config),
        seed=work.config.seed, preprocess=backbone.preprocess_fn, recipe=filters_recipe(backbone, layer_name, work.config),
    )
    work.cache.put_arrays(key, {"images": images})
    return images


def analysis_key(backbone: Backbone, layer_names: list[str], image: SourceImage, work: Compute) -> str:
    config = work.config
    return make_key(
        kind="analysis", backbone=backbone.name, weights=backbone.provenance.sha256, image=image.sha256,
        layers=layer_names, channels=ACTIVATION_CHANNELS, class_index=config.class_index, cam=config.cam,
        batch=IMAGE_BATCH, mode=work.analysis_mode, code=code_hash("compute"),
    )


def analyse_images(
    backbone: Backbone, layer_names: list[str], images: list[SourceImage], work: Compute, on_batch: Callable[[], None]
) -> dict[str, dict[str, np.ndarray]]:
    """Per image: probabilities, the first channels of every layer's activations, every CAM of every layer.

    Cached images are not recomputed; the rest go through the network ``IMAGE_BATCH`` at a time, each batch in
    one forward and one backward pass for all layers.
    """
    results: dict[str, dict[str, np.ndarray]] = {}
    missing = []
    for image in images:
        key = analysis_key(backbone, layer_names, image, work)
        cached = None if work.redo(f"{backbone.name}/images/{image.id}") else work.cache.get_arrays(key)
        if cached is None:
            missing.append(image)
        else:
            results[image.id] = cached
    for start in range(0, len(missing), IMAGE_BATCH):
        batch = missing[start : start + IMAGE_BATCH]
        for image, arrays in zip(batch, _analyse_batch(backbone, layer_names, batch, work), strict=True):
            work.cache.put_arrays(analysis_key(backbone, layer_names, image, work), arrays)
            results[image.id] = arrays
        on_batch()
    return results


def _analyse_batch(backbone: Backbone, layer_names: list[str], batch: list[SourceImage], work: Compute):
    from generator.compute.activations import layer_activations
    from generator.compute.heatmaps import explain

    pixels = np.stack([image.resized(backbone.input_shape[:2]) for image in batch])
    blanks = np.zeros((IMAGE_BATCH - len(batch), *pixels.shape[1:]), pixels.dtype)
    pixels = backbone.preprocess(np.concatenate([pixels, blanks]))
    explanation = None
    if backbone.class_names is not None:
        explanation = explain(backbone.model, pixels, layer_names, work.config.class_index, tuple(work.config.cam),
                              compiled=work.analysis_mode == "compiled")
        activations = explanation.activations
    else:  # no classifier: nothing to predict or explain, activations only
        activations = layer_activations(backbone.model, pixels, layer_names)
    for row in range(len(batch)):
        arrays = {f"activations/{name}": activations[name][row][..., :ACTIVATION_CHANNELS] for name in layer_names}
        if explanation is not None:
            arrays["probabilities"] = explanation.probabilities_all[row]
            arrays["class_index"] = np.asarray(explanation.class_indices[row])
            arrays["class_probability"] = np.asarray(explanation.probabilities[row])
            for method, maps in explanation.cams.items():
                for name in layer_names:
                    arrays[f"cam/{method}/{name}"] = maps[name][row]
        yield arrays
