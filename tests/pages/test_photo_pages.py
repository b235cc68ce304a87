"""Layer pages with many photos: the first ones shown in compact rows, the rest linked to each photo's page through
the backbone, where every drawn layer has its heatmaps under an anchor the layer page links to."""

import re

import numpy as np
import pytest

from generator.cache import Cache
from generator.photos.image import SourceImage
from generator.pages.write import render
from tests.conftest import arrays_of
from generator.pipeline.arrays import ImageAnalysis
from generator.pipeline.draw_figures import Draw, draw_backbone
from generator.plan import names
from generator.results.atlas import PhotoResult
from generator.output.writer import Writer
from tests.pipeline.test_compute_units import _backbone, _plan

IDS = ("first", "second", "third")


@pytest.fixture
def drawn(tiny_classifier, tmp_path):
    """A backbone of two layers drawn over three photos, one of them on the layer pages."""
    photos = [SourceImage(id=name, path=tmp_path / f"{name}.png", sha256=str(index) * 64,
                          pixels=np.full((24, 32, 3), 60 * index, np.uint8)) for index, name in enumerate(IDS)]
    plan = _plan(_backbone(tiny_classifier), ["conv_a", "conv_b"], photos, cam=["gradcam", "layercam"], photos_per_layer_page=1)
    rng = np.random.default_rng(0)
    analyses = {}
    for unit in plan.units_of("analysis"):
        activations = {layer: rng.integers(0, 255, (4, 8, 8), dtype=np.uint8) for layer in ("conv_a", "conv_b")}
        analyses[unit.image.id] = ImageAnalysis(
            activations=activations if unit.keeps_activations else {},
            probabilities=np.eye(10, dtype=np.float32)[3], class_index=3, class_probability=1.0,
            cams={(method, layer): rng.uniform(0, 1, (8, 8)).astype(np.float32)
                  for method in ("gradcam", "layercam") for layer in ("conv_a", "conv_b")})
    filters = {layer: rng.integers(0, 255, (2, 16, 16, 3), dtype=np.uint8) for layer in ("conv_a", "conv_b")}
    result = draw_backbone(Draw(Writer(tmp_path / "atlas"), Cache(tmp_path / "cache")), plan, arrays_of(analyses, filters))
    photo_results = {name: PhotoResult(name, f"{name}.jpg", names.photo_file(name), names.thumbnail_file(names.photo_file(name)),
                                       names.photo_page(name), width=32, height=24) for name in IDS}
    return result, photo_results


def test_a_layer_page_shows_its_first_photos_and_links_the_others_to_that_layer_on_their_pages(drawn):
    backbone, photos = drawn
    layer = backbone.layers[1]
    page = render("layer.md.j2", layer.page, backbone=backbone, layer=layer, photos=photos)
    assert "### first\\.jpg" in page and "### second" not in page and "### third" not in page
    assert page.count('class="atlas-heatmap"') == 2  # one photo: two maps
    grid = names.relative_link(names.activations_file(backbone.name, "conv_b", "first"), layer.page)
    thumbnail = names.relative_link(names.thumbnail_file(names.activations_file(backbone.name, "conv_b", "first")), layer.page)
    assert page.count("activations-") == 2 and f"]({thumbnail})" in page and f"]({grid})" in page  # its grid's thumbnail, linked
    for other in ("second", "third"):
        target = names.relative_link(names.photo_backbone_page(other, backbone.name), layer.page)
        assert f"[{other}\\.jpg]({target}#{names.layer_anchor('conv_b')})" in page


def test_a_photo_through_a_backbone_shows_every_layer_under_the_anchor_layer_pages_link_to(drawn):
    backbone, photos = drawn
    here = names.photo_backbone_page("third", backbone.name)
    page = render("photo-backbone.md.j2", here, backbone=backbone, photo=photos["third"])
    anchors = re.findall(r"^### \[([\w\\]+)\]\(([^)]+)\) \{ #([\w-]+) \}$", page, flags=re.MULTILINE)
    assert [(name.replace("\\", ""), anchor) for name, _, anchor in anchors] == [(layer, names.layer_anchor(layer)) for layer in ("conv_a", "conv_b")]
    assert [link for _, link, _ in anchors] == [names.relative_link(layer.page, here) for layer in backbone.layers]
    maps = re.findall(r'<img class="off-glb atlas-map" src="([^"]+)"', page)
    assert maps == [names.relative_link(names.heatmap_file(backbone.name, layer, method, "third"), here)
                    for layer in ("conv_a", "conv_b") for method in ("gradcam", "layercam")]
    photos_under = re.findall(r'<span class="atlas-heatmap"[^>]*><img class="off-glb" src="([^"]+)" width="32" height="24"', page)
    assert photos_under == [names.relative_link(names.photo_file("third"), here)] * 4  # each map over the photo itself
    assert "activations-" not in page  # the third photo is not on the layer pages: its activations were not kept
