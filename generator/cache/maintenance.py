"""``keras-atlas cache`` and ``keras-atlas merge``: what a cache folder holds, pruning it, combining shards."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from generator.cache.layout import KEPT_FOLDERS, TIERS, CacheLayout
from generator.cache.store import SUFFIX, entries, key_of, unseal
from generator.errors import ConfigError


@dataclass(frozen=True)
class TierUsage:
    name: str
    entries: int
    bytes: int
    unused_entries: int | None
    """Entries the latest build did not use (None: no build recorded its keys yet)."""


def last_build_keys(root: Path) -> dict[str, set[str]] | None:
    try:
        recorded = json.loads(CacheLayout(Path(root)).last_build.read_text())
    except (OSError, ValueError):
        return None
    return {tier: set(recorded.get(tier, ())) for tier in TIERS}


def usage(root: Path) -> list[TierUsage]:
    """Entries and bytes per tier, and for the weights folders; how many entries the latest build left unused."""
    layout = CacheLayout(Path(root))
    keep = last_build_keys(layout.root)
    rows = []
    for tier in TIERS:
        files = list(entries(layout.tier(tier)))
        unused = None if keep is None else sum(key_of(path) not in keep[tier] for path in files)
        rows.append(TierUsage(tier, len(files), sum(path.stat().st_size for path in files), unused))
    for name in KEPT_FOLDERS:
        folder = getattr(layout, name)
        files = [path for path in folder.rglob("*") if path.is_file()] if folder.is_dir() else []
        rows.append(TierUsage(name, len(files), sum(path.stat().st_size for path in files), None))
    return rows


def prune(root: Path) -> tuple[int, int]:
    """Delete the array and figure entries the latest build did not use; returns (entries, bytes) removed.

    Weight packages are kept: they are the slow downloads, and are keyed by their pinned sha256 anyway.
    """
    layout = CacheLayout(Path(root))
    keep = last_build_keys(layout.root)
    if keep is None:
        raise ConfigError(f"cache: {layout.last_build} is missing, so it is unknown what a current build uses; "
                         "run keras-atlas build once with this cache, then prune")
    removed = freed = 0
    for tier in TIERS:
        for path in entries(layout.tier(tier)):
            if key_of(path) not in keep[tier]:
                freed += path.stat().st_size
                path.unlink()
                removed += 1
        for folder in sorted(layout.tier(tier).glob("*")) if layout.tier(tier).is_dir() else []:
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
    return removed, freed


def merge(sources: list[Path], target: Path) -> tuple[int, int]:
    """Copy every intact entry of the shard caches ``sources`` into ``target``; returns (copied, damaged).

    Entries are content-addressed, so two shards never disagree about a key: an entry already in ``target`` is
    kept. A damaged entry is skipped and reported; the build that renders from ``target`` recomputes it.
    """
    target_layout = CacheLayout(Path(target))
    copied = damaged = 0
    for source in sources:
        source = Path(source)
        if not source.is_dir():
            raise ConfigError(f"merge: {source} is not a cache folder")
        if source.resolve() == target_layout.root.resolve():
            continue
        for tier in TIERS:
            for path in entries(CacheLayout(source).tier(tier)):
                if path.suffix != SUFFIX:
                    continue
                destination = target_layout.tier(tier) / path.parent.name / path.name
                if destination.exists():
                    continue
                if unseal(path.read_bytes()) is None:
                    damaged += 1
                    continue
                destination.parent.mkdir(parents=True, exist_ok=True)
                temporary = destination.with_name(f".{destination.name}.tmp")
                shutil.copyfile(path, temporary)
                os.replace(temporary, destination)
                copied += 1
    return copied, damaged
