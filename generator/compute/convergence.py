"""When a batch of filter images has stopped improving: the rule that decides how many steps a layer takes.

A fixed number of steps spends compute the wrong way round: the first layers, a sixtieth of the cost of the last
per step, stop long before their images converge, and the deep layers, the costliest, keep stepping long after
their objective has flattened. So a batch runs until its objective stops rising, with a cap.

The objective of each image is read at every step (it comes out of the compiled step: no extra pass) and
smoothed, since every step sees the images under other random transforms; every ``window`` steps each image's
smoothed objective is compared with its value a window earlier. An image is still rising when it gained more than
``tolerance`` of its own size over that window; the batch has converged when at most ``straggling`` of its images
are still rising. A batch whose objective is flat stops at its first check; one that is still rising never does.

How much rise is worth a step depends on what a step costs: ``tolerance_for`` scales the tolerance with the
layer's share of the network's cost, so that a first layer (a few percent of the cost) runs until it gains under
half a percent a window, and the last layer stops when it gains under 15 %. Measured on the objective traces of
twelve layers of three trained networks at 128 px (``benchmarks/README.md``), that stops the last layers after 32
to 56 steps and the early ones after 40 to 72, where a fixed tolerance of 2 % ran every layer to its cap.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class StoppingRule:
    """The rule's settings (all of them part of the filters' cache key, through the recipe)."""

    tolerance: float = 0.15
    """Least relative gain over a window that counts as still rising (see ``tolerance_for``)."""
    window: int = 8
    """Steps between checks, and the span each gain is measured over."""
    min_steps: int = 16
    """Steps before the first check: the objective of a fresh image first rises, then wobbles."""
    straggling: float = 0.5
    """Share of the images that may still be rising when the batch stops: half, as one image's gains over a window
    are noisy (with 5 %, no layer of the twelve measured ever stopped before its cap)."""


TOLERANCE_AT_FULL_COST = 0.15
"""The tolerance of a layer that costs the whole network (the last one)."""
LEAST_TOLERANCE = 0.005
"""The tolerance of the cheapest layers: half a percent a window."""


def tolerance_for(cost_share: float | None) -> float:
    """The tolerance of a layer that costs ``cost_share`` of a pass through the whole network (its multiply-
    accumulates up to the layer over the network's, ``compute.cost``); None (unknown): the full-cost one."""
    if cost_share is None:
        return TOLERANCE_AT_FULL_COST
    return round(max(LEAST_TOLERANCE, TOLERANCE_AT_FULL_COST * min(cost_share, 1.0)), 4)


@dataclass
class Convergence:
    """The running state of one batch under a ``StoppingRule``: feed it each step's objectives, ask ``converged``."""

    rule: StoppingRule
    smoothed: np.ndarray | None = None
    checkpoints: list[np.ndarray] = field(default_factory=list)
    steps: int = 0

    def update(self, objectives: np.ndarray) -> None:
        """One step's objective per image (higher is better)."""
        values = np.asarray(objectives, dtype=np.float64)
        weight = 2.0 / (self.rule.window + 1)  # an exponential average over about one window
        self.smoothed = values.copy() if self.smoothed is None else (1 - weight) * self.smoothed + weight * values
        self.steps += 1
        if self.steps % self.rule.window == 0:
            self.checkpoints.append(self.smoothed.copy())

    def rising(self) -> np.ndarray:
        """Per image, whether it gained more than the tolerance over the last window (all True before two checks)."""
        if len(self.checkpoints) < 2:
            return np.ones(0 if self.smoothed is None else len(self.smoothed), bool)
        now, before = self.checkpoints[-1], self.checkpoints[-2]
        scale = np.maximum(np.abs(now), np.abs(before))
        return (now - before) > self.rule.tolerance * np.maximum(scale, 1e-12)

    def converged(self) -> bool:
        """Whether the batch may stop now: past ``min_steps``, on a check step, with few images still rising."""
        if self.steps < max(self.rule.min_steps, 2 * self.rule.window) or self.steps % self.rule.window:
            return False
        rising = self.rising()
        return bool(rising.size) and rising.mean() <= self.rule.straggling
