"""Photos as a network takes them: each prepared once per backbone for every kind, and a batch the same bits as
the photos preprocessed together (what every kind computed from before)."""

import numpy as np

from generator.cache import Cache
from generator.photos.folders import load_images
from generator.pipeline import compute_units
from generator.pipeline.compute_units import compute_backbone
from generator.pipeline.photo_batch import PreparedPhotos
from tests.pipeline.test_compute_units import _backbone, _never, _plan


def test_a_batch_is_the_photos_preprocessed_together_padded_with_blanks(tiny_classifier, sample_photos):
    backbone = _backbone(tiny_classifier)
    images = load_images([str(path) for path in sample_photos[:3]], None).images
    together = backbone.preprocess(np.concatenate([
        np.stack([image.resized(backbone.input_shape[:2]) for image in images]),
        np.zeros((1, *backbone.input_shape[:2], 3), np.uint8)]))
    photos = PreparedPhotos()
    np.testing.assert_array_equal(photos.batch(backbone, images, 4), together)
    np.testing.assert_array_equal(photos.batch(backbone, images[::-1], 3), together[:3][::-1])
    assert photos.made == 3
    small = PreparedPhotos(kept_bytes=together[0].nbytes * 2)  # two photos kept: the oldest goes first
    np.testing.assert_array_equal(small.batch(backbone, images, 4), together)
    np.testing.assert_array_equal(small.batch(backbone, images[2:], 1), together[2:3])
    assert small.made == 3 and list(small.prepared) == [images[1].sha256, images[2].sha256]
    np.testing.assert_array_equal(small.batch(backbone, images[:1], 1), together[:1])
    assert small.made == 4


def test_each_photo_is_prepared_once_for_the_analysis_its_scores_and_the_examples(tiny_classifier, sample_photos,
                                                                                   tmp_path, monkeypatch):
    made: list[PreparedPhotos] = []

    class Counted(PreparedPhotos):
        def __init__(self) -> None:
            super().__init__()
            made.append(self)

    monkeypatch.setattr(compute_units, "PreparedPhotos", Counted)
    backbone = _backbone(tiny_classifier)
    images = load_images([str(path) for path in sample_photos[:2]], None).images
    plan = _plan(backbone, ["conv_b"], images, faithfulness_steps=2, examples_per_unit=2)
    assert all(plan.units_of(kind) for kind in ("analysis", "scores", "examples"))
    compute_backbone(plan, lambda: backbone, Cache(tmp_path), redo=_never)
    assert len(made) == 1 and made[0].made == len(images)
