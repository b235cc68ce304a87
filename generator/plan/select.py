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
    return _balanced(units, shard.count)[0][shard.index - 1]


def _balanced(units: Sequence[Costed], count: int) -> tuple[list[set[str]], list[float]]:
    """Each of ``count`` shards' unit paths and summed cost, by longest processing time first (see ``assign``)."""
    loads = [0.0] * count
    shares: list[set[str]] = [set() for _ in range(count)]
    for unit in sorted(units, key=lambda unit: (-unit.cost, unit.path)):
        lightest = min(range(count), key=lambda index: (loads[index], index))
        loads[lightest] += unit.cost
        shares[lightest].add(unit.path)
    return shares, loads


MOST_SHARDS = 256
"""GitHub Actions runs at most 256 jobs of one matrix."""


def shard_loads(units: Sequence[Costed], limit: float, most: int = MOST_SHARDS) -> list[float]:
    """The summed cost of each shard of the fewest shards, balanced as ``assign`` balances them, whose every share
    costs at most ``limit`` (in the units' cost units: a runner's time limit times its rate)."""
    if not units:
        return [0.0]
    largest = max(units, key=lambda unit: unit.cost)
    if largest.cost > limit:
        raise ConfigError(f"work unit {largest.path} alone is projected at {largest.cost / limit:.1f} times a shard's "
                          "limit: give the runners more time, a higher rate, or the layer fewer filters or steps")
    total = sum(unit.cost for unit in units)
    for count in range(max(1, int(total // limit)), most + 1):  # fewer than total / limit cannot fit
        loads = _balanced(units, count)[1]
        if max(loads) <= limit:
            return loads
    raise ConfigError(f"the atlas needs more than {most} shards at this rate and limit: give the runners more time or a "
                      "higher rate, or draw fewer layers")


def redo_predicate(force: bool, only: Sequence[str]) -> Callable[[str], bool]:
    """Which unit and figure paths to redo regardless of the cache: those ``only`` matches, else all with ``force``."""
    if only:
        return partial(matches, tuple(only))
    return (lambda path: True) if force else (lambda path: False)
