"""Filters of the plan: which units ``--force``/``--only`` redo, and which a shard (``--shard I/N``) computes.

Units and figures are named by their paths (see ``names``); both filters work on those paths alone, so every
build makes the same plan and only then narrows it.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from generator.errors import ConfigError


class Costed(Protocol):
    """A work unit as the shard assignment sees it: a path, and a rough cost (``compute.cost``)."""

    path: str
    cost: float


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (1-based) of ``count``."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> "Shard":
        try:
            index, count = (int(part) for part in text.split("/"))
        except ValueError:
            raise ConfigError(f"--shard: {text!r} is not I/N, e.g. 1/3") from None
        if not 1 <= index <= count:
            raise ConfigError(f"--shard: {text!r} needs 1 <= I <= N")
        return cls(index, count)

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def matches(patterns: Sequence[str], path: str) -> bool:
    """True if a pattern (shell-style) matches ``path`` or one of its leading parts.

    ``vgg16`` matches everything of VGG16; ``vgg16/block1_conv1`` that layer and its figures;
    ``*/images/cat-chelsea`` every backbone's analysis of that image.
    """
    parts = path.split("/")
    prefixes = ["/".join(parts[: end]) for end in range(1, len(parts) + 1)]
    return any(fnmatch.fnmatchcase(prefix, pattern) for pattern in patterns for prefix in prefixes)


def assign(units: Sequence[Costed], shard: Shard) -> set[str]:
    """The paths of the units shard ``shard`` computes: a deterministic, cost-balanced 1/N of them.

    Longest processing time first: units by falling cost (ties by path) each go to the least-loaded shard (ties
    by number). Every shard computes the same assignment, so they need not talk to each other.
    """
    loads = [0.0] * shard.count
    mine: set[str] = set()
    for unit in sorted(units, key=lambda unit: (-unit.cost, unit.path)):
        lightest = min(range(shard.count), key=lambda index: (loads[index], index))
        loads[lightest] += unit.cost
        if lightest == shard.index - 1:
            mine.add(unit.path)
    return mine


def redo_predicate(force: bool, only: Sequence[str]) -> Callable[[str], bool]:
    """Which unit and figure paths to redo regardless of the cache: those ``only`` matches, else all with ``force``."""
    if only:
        return partial(matches, tuple(only))
    return (lambda path: True) if force else (lambda path: False)
