"""The examples unit in a build: groups of photos cached apart and merged give exactly the whole set's examples,
adding a photo computes only its group, and shards' groups merge to the single machine's result."""

import numpy as np

from generator.cache import Cache
from generator.compute.examples import top_examples
from generator.photos.image import SourceImage
from generator.pipeline.compute_units import compute_backbone
from generator.pipeline.photo_batch import PreparedPhotos
from generator.units.base import Making
from generator.units.examples import find_examples, merged_examples
from tests.pipeline.test_compute_units import _backbone, _never, _plan

FIELDS = ("values", "image_index", "y", "x", "patches", "response_sum", "fired")


def _making(backbone, cache: Cache) -> Making:
    return Making(lambda: backbone, cache, _never, {}, lambda step: None, True, PreparedPhotos())


def _photos(tmp_path, count: int, groups: int = 3) -> list[SourceImage]:
    """Noise photos of different sizes whose hashes fall in ``groups`` groups (first two hex digits), interleaved."""
    rng = np.random.default_rng(5)
    return [SourceImage(id=f"photo-{index}", path=tmp_path / f"photo-{index}.png",
                        sha256=f"{index % groups:02x}{index:062x}", pixels=rng.integers(0, 256, (40 + index, 48, 3), dtype=np.uint8))
            for index in range(count)]


def _assert_same(first, second) -> None:
    assert first.photos == second.photos
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(first, name), getattr(second, name), err_msg=name)


def test_merged_groups_are_the_whole_sets_examples_recomputed_directly(tiny_classifier, tmp_path):
    images = _photos(tmp_path, 6)
    backbone = _backbone(tiny_classifier)
    plan = _plan(backbone, ["conv_a", "conv_b"], images, examples_per_unit=4, filters=5)
    assert [unit.numbers for unit in plan.units_of("examples")] == [(0, 3), (1, 4), (2, 5)] and plan.settings("examples").per_image == 1
    arrays = compute_backbone(plan, lambda: backbone, Cache(tmp_path / "cache"), redo=_never)
    pixels = backbone.preprocess(np.stack([image.resized(backbone.input_shape[:2]) for image in images]))
    direct = top_examples(backbone.model, pixels, ["conv_a", "conv_b"], 4, channels=5, patch=plan.settings("examples").patch,
                          fields=dict(zip(plan.settings("examples").layers, plan.settings("examples").fields, strict=True)))
    for layer in ("conv_a", "conv_b"):
        assert arrays["examples"][layer].values.shape == (5, 4)
        _assert_same(arrays["examples"][layer], direct[layer])


def test_adding_a_photo_computes_only_its_group_and_gives_the_whole_new_sets_examples(tiny_classifier, tmp_path):
    """Past one batch of four photos (an eager pass; see ``ExampleSettings.batch``): a set of 5 grown to 6."""
    images = _photos(tmp_path, 6, groups=6)
    backbone = _backbone(tiny_classifier)
    cache = Cache(tmp_path / "cache")
    before = _plan(backbone, ["conv_b"], images[:5], examples_per_unit=3)
    find_examples(before, before.units_of("examples"), _making(backbone, cache))
    after = _plan(backbone, ["conv_b"], images, examples_per_unit=3)
    assert (before.settings("examples").batch, before.settings("examples").compiled) == (after.settings("examples").batch, after.settings("examples").compiled) == (32, True)
    again = Cache(tmp_path / "cache")
    groups = find_examples(after, after.units_of("examples"), _making(backbone, again))
    assert (again.arrays.hits, again.computed) == (5, 1)
    fresh = find_examples(after, after.units_of("examples"), _making(backbone, Cache(tmp_path / "fresh")))
    _assert_same(merged_examples(after, groups)["conv_b"], merged_examples(after, fresh)["conv_b"])


def test_shards_compute_disjoint_groups_that_merge_to_the_single_machines_examples(tiny_classifier, tmp_path):
    """Two shards each compute their half of the groups into one cache (as ``keras-atlas merge`` makes it); a
    drawing build then reads every group and merges them to the same bytes as one machine computing them all."""
    images = _photos(tmp_path, 7)  # fewer photos than k: several examples per photo
    backbone = _backbone(tiny_classifier)
    plan = _plan(backbone, ["conv_a", "conv_b"], images, examples_per_unit=8, filters=4)
    assert plan.settings("examples").per_image == 2
    paths = [unit.path for unit in plan.units_of("examples")]
    shared = tmp_path / "shards"
    for half in (paths[::2], paths[1::2]):
        compute_backbone(plan, lambda: backbone, Cache(shared), redo=_never, mine=half.__contains__, drawing=False)
    merged_cache = Cache(shared)
    from_shards = compute_backbone(plan, lambda: backbone, merged_cache, redo=_never)
    assert merged_cache.arrays.hits >= len(paths)
    alone = compute_backbone(plan, lambda: backbone, Cache(tmp_path / "alone"), redo=_never)
    for layer in ("conv_a", "conv_b"):
        _assert_same(from_shards["examples"][layer], alone["examples"][layer])
        found = alone["examples"][layer]
        assert found.photos == 7 and (found.image_index[found.values > 0] >= 0).all()


def test_an_examples_set_without_a_usable_photo_is_named_before_any_network_is_loaded(tmp_path, sample_photos):
    import pytest

    from generator.config import AtlasConfig
    from generator.errors import ConfigError
    from generator.pipeline.run import build

    empty = tmp_path / "no-photos"
    empty.mkdir()
    (empty / "notes.txt").write_text("not a photo")
    config = AtlasConfig(backbones=[{"name": "vgg16"}], images=[str(sample_photos[0])], examples=[str(empty)],
                         docs_dir=tmp_path / "docs", site_dir=tmp_path / "site", cache_dir=tmp_path / "cache")
    with pytest.raises(ConfigError, match=r"examples: no usable image in .*no-photos; give image files, folders or globs"):
        build(config)
    assert not (tmp_path / "cache" / "networks").exists()  # failed before planning any backbone


def test_photos_read_again_from_their_files_give_the_examples_of_photos_held(tiny_classifier, tmp_path):
    """A large examples set is not held in memory (``load_images(..., hold=False)``): each batch is read and
    decoded again from the files, one batch ahead of the network; the examples are those of the held photos."""
    from PIL import Image

    from generator.photos.folders import load_images

    for image in _photos(tmp_path, 7):
        Image.fromarray(image.pixels).save(image.path)
    paths = [str(tmp_path / f"photo-{index}.png") for index in range(7)]
    held, lean = load_images(paths).images, load_images(paths, hold=False).images
    assert all(image.pixels is None for image in lean)
    backbone = _backbone(tiny_classifier)
    found = []
    for images, cache in ((held, "held"), (lean, "lean")):
        plan = _plan(backbone, ["conv_b"], images, examples_per_unit=3, filters=4)
        found.append(compute_backbone(plan, lambda: backbone, Cache(tmp_path / cache), redo=_never)["examples"]["conv_b"])
    _assert_same(found[1], found[0])
    assert found[0].photos == 7
