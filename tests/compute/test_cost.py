"""Rough costs of the work units, which balance the shards."""

import pytest

from generator.compute.cost import macs_up_to
from generator.units.analysis import analysis_cost
from generator.units.filters import filters_cost


def test_costs_grow_with_depth_canvas_filters_and_steps(tiny_classifier):
    assert 0 < macs_up_to(tiny_classifier, "conv_a") < macs_up_to(tiny_classifier, "conv_b") < macs_up_to(tiny_classifier)
    # conv_a: 3x3x3x8 weights at 32x32 positions
    assert macs_up_to(tiny_classifier, "conv_a") == 3 * 3 * 3 * 8 * 32 * 32
    conv_b, side = macs_up_to(tiny_classifier, "conv_b"), tiny_classifier.inputs[0].shape[1]
    base = filters_cost(conv_b, side, 6, 10, 32)
    assert filters_cost(conv_b, side, 6, 10, 64) == pytest.approx(4 * base)
    assert filters_cost(conv_b, side, 3, 20, 32) == pytest.approx(base)
    assert filters_cost(conv_b, None, 6, 10, 64) == pytest.approx(base)  # a network that takes any size: no scaling
    assert analysis_cost(macs_up_to(tiny_classifier)) == 3 * macs_up_to(tiny_classifier)
