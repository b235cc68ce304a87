"""The build: config -> images -> plan -> per backbone (load once, compute, render) -> pages -> mkdocs.

Each stage hands the next a plain value. Arrays and figures go through the two tiers of the content-addressed
cache (``computed``, ``figures``), so a rebuild recomputes and redraws only what changed; every file goes
through ``write_bytes_if_changed``, so a rebuild rewrites only what changed. Files in the generated folder that
this build did not produce are removed at the end of a successful build, never before, and never outside it.

A shard (``--shard I/N``) computes only its share of the work units into its own cache and draws nothing;
``keras-atlas merge`` combines the shard caches, and a build from the merged cache draws the atlas.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from generator import figures
from generator.backbones import Backbone, load_spec
from generator.cache import Cache
from generator.compute.cost import analysis_cost, filters_cost
from generator.compute.layers import channel_count, select_layers
from generator.compute.summary import architecture_dot, layer_summary
from generator.computed import IMAGE_BATCH, Compute, analyse_images, analysis_mode, filters_of, filters_shown
from generator.compute.recipes import recipe_for
from generator.config import AtlasConfig, BackboneSpec, recipe_overrides
from generator.errors import AtlasError
from generator.images import SourceImage, load_images
from generator.paths import GENERATED_SUBDIR
from generator.plan import Shard, WorkUnit, assign, matches
from generator.progress import Reporter
from generator.results import AtlasResult, BackboneResult
from generator.safety import GENERATED_MARKER, check_output_folders
from generator.writer import Writer


@dataclass(frozen=True)
class BuildOptions:
    """How to run a build, beyond what it builds (the config): what to redo, and which shard to be."""

    force: bool = False
    """Recompute and redraw instead of reading the cache (all units, or those matching ``only``)."""
    only: Sequence[str] = ()
    """Patterns of unit paths (see ``plan.matches``) to redo; implies ``force`` for them alone."""
    shard: Shard | None = None


@dataclass
class BuildStats:
    """What a build did, for the closing summary line and the log."""

    seconds: float = 0.0
    files_written: int = 0
    files_removed: int = 0
    cache_hits: int = 0
    computed: int = 0
    """Array entries computed (missing from the cache, or redone on purpose)."""
    figures_drawn: int = 0
    units: int = 0
    """Work units this build was responsible for (a shard's share, or all)."""
    stages: dict[str, float] = field(default_factory=dict)
    """Seconds per stage: images, each backbone by name, pages, site."""


@dataclass
class Run:
    """One build in progress: its images, compute and draw contexts, which units are its own, its reporter."""

    images: list[SourceImage]
    work: Compute
    draw: figures.Draw | None
    """None in a shard, which computes and draws nothing."""
    reporter: Reporter
    mine: Callable[[str], bool] = lambda path: True


def redo_predicate(options: BuildOptions) -> Callable[[str], bool]:
    if options.only:
        return partial(matches, tuple(options.only))
    return (lambda path: True) if options.force else (lambda path: False)


def build(
    config: AtlasConfig, *, reporter: Reporter | None = None, options: BuildOptions | None = None
) -> tuple[AtlasResult | None, BuildStats]:
    """Generate the atlas' Markdown and images under ``config.docs_dir/atlas`` (and the site, if asked).

    In a shard, only compute the shard's units into the cache; the result is then None.
    """
    from generator.pages import navigation, write_pages
    from generator.site import build_site, hand_written_pages, prepare_docs_dir

    reporter = reporter or Reporter(quiet=True)
    options = options or BuildOptions()
    stats = BuildStats()
    started = time.perf_counter()
    check_output_folders(config)
    image_set = load_images(config.images, config.per_breed)
    for skipped in image_set.skipped:
        reporter.warn(f"skipped {skipped.path}: {skipped.reason}")
    if not image_set.images:
        raise AtlasError(f"images: no usable image in {', '.join(config.images)}")
    stats.stages["images"] = time.perf_counter() - started

    _configure_tensorflow()
    preflight(config)
    cache = Cache(config.cache_dir)
    redo = redo_predicate(options)
    run = Run(image_set.images, Compute(config, cache, redo, analysis_mode(len(image_set.images))), None, reporter)
    specs = list(config.backbones)
    if options.shard is not None:
        units = plan_units(config, image_set.images)
        assigned = assign(units, options.shard)
        run.mine = assigned.__contains__
        stats.units = len(assigned)
        specs = [spec for spec, name in zip(specs, _backbone_names(config), strict=True)
                 if any(path.startswith(f"{name}/") for path in assigned)]
        reporter.line(f"shard {options.shard}: {len(assigned)} of {len(units)} work units, {len(specs)} backbone(s)")
    else:
        prepare_docs_dir(config.docs_dir)
        writer = Writer(Path(config.docs_dir) / GENERATED_SUBDIR)
        writer.write(GENERATED_MARKER, b"Everything in this folder is generated by keras-atlas and replaced on each build.\n")
        run.draw = figures.Draw(writer, cache, redo)
        photos = [figures.photo(run.draw, image) for image in image_set.images]

    results = []
    with reporter.session():
        for index, spec in enumerate(specs, 1):
            backbone_started = time.perf_counter()
            result = build_backbone(spec, run, f"[{index}/{len(specs)}]")
            seconds = time.perf_counter() - backbone_started
            stats.stages[spec.name if result is None else result.name] = seconds
            if result is not None:
                results.append(result)
                reporter.line(
                    f"{result.title}: {len(result.layers)} layers x {len(image_set.images)} images, "
                    f"{result.provenance.kind} weights, {seconds:.1f} s"
                )
    stats.cache_hits, stats.computed = cache.arrays.hits, cache.computed
    if run.draw is None:
        stats.seconds = time.perf_counter() - started
        return None, stats

    pages_started = time.perf_counter()
    atlas = AtlasResult(
        title=config.title,
        photos=photos,
        backbones=results,
        skipped=[(str(item.path), item.reason) for item in image_set.skipped],
        settings=report_settings(config),
        versions=package_versions(),
    )
    write_pages(atlas, run.draw.writer)
    stats.files_written, stats.files_removed = run.draw.writer.written, run.draw.writer.prune()
    stats.figures_drawn = run.draw.drawn
    cache.record_last_build()
    stats.stages["pages"] = time.perf_counter() - pages_started
    write_timings(config, stats, time.perf_counter() - started)
    if config.build_site:
        site_started = time.perf_counter()
        build_site(config, navigation(atlas, hand_written_pages(config.docs_dir)))
        stats.stages["site"] = time.perf_counter() - site_started
    stats.seconds = time.perf_counter() - started
    return atlas, stats


TIMINGS_PAGE = "build-timings.md"
"""Included by the build report at ``mkdocs build`` time from ``<cache_dir>/pages``, outside ``site_src``: the
report shows when and how fast the site was built, while two builds of the same inputs keep the same
``site_src`` bytes."""


def write_timings(config: AtlasConfig, stats: BuildStats, seconds: float) -> None:
    from generator.files import write_text_if_changed

    rows = "\n".join(f"| {name} | {value:.1f} s |" for name, value in stats.stages.items())
    text = (f"Built on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {seconds:.1f} s before `mkdocs build` "
            f"({stats.computed} results computed, {stats.cache_hits} reused from the cache, {stats.figures_drawn} "
            f"figures drawn).\n\n| Stage | Time |\n| --- | ---: |\n{rows}\n")
    write_text_if_changed(Path(config.cache_dir) / "pages" / TIMINGS_PAGE, text)


def _backbone_names(config: AtlasConfig) -> list[str]:
    """The name each spec's backbone will have (as used in unit paths), without building anything."""
    return [spec.slug for spec in config.backbones]


def _architecture_only(spec: BackboneSpec, config: AtlasConfig) -> Backbone:
    """The backbone's network without downloading weights: seeded random for applications, the file for a model."""
    return load_spec(spec, "random", seed=config.seed) if spec.path is None else load_spec(spec, "auto")


PREFLIGHT_FILTERS = 64
"""Every drawn layer set of a Keras Application has a layer this wide; above it, ``filters`` is checked up front."""


def preflight(config: AtlasConfig) -> None:
    """Checks that need each network's architecture, run for all backbones before any heavy work.

    Only what a config can get wrong is checked, and only when it can be wrong: named layers, a ``filters``
    count above what every layer set offers, and ``top_k`` for model files (whose classes are known on load).
    Architectures are built without weights, so this costs seconds, not downloads.
    """
    named = isinstance(config.layers, list)
    wide = config.filters > PREFLIGHT_FILTERS
    for spec in config.backbones:
        if not (named or wide or spec.path is not None):
            continue
        architecture = _architecture_only(spec, config)
        label = f"backbone {architecture.name}"
        layer_names = select_layers(architecture.model, config.layers, label=label)
        widest = max(channel_count(architecture.model.get_layer(name)) for name in layer_names)
        if wide and config.filters > widest:
            raise AtlasError(f"filters: {config.filters} is more than any drawn layer of {label} has (at most {widest})")
        classes = len(architecture.class_names or ())
        if architecture.class_names is not None and config.top_k > classes:
            raise AtlasError(f"top_k: {config.top_k} is more than the {classes} classes of {label}")


REPORTED_SETTINGS = ("profile", "weights", "allow_untrained", "layers", "filters", "size", "steps", "learning_rate",
                     "top_k", "class_index", "cam", "heatmap_alpha", "seed", "per_breed")


def report_settings(config: AtlasConfig) -> list[tuple[str, str]]:
    """The settings that shape the pictures (not the folders, which do not)."""
    return [(name, str(getattr(config, name))) for name in REPORTED_SETTINGS]


def package_versions() -> list[tuple[str, str]]:
    from importlib.metadata import PackageNotFoundError, version

    from generator import __version__

    rows = [("keras-atlas", __version__)]
    for name in ("tensorflow", "tensorflow-cpu", "keras", "numpy", "pillow", "matplotlib", "mkdocs", "mkdocs-material"):
        try:
            rows.append((name, version(name)))
        except PackageNotFoundError:
            continue
    return rows


def _configure_tensorflow() -> None:
    """Deterministic ops, so that two builds give the same bytes."""
    import tensorflow as tf

    os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")
    try:
        tf.config.experimental.enable_op_determinism()
    except Exception:  # older TensorFlow: determinism is then best effort
        pass


# ----------------------------------------------------------------------------------------------------------
# One backbone


def build_backbone(spec: BackboneSpec, run: Run, tag: str) -> BackboneResult | None:
    """Load one backbone, compute (or reuse) everything about it, and write its figures (None in a shard)."""
    config = run.work.config
    backbone = load_spec(
        spec, spec.weights or config.weights, seed=config.seed, cache_dir=config.cache_dir, allow_untrained=config.allow_untrained
    )
    try:
        if run.draw is None:
            _compute_share(backbone, run, tag)
            return None
        return replace(_draw_backbone(backbone, run, tag), application=spec.name, alpha=spec.alpha)
    except AtlasError:
        raise
    except Exception as error:  # a bug: keep the traceback, but say which backbone it happened on
        error.add_note(f"keras-atlas: while drawing backbone {backbone.name} ({backbone.title})")
        raise


def _layer_names(backbone: Backbone, config: AtlasConfig) -> list[str]:
    if config.class_index is not None and backbone.class_names and config.class_index >= len(backbone.class_names):
        raise AtlasError(f"class_index: {config.class_index} is outside {backbone.title}'s {len(backbone.class_names)} classes")
    return select_layers(backbone.model, config.layers, label=f"backbone {backbone.name}")


def _compute_share(backbone: Backbone, run: Run, tag: str) -> None:
    """A shard's part of one backbone: only the units assigned to it, into its cache; nothing is drawn."""
    layer_names = _layer_names(backbone, run.work.config)
    images = [image for image in run.images if run.mine(f"{backbone.name}/images/{image.id}")]
    layers = [name for name in layer_names if run.mine(f"{backbone.name}/{name}")]
    advance = run.reporter.task(f"{tag} {backbone.title}", len(layers) + -(-len(images) // IMAGE_BATCH))
    analyse_images(backbone, layer_names, images, run.work, lambda: advance(f"{tag} {backbone.title}: photos"))
    for name in layers:
        advance(f"{tag} {backbone.title}: filters of {name}")
        filters_of(backbone, name, run.work)
    run.reporter.done(tag)


def _draw_backbone(backbone: Backbone, run: Run, tag: str) -> BackboneResult:
    config, draw = run.work.config, run.draw
    model = backbone.model
    layer_names = _layer_names(backbone, config)
    advance = run.reporter.task(f"{tag} {backbone.title}", 1 + len(layer_names) + -(-len(run.images) // IMAGE_BATCH))

    summary = layer_summary(model)
    svg, png, note = figures.architecture(draw, backbone, architecture_dot(model))
    advance(f"{tag} {backbone.title}: photos")
    analyses = analyse_images(backbone, layer_names, run.images, run.work, lambda: advance(f"{tag} {backbone.title}: photos"))
    predictions = {}
    if backbone.class_names is not None:  # top_k fits: checked by the config (registry) and preflight (model files)
        predictions = {image.id: backbone.decode(analyses[image.id]["probabilities"][None], config.top_k)[0] for image in run.images}
    layer_results = []
    for name in layer_names:
        advance(f"{tag} {backbone.title}: filters of {name}")
        layer_results.append(figures.layer(draw, run.work, backbone, name, run.images, analyses, layer_names))
    run.reporter.done(tag)
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
        settings=_filter_settings(backbone, config),
    )


def plan_units(config: AtlasConfig, images: list[SourceImage]) -> list[WorkUnit]:
    """Every work unit of the build with its estimated cost, from the architectures alone (no weights)."""
    units = []
    for spec in config.backbones:
        architecture = _architecture_only(spec, config)
        model = architecture.model
        canvas = max(config.size, architecture.min_size)
        for name in select_layers(model, config.layers, label=f"backbone {architecture.name}"):
            filters = filters_shown(model.get_layer(name), config)
            units.append(WorkUnit(f"{architecture.name}/{name}", filters_cost(model, name, filters, config.steps, canvas)))
        units += [WorkUnit(f"{architecture.name}/images/{image.id}", analysis_cost(model)) for image in images]
    return units


def _filter_settings(backbone: Backbone, config: AtlasConfig) -> dict[str, object]:
    """What the backbone page says about how its filters were drawn (the family's recipe with overrides)."""
    recipe = recipe_for(backbone.family, size=config.size, steps=config.steps, min_canvas=backbone.min_size,
                        learning_rate=config.learning_rate, overrides=recipe_overrides(config, backbone.name))
    return {"size": config.size, "steps": config.steps, "seed": config.seed, "filters": config.filters,
            "learning_rate": recipe.learning_rate, "redirect_fraction": recipe.redirect_fraction, "top_k": config.top_k,
            "precision": recipe.precision}
