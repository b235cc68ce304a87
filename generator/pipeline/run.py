"""The build: config -> images -> plan -> compute the missing units -> draw the missing figures -> pages -> site.

Every build goes through the plan (``generator.plan``): per backbone, the plan (every unit and figure with its
key) is made from the network's facts, stored or read from the loaded network, and only then are the missing
units computed (loading the network at most once) and the missing figures drawn. ``--only`` and ``--force`` choose what the
plan redoes; ``--shard I/N`` plans every backbone, keeps its cost-balanced share of the units, computes them
into its own cache and draws nothing (``keras-atlas merge`` combines the shard caches, and a build from the
merged cache draws the atlas). Files in the generated folder that a build did not produce are removed at the end
of a successful build, never before, and never outside it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from generator.backbones import Backbone, load_spec
from generator.cache import Cache
from generator.config import AtlasConfig, BackboneSpec
from generator.errors import AtlasError, ConfigError
from generator.photos.image import SourceImage
from generator.photos.folders import ImageSet, load_images
from generator.paths import GENERATED_SUBDIR
from generator.pipeline.compute_units import compute_backbone, progress_steps
from generator.pipeline.draw_figures import Draw, draw_backbone, draw_photo
from generator.pipeline.preflight import preflight
from generator.pipeline.report import BuildStats, package_versions, report_settings, write_timings
from generator.plan import BackbonePlan, Shard, analysis_mode, assign, redo_predicate
from generator.plan.select import shard_loads
from generator.plan.backbone import plan_backbone, plan_photos
from generator.plan.network import NetworkFacts, NetworkStore, facts_of, network_key, same_network
from generator.progress import Reporter
from generator.results.atlas import AtlasResult, BackboneResult
from generator.output.safety import GENERATED_MARKER, check_output_folders
from generator.output.writer import Writer


@dataclass(frozen=True)
class BuildOptions:
    """How to run a build, beyond what it builds (the config): what to redo, and which shard to be."""

    force: bool = False
    """Recompute and redraw instead of reading the cache (all units, or those matching ``only``)."""
    only: Sequence[str] = ()
    """Patterns of unit paths (see ``plan.matches``) to redo; implies ``force`` for them alone."""
    shard: Shard | None = None


@dataclass
class _Build:
    """What every stage of one build shares: the config, its photos, the cache and what to redo."""

    config: AtlasConfig
    images: list[SourceImage]
    cache: Cache
    redo: Callable[[str], bool]
    reporter: Reporter
    stats: BuildStats
    mode: str
    """``plan.analysis_mode`` of the whole atlas' photo count."""
    example_images: list[SourceImage] | None = None
    """The set natural examples come from, when it is not the atlas' photos (``examples:``)."""
    remake_facts: bool = False
    """Read every network again instead of its stored facts (``--force``)."""
    loaded: dict[int, Backbone] = field(default_factory=dict)
    """Networks loaded before the build (the model files the preflight read), by place in ``config.backbones``;
    each is taken out when its backbone needs it."""


def build(
    config: AtlasConfig, *, reporter: Reporter | None = None, options: BuildOptions | None = None
) -> tuple[AtlasResult | None, BuildStats]:
    """Generate the atlas' Markdown and images under ``config.docs_dir/atlas`` (and the site, if asked).

    In a shard, only compute the shard's units into the cache; the result is then None.
    """
    reporter = reporter or Reporter(quiet=True)
    options = options or BuildOptions()
    stats = BuildStats()
    started = time.perf_counter()
    check_output_folders(config)
    image_set = _usable_images(config, reporter)
    example_images = _example_images(config, reporter)
    stats.stages["images"] = time.perf_counter() - started

    model_files = preflight(config)
    run = _Build(config, image_set.images, Cache(config.cache_dir), redo_predicate(options.force, options.only),
                 reporter, stats, analysis_mode(len(image_set.images)), example_images,
                 remake_facts=options.force and not options.only, loaded=model_files)
    if options.shard is not None:
        _compute_shard(run, options.shard)
        stats.cache_hits, stats.computed = run.cache.arrays.hits, run.cache.computed
        stats.seconds = time.perf_counter() - started
        return None, stats

    writer = _generated_folder(config)
    draw = Draw(writer, run.cache, run.redo)
    photos = [draw_photo(draw, photo) for photo in plan_photos(run.images)]
    with reporter.session():
        backbones = [_backbone_stages(run, place, draw, f"[{place + 1}/{len(config.backbones)}]")
                     for place in range(len(config.backbones))]
    stats.cache_hits, stats.computed = run.cache.arrays.hits, run.cache.computed
    atlas = AtlasResult(
        title=config.title,
        photos=photos,
        backbones=backbones,
        skipped=[(str(item.path), item.reason) for item in image_set.skipped],
        settings=report_settings(config),
        versions=package_versions(),
    )
    _pages_and_site(run, atlas, draw, started)
    stats.seconds = time.perf_counter() - started
    return atlas, stats


def _example_images(config: AtlasConfig, reporter: Reporter) -> list[SourceImage] | None:
    """The photos of ``examples:``, when given (None: the atlas' own photos)."""
    if not config.examples or config.examples_per_unit == 0:
        return None
    with reporter.session():  # read again batch by batch where used: memory stays flat
        found = load_images(config.examples, config.examples_per_breed, hold=False,
                            progress=lambda total: reporter.task("Checking the examples' photos", total))
    for skipped in found.skipped:
        reporter.warn(f"examples: skipped {skipped.path}: {skipped.reason}")
    if not found.images:
        raise ConfigError(f"examples: no usable image in {', '.join(config.examples)}; give image files, folders or "
                          "globs, or remove the key to take the examples from the atlas' images")
    return found.images


def _generated_folder(config: AtlasConfig) -> Writer:
    """The writer of the docs folder's generated sub-folder, marked as Keras Atlas' own (see ``safety``)."""
    from generator.output.site import prepare_docs_dir

    prepare_docs_dir(config.docs_dir)
    writer = Writer(Path(config.docs_dir) / GENERATED_SUBDIR)
    writer.write(GENERATED_MARKER, b"Everything in this folder is generated by keras-atlas and replaced on each build.\n")
    return writer


def _backbone_stages(run: _Build, place: int, draw: Draw, tag: str) -> BackboneResult:
    """One backbone through the stages: plan it, compute the missing units, draw the missing figures.

    The network is loaded only if its facts are not stored or a unit needs computing, and then once.
    """
    started = time.perf_counter()
    spec = run.config.backbones[place]
    facts, network = _network(run, place)
    with _blamed_on(facts):
        plan = plan_backbone(spec, facts, run.images, run.config, run.mode, run.example_images)
        advance = _progress(run.reporter, tag, plan, progress_steps(plan))
        arrays = compute_backbone(plan, network, run.cache, redo=run.redo, advance=advance)
        result = draw_backbone(draw, plan, arrays)
    run.reporter.done(tag)
    seconds = time.perf_counter() - started
    run.stats.stages[plan.name] = seconds
    run.reporter.line(f"{plan.title}: {len(plan.layers)} layers x {len(run.images)} images, "
                      f"{plan.provenance.kind} weights, {seconds:.1f} s")
    return result


def _network(run: _Build, place: int) -> tuple[NetworkFacts, Callable[[], Backbone]]:
    """The facts of the network of ``config.backbones[place]``, stored or read from the loaded network, and a
    loader that builds it once, on demand (a model file the preflight loaded is taken from it)."""
    spec = run.config.backbones[place]
    store, key = NetworkStore(run.config.cache_dir), network_key(spec, run.config)
    stored = None if run.remake_facts else store.get(key)
    loaded: list[Backbone] = []

    def network() -> Backbone:
        if not loaded:
            backbone = run.loaded.pop(place) if place in run.loaded else _load(spec, run.config)
            if stored is not None and not same_network(stored, backbone):
                store.forget(key)
                raise AtlasError(f"backbone {backbone.name}: its weights are not those its stored facts were made from "
                                 f"(a weights file was replaced in place?); the facts were removed, build again")
            loaded.append(backbone)
        return loaded[0]

    if stored is not None:
        return stored, network
    facts = facts_of(network(), run.config)
    store.put(network_key(spec, run.config), facts)  # made again: loading may have converted a weights file
    return facts, network


def _pages_and_site(run: _Build, atlas: AtlasResult, draw: Draw, started: float) -> None:
    """Write the pages, remove what this build did not produce, remember the keys it used, build the site."""
    from generator.pages import navigation, write_pages
    from generator.output.site import build_site, hand_written_pages

    stats, pages_started = run.stats, time.perf_counter()
    write_pages(atlas, draw.writer)
    stats.files_written, stats.files_removed = draw.writer.written, draw.writer.prune()
    stats.figures_drawn = draw.drawn
    run.cache.record_last_build()
    stats.stages["pages"] = time.perf_counter() - pages_started
    write_timings(run.config, stats, time.perf_counter() - started)
    if run.config.build_site:
        site_started = time.perf_counter()
        build_site(run.config, navigation(atlas, hand_written_pages(run.config.docs_dir)))
        stats.stages["site"] = time.perf_counter() - site_started


def _load(spec: BackboneSpec, config: AtlasConfig) -> Backbone:
    """The backbone's network with its weights (at most once per build); TensorFlow is imported here first."""
    from generator.tensorflow_import import configure_determinism

    configure_determinism()
    return load_spec(spec, spec.weights or config.weights, seed=config.seed, cache_dir=config.cache_dir,
                     allow_untrained=config.allow_untrained)


@contextmanager
def _blamed_on(facts: NetworkFacts | BackbonePlan) -> Iterator[None]:
    """A bug keeps its traceback, with a note naming the backbone it happened on; ``AtlasError`` says it already."""
    try:
        yield
    except AtlasError:
        raise
    except Exception as error:
        error.add_note(f"keras-atlas: while drawing backbone {facts.name} ({facts.title})")
        raise


def _progress(reporter: Reporter, tag: str, plan: BackbonePlan, steps: int) -> Callable[[str], None]:
    """A progress bar over the backbone's ``steps`` (``compute_units.progress_steps``): each kind's, in the table's
    order (the photos batch by batch, their heatmaps' scores photo by photo, the natural examples batch by batch,
    the filters layer by layer)."""
    task = reporter.task(f"{tag} {plan.title}", 1 + steps)
    task(f"{tag} {plan.title}: photos")
    return lambda step: task(f"{tag} {plan.title}: {step}")


def _usable_images(config: AtlasConfig, reporter: Reporter) -> ImageSet:
    """The atlas' photos, each one that cannot be read reported as skipped; an error when none is left."""
    image_set = load_images(config.images, config.per_breed)
    for skipped in image_set.skipped:
        reporter.warn(f"skipped {skipped.path}: {skipped.reason}")
    if not image_set.images:
        raise ConfigError(f"images: no usable image in {', '.join(config.images)}")
    return image_set


def _plans(run: _Build) -> list[tuple[BackbonePlan, Callable[[], Backbone]]]:
    """Every backbone's plan with its network loader: the plan every build and every shard makes. Planning a
    backbone whose facts are not stored loads it; its loader keeps it for the compute."""
    plans = []
    for place, spec in enumerate(run.config.backbones):
        facts, network = _network(run, place)
        plans.append((plan_backbone(spec, facts, run.images, run.config, run.mode, run.example_images), network))
    return plans


SHARD_MARGIN = 0.8
"""A shard is planned to take at most this share of its runner's time limit: the cost model is rough (it counts
each filter unit at its cap of steps, which a converging layer does not take, but not the runner's start)."""


def shard_matrix(config: AtlasConfig, minutes: float, *, reporter: Reporter | None = None) -> list[dict[str, object]]:
    """The shards of the fewest that each fit ``minutes`` of a runner computing ``config.runner_gmacs``: one entry
    per shard (its ``--shard`` value, a name for files, its projected minutes), for a CI matrix.

    The same plan as every build makes; a backbone whose facts are not stored is loaded to plan it.
    """
    reporter = reporter or Reporter(quiet=True)
    images = _usable_images(config, reporter).images
    run = _Build(config, images, Cache(config.cache_dir), redo_predicate(False, ()), reporter, BuildStats(),
                 analysis_mode(len(images)), _example_images(config, reporter))
    units = [unit for plan, _ in _plans(run) for unit in plan.units]
    rate = config.runner_gmacs * 1e9
    loads = shard_loads(units, SHARD_MARGIN * minutes * 60 * rate)
    count = len(loads)
    return [{"shard": f"{index}/{count}", "name": f"{index}-of-{count}", "minutes": round(load / rate / 60, 1)}
            for index, load in enumerate(loads, 1)]


def _compute_shard(run: _Build, shard: Shard) -> None:
    """Plan every backbone, keep this shard's cost-balanced share of the units, compute it into the cache.

    Every shard makes the same plan, so they need not talk to each other. Planning a backbone whose facts are not
    stored loads it; its loader then keeps it for the compute, so no network is loaded twice.
    """
    plans = _plans(run)
    units = [unit for plan, _ in plans for unit in plan.units]
    assigned = assign(units, shard)
    run.stats.units = len(assigned)
    own = [(plan, network) for plan, network in plans if any(unit.path in assigned for unit in plan.units)]
    del plans  # the networks loaded for other shards' backbones can go
    run.reporter.line(f"shard {shard}: {len(assigned)} of {len(units)} work units, {len(own)} backbone(s)")
    shard_started, cost = time.perf_counter(), sum(unit.cost for unit in units if unit.path in assigned)
    with run.reporter.session():
        for index, (plan, network) in enumerate(own, 1):
            started = time.perf_counter()
            tag = f"[{index}/{len(own)}]"
            advance = _progress(run.reporter, tag, plan, progress_steps(plan, assigned.__contains__))
            with _blamed_on(plan):
                compute_backbone(plan, network, run.cache, redo=run.redo, mine=assigned.__contains__, drawing=False,
                                 advance=advance)
            run.reporter.done(tag)
            run.stats.stages[plan.name] = time.perf_counter() - started
    seconds = time.perf_counter() - shard_started
    run.reporter.line(f"shard {shard}: {cost / 1e9:.0f} billion multiply-accumulates by the cost model in {seconds:.0f} s: "
                      f"{cost / 1e9 / max(seconds, 1e-9):.1f} a second (runner_gmacs; cached units count as done)")
