"""Work units: which ones --only redoes, and how shards split them."""

import pytest

from generator.compute.cost import analysis_cost, filters_cost, macs_up_to
from generator.errors import AtlasError
from generator.plan import Shard, WorkUnit, assign, matches


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("vgg16", "vgg16/block1_conv1", True),
        ("vgg16", "vgg16/block1_conv1/cat-chelsea", True),
        ("vgg16", "vgg19/block1_conv1", False),
        ("vgg16/block5*", "vgg16/block5_conv3", True),
        ("vgg16/block5*", "vgg16/block4_conv3", False),
        ("*/images/cat-chelsea", "mobilenet/images/cat-chelsea", True),
        ("*/images/cat-chelsea", "mobilenet/images/dog", False),
        ("vgg", "vgg16/block1_conv1", False),
    ],
)
def test_only_patterns_match_a_unit_or_what_it_contains(pattern, path, expected):
    assert matches([pattern], path) is expected


def test_shard_parsing_names_the_mistake():
    assert Shard.parse("2/3") == Shard(2, 3)
    for text in ("0/3", "4/3", "two/3", "1"):
        with pytest.raises(AtlasError, match="--shard"):
            Shard.parse(text)


def test_shards_split_the_units_exactly_once_and_balance_their_cost():
    units = [WorkUnit(f"b/{index}", float(cost)) for index, cost in enumerate([90, 70, 50, 40, 30, 20, 10, 10, 5, 5, 1, 1])]
    shares = [assign(units, Shard(index, 3)) for index in (1, 2, 3)]
    assert sorted(path for share in shares for path in share) == sorted(unit.path for unit in units)
    loads = [sum(unit.cost for unit in units if unit.path in share) for share in shares]
    assert max(loads) - min(loads) <= 10  # LPT: within the smallest large unit
    assert shares == [assign(list(reversed(units)), Shard(index, 3)) for index in (1, 2, 3)]  # order-free


def test_costs_grow_with_depth_canvas_filters_and_steps(tiny_classifier):
    assert 0 < macs_up_to(tiny_classifier, "conv_a") < macs_up_to(tiny_classifier, "conv_b") < macs_up_to(tiny_classifier)
    # conv_a: 3x3x3x8 weights at 32x32 positions
    assert macs_up_to(tiny_classifier, "conv_a") == 3 * 3 * 3 * 8 * 32 * 32
    base = filters_cost(tiny_classifier, "conv_b", 6, 10, 32)
    assert filters_cost(tiny_classifier, "conv_b", 6, 10, 64) == pytest.approx(4 * base)
    assert filters_cost(tiny_classifier, "conv_b", 3, 20, 32) == pytest.approx(base)
    assert analysis_cost(tiny_classifier) == 3 * macs_up_to(tiny_classifier)
