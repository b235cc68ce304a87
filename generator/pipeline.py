"""The build: config -> images -> per backbone (load once, compute, render) -> pages -> mkdocs.

Each stage hands the next a plain value. Compute results go through the content-addressed cache, so a rebuild
recomputes only what changed; every file goes through ``write_bytes_if_changed``, so a rebuild rewrites only
what changed. Files in the generated folder that this build did not produce are removed at the end of a
successful build, never before, and never outside that folder.
"""

from __future__ import annotations

import io
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from generator.backbones import Backbone, load_spec
from generator.cache import ArrayCache, code_hash, make_key
from generator.compute.filters import Recipe, visualize_filters
from generator.compute.heatmaps import CAM_TITLES
from generator.compute.layers import channel_count, select_layers
from generator.compute.summary import architecture_dot, layer_summary
from generator.config import AtlasConfig, BackboneSpec
from generator.errors import AtlasError
from generator.files import write_bytes_if_changed
from generator.images import ImageSet, SourceImage, load_images, slugify
from generator.paths import GENERATED_SUBDIR
from generator.progress import Reporter
from generator.render.activations import activation_grid
from generator.render.architecture import graphviz, png_dpi
from generator.render.contrast import stretch
from generator.render.encode import jpeg_bytes, png_bytes
from generator.render.mosaic import tile
from generator.render.overlay import overlay
from generator.results import AtlasResult, BackboneResult, LayerFigure, LayerResult, PhotoResult

IMAGE_BATCH = 8
"""Images per forward/backward pass: large enough to use the cores, small enough for VGG at 224 px."""
ACTIVATION_CHANNELS = 64
PHOTO_SIDE = 512


@dataclass
class BuildStats:
    """What a build did, for the closing summary line."""

    seconds: float = 0.0
    files_written: int = 0
    files_removed: int = 0
    cache_hits: int = 0
    cache_misses: int = 0


class Writer:
    """Writes generated files under one folder and remembers which it produced (to prune the rest)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.produced: set[Path] = set()
        self.written = 0

    def write(self, relative: str, data: bytes) -> str:
        path = self.root / relative
        self.produced.add(path.resolve())
        if write_bytes_if_changed(path, data):
            self.written += 1
        return relative

    def prune(self) -> int:
        """Delete files under ``root`` that this build did not produce, then empty folders; returns the count."""
        removed = 0
        if not self.root.is_dir():
            return 0
        for path in sorted(self.root.rglob("*"), reverse=True):
            if path.is_file() and path.resolve() not in self.produced:
                path.unlink()
                removed += 1
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
        return removed


def build(config: AtlasConfig, *, reporter: Reporter | None = None) -> tuple[AtlasResult, BuildStats]:
    """Generate the atlas' Markdown and images under ``config.docs_dir/atlas`` (and the site, if asked)."""
    from generator.pages import navigation, write_pages
    from generator.site import build_site, hand_written_pages, prepare_docs_dir

    reporter = reporter or Reporter(quiet=True)
    started = time.perf_counter()
    image_set = load_images(config.images, config.per_breed)
    for skipped in image_set.skipped:
        reporter.warn(f"skipped {skipped.path}: {skipped.reason}")
    if not image_set.images:
        raise AtlasError(f"images: no usable image in {', '.join(config.images)}")

    _configure_tensorflow()
    prepare_docs_dir(config.docs_dir)
    writer = Writer(Path(config.docs_dir) / GENERATED_SUBDIR)
    cache = ArrayCache(config.cache_dir)
    photos = [_write_photo(writer, image) for image in image_set.images]
    results = []
    with reporter.session():
        for index, spec in enumerate(config.backbones, 1):
            backbone_started = time.perf_counter()
            result = build_backbone(spec, config, image_set, writer, cache, reporter, f"[{index}/{len(config.backbones)}]")
            results.append(result)
            reporter.line(
                f"{result.title}: {len(result.layers)} layers x {len(image_set.images)} images, "
                f"{result.provenance.kind} weights, {time.perf_counter() - backbone_started:.1f} s"
            )
    atlas = AtlasResult(
        title=config.title,
        photos=photos,
        backbones=results,
        skipped=[(str(item.path), item.reason) for item in image_set.skipped],
    )
    write_pages(atlas, writer)
    stats = BuildStats(files_written=writer.written, files_removed=writer.prune(), cache_hits=cache.hits, cache_misses=cache.misses)
    if config.build_site:
        build_site(config, navigation(atlas, hand_written_pages(config.docs_dir)))
    stats.seconds = time.perf_counter() - started
    return atlas, stats


def _configure_tensorflow() -> None:
    """Deterministic ops, so that two builds give the same bytes."""
    import tensorflow as tf

    os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")
    try:
        tf.config.experimental.enable_op_determinism()
    except Exception:  # older TensorFlow: determinism is then best effort
        pass


def _write_photo(writer: Writer, image: SourceImage) -> PhotoResult:
    picture = Image.fromarray(image.pixels)
    picture.thumbnail((PHOTO_SIDE, PHOTO_SIDE), Image.Resampling.LANCZOS)
    path = writer.write(f"photos/{image.id}.jpg", jpeg_bytes(np.asarray(picture)))
    return PhotoResult(image.id, image.file_name, path, image.breed, image.species)


# ----------------------------------------------------------------------------------------------------------
# One backbone


def build_backbone(
    spec: BackboneSpec, config: AtlasConfig, image_set: ImageSet, writer: Writer, cache: ArrayCache, reporter: Reporter, tag: str
) -> BackboneResult:
    """Load one backbone, compute (or reuse) everything about it, and write its figures."""
    backbone = load_spec(
        spec, spec.weights or config.weights, seed=config.seed, cache_dir=config.cache_dir, allow_untrained=config.allow_untrained
    )
    try:
        return _draw_backbone(backbone, config, image_set, writer, cache, reporter, tag)
    except AtlasError:
        raise
    except Exception as error:  # a bug: keep the traceback, but say which backbone it happened on
        error.add_note(f"keras-atlas: while drawing backbone {backbone.name} ({backbone.title})")
        raise


def _draw_backbone(
    backbone: Backbone, config: AtlasConfig, image_set: ImageSet, writer: Writer, cache: ArrayCache, reporter: Reporter, tag: str
) -> BackboneResult:
    model = backbone.model
    layer_names = select_layers(model, config.layers, label=f"backbone {backbone.name}")
    if config.class_index is not None and backbone.class_names and config.class_index >= len(backbone.class_names):
        raise AtlasError(f"class_index: {config.class_index} is outside {backbone.title}'s {len(backbone.class_names)} classes")
    advance = reporter.task(f"{tag} {backbone.title}", 1 + len(layer_names) + -(-len(image_set.images) // IMAGE_BATCH))

    summary = layer_summary(model)
    svg, png, note = _architecture(backbone, writer)
    advance(f"{tag} {backbone.title}: photos")
    analyses = analyse_images(backbone, layer_names, image_set.images, config, cache, lambda: advance(f"{tag} {backbone.title}: photos"))
    predictions = {}
    if backbone.class_names is not None:
        top_k = min(config.top_k, len(backbone.class_names))
        predictions = {image.id: backbone.decode(analyses[image.id]["probabilities"][None], top_k)[0] for image in image_set.images}
    layer_results = []
    for name in layer_names:
        advance(f"{tag} {backbone.title}: filters of {name}")
        layer_results.append(_draw_layer(backbone, model.get_layer(name), image_set, analyses, config, writer, cache))
    reporter.done(tag)
    return BackboneResult(
        name=backbone.name,
        title=backbone.title,
        provenance=backbone.provenance,
        input_shape=backbone.input_shape,
        summary=summary,
        architecture_svg=svg,
        architecture_png=png,
        architecture_note=note,
        has_classifier=backbone.class_names is not None,
        predictions=predictions,
        layers=layer_results,
        settings={"size": config.size, "steps": config.steps, "seed": config.seed, "filters": config.filters,
                  "learning_rate": config.learning_rate, "top_k": config.top_k},
    )


def _draw_layer(backbone: Backbone, layer, image_set: ImageSet, analyses, config: AtlasConfig, writer: Writer, cache: ArrayCache) -> LayerResult:
    """The filter mosaic of one layer, and its activation grid and heatmap for every photo."""
    slug = slugify(layer.name)
    folder = f"{backbone.name}/layers/{slug}"
    mosaic = writer.write(f"{folder}/filters.png", png_bytes(tile(stretch(_filters_for(backbone, layer.name, config, cache)))))
    figures = []
    for image in image_set.images:
        analysis = analyses[image.id]
        grid = activation_grid(analysis[f"activations/{layer.name}"], ACTIVATION_CHANNELS)
        activations_file = writer.write(f"{folder}/activations-{image.id}.png", png_bytes(grid))
        heatmaps, explained_class, explained_probability = [], None, None
        if "class_index" in analysis:
            photo = image.resized(backbone.input_shape[:2])
            for method in config.cam:
                blended = overlay(photo, analysis[f"cam/{method}/{layer.name}"], alpha=config.heatmap_alpha)
                file_name = f"{folder}/{slugify(method.replace('++', '-plus-plus'))}-{image.id}.jpg"
                heatmaps.append((CAM_TITLES[method], writer.write(file_name, jpeg_bytes(blended))))
            explained_class = backbone.class_names[int(analysis["class_index"])]
            explained_probability = float(analysis["class_probability"])
        figures.append(LayerFigure(image.id, activations_file, heatmaps, explained_class, explained_probability))
    return LayerResult(
        name=layer.name,
        slug=slug,
        kind=type(layer).__name__,
        output_shape=str(tuple(layer.output.shape)).replace("None", "?"),
        channels=channel_count(layer),
        filters_shown=min(config.filters, channel_count(layer)),
        mosaic=mosaic,
        figures=figures,
    )


def _architecture(backbone: Backbone, writer: Writer) -> tuple[str | None, str | None, str | None]:
    dot = architecture_dot(backbone.model)
    if not dot:
        return None, None, f"{len(backbone.model.layers)} layers are too many for a readable plot; see the layer summary."
    svg_bytes = graphviz(dot, "svg")
    svg = writer.write(f"{backbone.name}/architecture.svg", svg_bytes)
    raw_png = graphviz(dot, "png", dpi=png_dpi(svg_bytes))
    pixels = np.asarray(Image.open(io.BytesIO(raw_png)).convert("RGB"))
    png = writer.write(f"{backbone.name}/architecture.png", png_bytes(pixels))
    return svg, png, None


def _filters_for(backbone: Backbone, layer_name: str, config: AtlasConfig, cache: ArrayCache) -> np.ndarray:
    layer = backbone.model.get_layer(layer_name)
    indices = list(range(min(config.filters, channel_count(layer))))
    recipe = Recipe(
        size=config.size, steps=config.steps, learning_rate=config.learning_rate, min_canvas=backbone.min_size,
        canvas_multiple=32 if backbone.family == "nasnet" else 8,
    )
    key = make_key(
        kind="filters", backbone=backbone.name, weights=backbone.provenance.sha256, layer=layer_name,
        filters=indices, recipe=asdict(recipe), seed=config.seed, code=code_hash("compute"),
    )
    cached = cache.get(key)
    if cached is not None:
        return cached["images"]
    images = visualize_filters(
        backbone.model, layer_name, indices, seed=config.seed, preprocess=backbone.preprocess_fn, recipe=recipe
    )
    cache.put(key, {"images": images})
    return images


def analyse_images(
    backbone: Backbone, layer_names: list[str], images: list[SourceImage], config: AtlasConfig, cache: ArrayCache, on_batch
) -> dict[str, dict[str, np.ndarray]]:
    """Per image: probabilities, the first channels of every layer's activations, Grad-CAM of every layer.

    Images whose results are cached are not recomputed; the rest go through the network in batches, each batch
    in one forward and one backward pass for all layers.
    """
    from generator.compute.activations import layer_activations
    from generator.compute.heatmaps import explain

    results: dict[str, dict[str, np.ndarray]] = {}
    keys = {
        image.id: make_key(
            kind="analysis", backbone=backbone.name, weights=backbone.provenance.sha256, image=image.sha256,
            layers=layer_names, channels=ACTIVATION_CHANNELS, class_index=config.class_index, cam=config.cam,
            code=code_hash("compute"),
        )
        for image in images
    }
    missing = []
    for image in images:
        cached = cache.get(keys[image.id])
        if cached is None:
            missing.append(image)
        else:
            results[image.id] = cached
    for start in range(0, max(len(missing), 1), IMAGE_BATCH):
        batch = missing[start : start + IMAGE_BATCH]
        if batch:
            pixels = backbone.preprocess(np.stack([image.resized(backbone.input_shape[:2]) for image in batch]))
            explanation = None
            if backbone.class_names is not None:
                explanation = explain(backbone.model, pixels, layer_names, config.class_index, tuple(config.cam))
                activations = explanation.activations
            else:  # no classifier: nothing to predict or explain, activations only
                activations = layer_activations(backbone.model, pixels, layer_names)
            for row, image in enumerate(batch):
                arrays = {f"activations/{name}": activations[name][row][..., :ACTIVATION_CHANNELS] for name in layer_names}
                if explanation is not None:
                    arrays["probabilities"] = explanation.probabilities_all[row]
                    arrays["class_index"] = np.asarray(explanation.class_indices[row])
                    arrays["class_probability"] = np.asarray(explanation.probabilities[row])
                    for method, maps in explanation.cams.items():
                        for name in layer_names:
                            arrays[f"cam/{method}/{name}"] = maps[name][row]
                cache.put(keys[image.id], arrays)
                results[image.id] = arrays
        on_batch()
    return results
