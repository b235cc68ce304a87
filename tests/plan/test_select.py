"""Filters of the plan: which units --only redoes, and how shards split them."""

from dataclasses import dataclass

import pytest

from generator.errors import AtlasError
from generator.plan import Shard, assign, matches, redo_predicate


@dataclass(frozen=True)
class WorkUnit:
    path: str
    cost: float


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


def test_only_redoes_what_it_matches_and_force_redoes_everything():
    assert [redo_predicate(False, ())(path) for path in ("vgg16/block1_conv1", "photos/cat")] == [False, False]
    assert [redo_predicate(True, ())(path) for path in ("vgg16/block1_conv1", "photos/cat")] == [True, True]
    only = redo_predicate(False, ["vgg16/block1*"])
    assert [only(path) for path in ("vgg16/block1_conv1", "vgg16/block1_conv1/cat", "vgg16/block2_conv1")] == [True, True, False]


def test_the_fewest_shards_whose_every_share_fits_the_limit():
    from generator.plan.select import shard_loads

    units = [WorkUnit(f"b/{index}", float(cost)) for index, cost in enumerate([90, 70, 50, 40, 30, 20, 10, 10, 5, 5, 1, 1])]
    total = sum(unit.cost for unit in units)  # 332
    assert shard_loads(units, total) == [total]
    for limit in (90, 100, 120, 170):
        loads = shard_loads(units, limit)
        assert max(loads) <= limit and sum(loads) == total
        fewer = len(loads) - 1  # one shard fewer does not fit, as ``assign`` would balance it
        assert fewer == 0 or max(assign_loads(units, fewer)) > limit
    assert len(shard_loads(units, 90)) == 4  # 332 / 90: no fewer than 4, and LPT fits 4
    with pytest.raises(AtlasError, match=r"work unit b/0 alone is projected at 1\.8 times"):
        shard_loads(units, 50)
    with pytest.raises(AtlasError, match="more than 3 shards"):
        shard_loads(units, 95, most=3)


def assign_loads(units, count: int) -> list[float]:
    """Each shard's cost as ``assign`` splits the units into ``count`` shards."""
    shares = [assign(units, Shard(index, count)) for index in range(1, count + 1)]
    return [sum(unit.cost for unit in units if unit.path in share) for share in shares]


def test_the_first_and_last_shard_are_valid_and_the_first_gets_the_costliest_unit():
    assert (Shard.parse("1/3"), Shard.parse("3/3"), Shard.parse("1/1")) == (Shard(1, 3), Shard(3, 3), Shard(1, 1))
    units = [WorkUnit("b/big", 10.0), WorkUnit("b/small", 1.0)]
    assert assign(units, Shard(1, 2)) == {"b/big"} and assign(units, Shard(2, 2)) == {"b/small"}


def test_an_empty_pattern_matches_nothing_and_a_path_is_not_its_own_child():
    assert not matches([""], "vgg16/block1_conv1")
    assert not matches(["vgg16/block1_conv1/*"], "vgg16/block1_conv1")


def test_shard_loads_of_nothing_is_one_idle_shard_and_the_errors_say_what_to_do():
    from generator.plan.select import MOST_SHARDS, shard_loads

    assert shard_loads([], 10.0) == [0.0]
    with pytest.raises(AtlasError, match="limit: give the runners more time, a higher rate, or the layer fewer filters"):
        shard_loads([WorkUnit("b/0", 11.0)], 10.0)
    with pytest.raises(AtlasError, match="higher rate, or draw fewer layers"):
        shard_loads([WorkUnit("b/0", 10.0)] * 3, 10.0, most=2)
    # exactly the most shards allowed, each full: still accepted
    units = [WorkUnit(f"b/{index}", 10.0) for index in range(MOST_SHARDS)]
    assert shard_loads(units, 10.0) == [10.0] * MOST_SHARDS
