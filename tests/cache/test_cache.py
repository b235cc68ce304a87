"""The two-tier cache: verified entries, figure keys, prune and merge."""

import json

import numpy as np
import pytest

from generator.cache import Cache
from generator.cache.layout import CacheLayout
from generator.cache.maintenance import merge, prune, usage
from generator.cache.store import seal, unseal
from generator.errors import AtlasError


def test_an_entry_round_trips_and_any_damage_is_detected():
    sealed = seal(b"payload bytes")
    assert unseal(sealed) == b"payload bytes"
    assert unseal(sealed[:-1]) is None  # truncated
    flipped = bytearray(sealed)
    flipped[-3] ^= 1
    assert unseal(bytes(flipped)) is None
    assert unseal(b"") is None and unseal(b"PK\x03\x04 an old npz") is None


def test_a_damaged_entry_counts_as_missing(tmp_path):
    cache = Cache(tmp_path)
    cache.arrays.save("ab" * 32, {"x": np.arange(5)})
    path = cache.arrays.path_for("ab" * 32)
    path.write_bytes(path.read_bytes()[:-4])
    assert cache.arrays.load("ab" * 32) is None and cache.arrays.misses == 1
    cache.arrays.save("ab" * 32, {"x": np.arange(5)})
    np.testing.assert_array_equal(cache.arrays.load("ab" * 32)["x"], np.arange(5))


def _cache_with(root, used: list[str], unused: list[str]) -> Cache:
    cache = Cache(root)
    for key in used + unused:
        cache.figures.put(key, key.encode())
    cache.figures.used = set(used)
    cache.arrays.used = set()
    cache.record_last_build()
    return cache


def test_prune_keeps_exactly_what_the_latest_build_used(tmp_path):
    used, unused = ["11" * 32, "22" * 32], ["33" * 32]
    cache = _cache_with(tmp_path, used, unused)
    leftover = tmp_path / "arrays" / "ff" / "ffff.npz"  # an entry in the format of an older version
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"old")
    assert {row.name: row.unused_entries for row in usage(tmp_path)}["figures"] == 1
    removed, freed = prune(tmp_path)
    assert removed == 2 and freed > 0
    assert [key for key in used if cache.figures.get(key)] == used
    assert cache.figures.get(unused[0]) is None and not leftover.exists()


def test_prune_refuses_without_a_record_of_the_latest_build(tmp_path):
    Cache(tmp_path).figures.put("11" * 32, b"x")
    with pytest.raises(AtlasError, match=CacheLayout(tmp_path).last_build.name):
        prune(tmp_path)
    assert Cache(tmp_path).figures.get("11" * 32) == b"x"


def test_merge_copies_intact_entries_and_skips_damaged_ones(tmp_path):
    first, second, target = Cache(tmp_path / "a"), Cache(tmp_path / "b"), tmp_path / "merged"
    first.arrays.save("11" * 32, {"x": np.ones(3)})
    second.figures.put("22" * 32, b"png")
    second.figures.put("33" * 32, b"damaged")
    damaged = second.figures.path_for("33" * 32)
    damaged.write_bytes(damaged.read_bytes()[:-1])
    copied, skipped = merge([tmp_path / "a", tmp_path / "b"], target)
    assert (copied, skipped) == (2, 1)
    merged = Cache(target)
    assert merged.arrays.load("11" * 32)["x"].tolist() == [1, 1, 1] and merged.figures.get("22" * 32) == b"png"
    assert merged.figures.get("33" * 32) is None


def test_last_build_lists_the_keys_of_both_tiers(tmp_path):
    cache = Cache(tmp_path)
    cache.arrays.load("aa" * 32)
    cache.figures.put("bb" * 32, b"x")
    cache.record_last_build()
    assert json.loads(CacheLayout(tmp_path).last_build.read_text()) == {"arrays": ["aa" * 32], "figures": ["bb" * 32]}


def test_get_or_make_makes_only_what_is_missing_or_redone(tmp_path):
    cache, made = Cache(tmp_path), []

    def make(value: bytes):
        def maker() -> bytes:
            made.append(value)
            return value
        return maker

    assert cache.figures.get_or_make("aa" * 32, make(b"first")) == b"first"
    assert cache.figures.get_or_make("aa" * 32, make(b"second")) == b"first" and made == [b"first"]
    assert cache.figures.get_or_make("aa" * 32, make(b"third"), redo=True) == b"third"
    path = cache.figures.path_for("aa" * 32)
    path.write_bytes(path.read_bytes()[:-1])  # damaged: made again
    assert cache.figures.get_or_make("aa" * 32, make(b"fourth")) == b"fourth"
    assert made == [b"first", b"third", b"fourth"] and cache.figures.made == 3 and cache.figures.hits == 1


def test_get_or_make_many_asks_for_the_missing_values_at_once_in_order(tmp_path):
    """Batched work: one call makes every missing value, and all come back as the stored values."""
    cache = Cache(tmp_path)
    keys = [f"{index:02d}" * 32 for index in range(4)]
    cache.arrays.save(keys[1], {"x": np.arange(1)})
    asked = []

    def make(missing: list[int]):
        asked.append(missing)
        return ({"x": np.arange(index, dtype=np.int16)} for index in missing)

    values = cache.arrays.get_or_make_many(keys, make, redo=lambda index: index == 3)
    assert asked == [[0, 2, 3]]
    assert [value["x"].tolist() for value in values] == [[], [0], [0, 1], [0, 1, 2]]
    assert values[2]["x"].dtype == np.int16 and cache.computed == 3
    np.testing.assert_array_equal(cache.arrays.load(keys[3])["x"], np.arange(3))
