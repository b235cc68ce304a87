"""Filter-visualisation recipes: the defaults per architecture family, and what a config may override.

The defaults differ only where the architecture demands it:

- NASNet's branches only agree on canvases that are multiples of 32.
- VGG and ResNet are bound by arithmetic in large convolutions: where the hardware computes bfloat16
  natively, their network runs in it (twice the rate on AVX512-BF16; see ``precision``). Depthwise families are
  bound by memory traffic and were slower in bfloat16 on the CPU, so they stay in float32.
- A user's model file (``custom``) is an unknown architecture: float32 unless its ``recipe:`` says otherwise.
- Every family keeps Lucid's transforms and Adam at ``filters.LEARNING_RATE``; the smallest canvas comes from
  the registry (75 px for Inception).

Per layer, a unit that sees few pixels gets a small periodic image that is tiled (``receptive_field``); and a
network cut at a layer that no ReLU can silence gets no redirected step whatever the family
(``redirected_relu.silenceable_relus``): EfficientNet's swish and ConvNeXt's GELU never get one, EfficientNet-Lite's
ReLU6 does (a family-wide "no redirection" once left a sixth of EfficientNet-Lite0's ``block1a_dwconv`` units grey).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from generator.compute.convergence import StoppingRule, tolerance_for
from generator.compute.filters import Recipe
from generator.compute.precision import resolve_precision
from generator.compute.receptive_field import tile_side
from generator.compute.transforms import Robustness

FAMILY_DEFAULTS: dict[str, dict[str, Any]] = {
    "plain": {"precision": "auto"},
    "resnet": {"precision": "auto"},
    "mobilenet": {},
    "densenet": {},
    "inception": {},
    "efficientnet": {},
    "convnext": {},
    "nasnet": {"canvas_multiple": 32},
    "custom": {},
}
"""Recipe fields that differ from ``Recipe``'s defaults, per registry family."""

OVERRIDABLE = ("learning_rate", "redirect_fraction", "pad", "jitter", "degrees", "precision")
"""Keys a backbone's ``recipe:`` mapping in atlas.yml may set."""


def recipe_for(
    family: str, *, size: int, steps: int, min_canvas: int, receptive_field: int | None = None,
    learning_rate: float | None = None, overrides: dict[str, Any] | None = None, cost_share: float | None = None,
) -> Recipe:
    """The recipe of one layer: family defaults, then the atlas-wide learning rate, then the backbone's overrides.

    ``receptive_field`` (``receptive_field.receptive_field`` of the layer) decides the tile; None keeps the canvas.
    ``cost_share`` (the layer's share of a pass through the network) decides when its images have converged
    (``convergence.tolerance_for``).
    """
    fields = dict(FAMILY_DEFAULTS.get(family, {}))
    if learning_rate is not None:
        fields["learning_rate"] = learning_rate
    robustness = Robustness()
    for key, value in (overrides or {}).items():
        if value is None:
            continue
        if key in ("pad", "jitter", "degrees"):
            robustness = replace(robustness, **{key: value})
        else:
            fields[key] = value
    fields["precision"] = resolve_precision(fields.get("precision", "float32"))
    side = tile_side(receptive_field, size)
    period = side if side < size else None
    return Recipe(size=size, steps=steps, min_canvas=min_canvas, robustness=robustness, period=period,
                  stopping=StoppingRule(tolerance=tolerance_for(cost_share)), **fields)
