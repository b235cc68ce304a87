"""What a build says about itself: its counts, the settings and versions on the build report, its timings."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from generator.cache.layout import CacheLayout
from generator.config import AtlasConfig
from generator.settings import REPORTED_SETTINGS
from generator.output.files import write_text_if_changed


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


TIMINGS_PAGE = "build-timings.md"
"""Included by the build report at ``mkdocs build`` time from the cache's ``pages`` folder, outside
``site_src``: the report shows when and how fast the site was built, while two builds of the same inputs keep
the same ``site_src`` bytes."""


def write_timings(config: AtlasConfig, stats: BuildStats, seconds: float) -> None:
    rows = "\n".join(f"| {name} | {value:.1f} s |" for name, value in stats.stages.items())
    text = (f"Built on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {seconds:.1f} s before `mkdocs build` "
            f"({stats.computed} results computed, {stats.cache_hits} reused from the cache, {stats.figures_drawn} "
            f"figures drawn).\n\n| Stage | Time |\n| --- | ---: |\n{rows}\n")
    write_text_if_changed(CacheLayout(config.cache_dir).pages / TIMINGS_PAGE, text)
