"""The table of unit kinds: every kind planned and made in an order where each reads only the kinds before it,
and the compute stage's choice of units and progress steps taken from the kinds alone."""

from generator.photos.image import SourceImage
from generator.pipeline.compute_units import needed_units, progress_steps
from generator.units.table import KINDS
from tests.pipeline.test_compute_units import _backbone, _plan


def _images(tmp_path, count: int) -> list[SourceImage]:
    import numpy as np

    return [SourceImage(id=f"p{index}", path=tmp_path / f"p{index}.png", sha256=f"{index:02x}" * 32,
                        pixels=np.zeros((8, 8, 3), np.uint8)) for index in range(count)]


def test_every_kind_has_its_own_name_and_reads_only_kinds_before_it(tiny_classifier, tmp_path):
    names = [kind.name for kind in KINDS]
    assert names == ["analysis", "scores", "examples", "filters"] and len(set(names)) == len(names)
    plan = _plan(_backbone(tiny_classifier), ["conv_a", "conv_b"], _images(tmp_path, 3), faithfulness_steps=2)
    assert list(plan.work) == names
    for position, kind in enumerate(KINDS):
        read = kind.reads(plan.units_of(kind.name))
        assert set(read) <= set(names[:position]), kind.name
    assert KINDS[1].reads(plan.units_of("scores")) == {"analysis": {unit.path for unit in plan.units_of("analysis")}}


def test_a_unit_brings_the_units_it_reads_and_nothing_else(tiny_classifier, tmp_path):
    """A shard that owns one photo's scores reads (or computes) that photo's analysis, not the others'."""
    plan = _plan(_backbone(tiny_classifier), ["conv_a", "conv_b"], _images(tmp_path, 3), faithfulness_steps=2)
    wanted = {"tiny/scores/p1", "tiny/conv_b"}
    needed = needed_units(plan, wanted.__contains__)
    assert {kind: [unit.path for unit in units] for kind, units in needed.items()} == {
        "analysis": ["tiny/images/p1"], "scores": ["tiny/scores/p1"], "examples": [], "filters": ["tiny/conv_b"],
    }
    assert [unit.path for unit in needed_units(plan, lambda path: True)["analysis"]] == [
        f"tiny/images/p{index}" for index in range(3)]


def test_the_progress_bar_counts_each_kinds_own_steps(tiny_classifier, tmp_path):
    """Five photos: two batches of four analysed, five photos scored, one batch of 32 searched for examples (a set
    of more than four), two layers' filters; a shard counts only what it makes."""
    plan = _plan(_backbone(tiny_classifier), ["conv_a", "conv_b"], _images(tmp_path, 5), faithfulness_steps=2)
    assert progress_steps(plan) == 2 + 5 + 1 + 2
    assert progress_steps(plan, {"tiny/scores/p1", "tiny/conv_b"}.__contains__) == 1 + 1 + 0 + 1
    unscored = _plan(_backbone(tiny_classifier), ["conv_a", "conv_b"], _images(tmp_path, 5), faithfulness_steps=0,
                     examples_per_unit=0)
    assert progress_steps(unscored) == 2 + 0 + 0 + 2
