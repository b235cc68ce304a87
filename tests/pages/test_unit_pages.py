"""Natural examples on the pages: a units page per drawn layer with a stable anchor per unit, its crops' alt
text, its numbers, the dead flag and the filter-over-photo ratio, linked from the layer page. The examples are
made up, so every number is known."""

import numpy as np
import pytest

from generator.cache import Cache
from generator.compute.examples import TopExamples
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


def _examples(patch: int) -> TopExamples:
    """Unit 0 fires on two photos (7.25 at the third, 3.5 at the first), unit 1 on none (dead)."""
    values = np.array([[7.25, 3.5], [0.0, 0.0]], np.float32)
    return TopExamples(values, np.array([[2, 0], [0, 1]]), np.array([[1, 6], [0, 0]], np.int32), np.array([[2, 7], [0, 0]], np.int32),
                       photos=3, response_sum=np.array([12.0, -0.3]), fired=np.array([2, 0]),
                       patches=np.full((2, 2, patch, patch), 255, np.uint8))


@pytest.fixture
def drawn(tiny_classifier, tmp_path):
    photos = [SourceImage(id=name, path=tmp_path / f"{name}.png", sha256=str(index) * 64,
                          pixels=np.full((24, 32, 3), 60 * index, np.uint8)) for index, name in enumerate(IDS)]
    plan = _plan(_backbone(tiny_classifier), ["conv_b"], photos, examples_per_unit=2, faithfulness_steps=0)
    analyses = {unit.image.id: ImageAnalysis(activations={"conv_b": np.zeros((4, 8, 8), np.uint8)},
                                             probabilities=np.eye(10, dtype=np.float32)[3], class_index=3,
                                             class_probability=1.0, cams={("gradcam", "conv_b"): np.zeros((8, 8), np.float32)})
                for unit in plan.units_of("analysis")}
    arrays = arrays_of(analyses, {"conv_b": np.zeros((2, 16, 16, 3), np.uint8)},
                       examples={"conv_b": _examples(plan.settings("examples").patch)},
                       peaks={"conv_b": np.array([5.8, 0.0], np.float32)})
    result = draw_backbone(Draw(Writer(tmp_path / "atlas"), Cache(tmp_path / "cache")), plan, arrays)
    photo_results = {name: PhotoResult(name, f"{name}.png", names.photo_file(name), names.thumbnail_file(names.photo_file(name)),
                                       names.photo_page(name), width=32, height=24) for name in IDS}
    return result, photo_results, tmp_path / "atlas"


def test_a_units_page_gives_each_unit_an_anchor_its_crops_numbers_and_flags(drawn):
    backbone, photos, folder = drawn
    layer = backbone.layers[0]
    assert layer.units_page == "tiny/layers/conv-b/units.md"
    page = render("units.md.j2", layer.units_page, backbone=backbone, layer=layer, photos=photos)
    assert "## Unit 0 { #unit-0 }" in page and "## Unit 1 { #unit-1 }" in page
    assert ("Photo crops 1 to 2 exciting unit 0 of layer conv_b of tiny, strongest first: third.png (response 7.25), "
            "first.png (response 3.5)](unit-0.webp)") in page
    assert "Strongest **7.25** · mean 4 · fires on **66.7 %** of the photos · filter image ÷ best crop: **0.80** ⚠" in page
    assert "[third\\.png](../../../images/third/index.md) 7.25 · [first\\.png](../../../images/first/index.md) 3.5" in page
    assert "**Dead**: it fires on none of the 3 photos" in page and "No photo excites it." in page
    assert "1 dead unit · 1 unit whose filter image excites it less than a photo does" in page
    assert "The examples come from **3 photos**" in page and "up to 1 crops" not in page
    assert (folder / "tiny/layers/conv-b/unit-0.webp").is_file() and not (folder / "tiny/layers/conv-b/unit-1.webp").exists()
    # unit 1's filter image is the mosaic's second tile: 2 + 16 + 2 px from the left of a 38 x 20 px mosaic
    assert "background-size: 237.5% 125%; background-position: 90.91% 50%" in page


def test_the_layer_page_links_its_units_page_and_says_how_many_photos_the_examples_come_from(drawn):
    backbone, photos, _ = drawn
    layer = backbone.layers[0]
    page = render("layer.md.j2", layer.page, backbone=backbone, layer=layer, photos=photos)
    assert "**[Each unit with the photos that excite it most](units.md)**" in page
    assert "from the atlas' 3 photos" in page.replace("\n", " ")


def test_the_printed_strongest_mean_and_share_fired_are_the_activations_own_recomputed_directly(tiny_classifier, sample_photos,
                                                                                                tmp_path):
    """The whole way from photos to the units page, on the sample photos: each unit's numbers are what its
    activations say, computed here from ``layer_activations`` alone (per photo the map's maximum; strongest: the
    largest; mean: their mean; fires on: the share above 0)."""
    import re

    from generator.compute.activations import layer_activations
    from generator.photos.folders import load_images
    from generator.pages.markdown import percent, response
    from generator.pipeline.compute_units import compute_backbone
    from tests.pipeline.test_compute_units import _never

    images = load_images([str(path) for path in sample_photos], None).images
    backbone = _backbone(tiny_classifier)
    plan = _plan(backbone, ["conv_b"], images, examples_per_unit=3, faithfulness_steps=0)
    cache = Cache(tmp_path / "cache")
    arrays = compute_backbone(plan, lambda: backbone, cache, redo=_never)
    result = draw_backbone(Draw(Writer(tmp_path / "atlas"), cache), plan, arrays)
    layer = result.layers[0]
    page = render("units.md.j2", layer.units_page, backbone=result, layer=layer,
                  photos={image.id: PhotoResult(image.id, image.file_name, "p.jpg", "t.webp", names.photo_page(image.id))
                          for image in images})
    pixels = backbone.preprocess(np.stack([image.resized(backbone.input_shape[:2]) for image in images]))
    maxima = layer_activations(tiny_classifier, pixels, ["conv_b"])["conv_b"].max(axis=(1, 2))  # (photos, units)
    sections = page.split("## Unit ")[1:]
    assert len(sections) == len(plan.layers[0].crops) == 2  # the mosaic's units (``_plan`` draws 2 filters)
    for unit, section in enumerate(sections):
        per_photo = maxima[:, unit]
        if per_photo.max() <= 0:
            assert f"**Dead**: it fires on none of the {len(images)} photos" in section
            continue
        line = re.search(r"Strongest \*\*(.+?)\*\* · mean (.+?) · fires on \*\*(.+?)\*\*", section)
        assert line, section
        assert line.groups() == (response(per_photo.max()), response(per_photo.mean()), percent((per_photo > 0).mean()))


def test_the_pages_state_the_grids_columns_and_the_crops_least_side_from_the_code(drawn):
    """Neither page restates a constant: the tiles per row and the side a small field's crop is widened to come
    from the drawing (``render.mosaic.COLUMNS``, ``formulas.field_box.LEAST_FRACTION``); changed there, the text
    follows."""
    import dataclasses

    from generator.formulas.field_box import LEAST_FRACTION
    from generator.render.mosaic import COLUMNS

    backbone, photos, _ = drawn
    layer = backbone.layers[0]
    assert (layer.grid_columns, layer.crop_least_side) == (COLUMNS, max(backbone.input_shape[:2]) * LEAST_FRACTION)
    other = dataclasses.replace(layer, grid_columns=6, crop_least_side=float(layer.receptive_field + 3))
    layer_page = " ".join(render("layer.md.j2", layer.page, backbone=backbone, layer=other, photos=photos).split())
    units_page = render("units.md.j2", layer.units_page, backbone=backbone, layer=other, photos=photos)
    assert "6 per row" in layer_page and f"widened to {layer.receptive_field + 3} px to show its surroundings" in units_page
    assert "widened" not in render("units.md.j2", layer.units_page, backbone=backbone, layer=layer, photos=photos)
