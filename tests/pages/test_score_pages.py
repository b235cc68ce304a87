"""Heatmap scores on the pages: a layer's table of means, the flag of a method that fails the sanity check, the
network's best heatmap by the stated rule on its backbone, photo and comparison pages, and the fallback without
scores. The scores are made up, so every number and the winner are known."""

import re

import numpy as np
import pytest

from generator.cache import Cache
from generator.photos.image import SourceImage
from generator.pages.write import render
from tests.conftest import arrays_of
from generator.pipeline.arrays import ImageAnalysis, PhotoScores
from generator.pipeline.draw_figures import Draw, draw_backbone
from generator.plan import names
from generator.results.atlas import PhotoResult
from generator.pages.write import BEST_RULE as RULE
from tests.pipeline.test_compute_units import _backbone, _plan
from generator.output.writer import Writer

IDS = ("first", "second", "third")
METHODS = ("gradcam", "layercam")
LAYERS = ("conv_a", "conv_b")
# (deletion, insertion) areas per method and layer; LayerCAM at conv_a scores best but fails the sanity check
AREAS = {("gradcam", "conv_a"): (0.5, 0.5), ("gradcam", "conv_b"): (0.2, 0.6),
         ("layercam", "conv_a"): (0.1, 0.9), ("layercam", "conv_b"): (0.3, 0.8)}
SANITY = {("layercam", "conv_a"): 0.9}


def _scores(plan, photo: int) -> PhotoScores:
    steps = plan.settings("scores").steps
    sides = len(plan.settings("scores").chance_sides)
    deletion = np.zeros((2, 2, steps + 1), np.float32)
    insertion = np.zeros((2, 2, steps + 1), np.float32)
    sanity = np.zeros((2, 2), np.float32)
    for row, method in enumerate(METHODS):
        for column, layer in enumerate(LAYERS):
            low, high = AREAS[method, layer]
            # constant curves: the area is the value; Grad-CAM at conv_b varies by photo (0.1, 0.2, 0.3: mean 0.2)
            deletion[row, column] = low + (0.1 * (photo - 1) if (method, layer) == ("gradcam", "conv_b") else 0.0)
            insertion[row, column] = high
            sanity[row, column] = SANITY.get((method, layer), 0.1 * photo)
    return PhotoScores(deletion, insertion, np.full((sides, steps + 1), 0.25, np.float32),
                       np.full((sides, steps + 1), 0.35, np.float32), sanity)


def _draw(tiny_classifier, tmp_path, scored: bool, make_scores=_scores):
    photos = [SourceImage(id=name, path=tmp_path / f"{name}.png", sha256=str(index) * 64,
                          pixels=np.full((24, 32, 3), 60 * index, np.uint8)) for index, name in enumerate(IDS)]
    plan = _plan(_backbone(tiny_classifier), list(LAYERS), photos, cam=list(METHODS), faithfulness_steps=4)
    rng = np.random.default_rng(0)
    analyses = {unit.image.id: ImageAnalysis(
        activations={layer: rng.integers(0, 255, (4, 8, 8), dtype=np.uint8) for layer in LAYERS},
        probabilities=np.eye(10, dtype=np.float32)[3], class_index=3, class_probability=1.0,
        cams={(method, layer): rng.uniform(0, 1, (8, 8)).astype(np.float32) for method in METHODS for layer in LAYERS})
        for unit in plan.units_of("analysis")}
    filters = {layer: rng.integers(0, 255, (2, 16, 16, 3), dtype=np.uint8) for layer in LAYERS}
    scores = {unit.image.id: make_scores(plan, index) for index, unit in enumerate(plan.units_of("scores"))} if scored else {}
    result = draw_backbone(Draw(Writer(tmp_path / "atlas"), Cache(tmp_path / "cache")), plan,
                           arrays_of(analyses, filters, scores))
    photo_results = {name: PhotoResult(name, f"{name}.jpg", names.photo_file(name), names.thumbnail_file(names.photo_file(name)),
                                       names.photo_page(name), width=32, height=24) for name in IDS}
    return result, photo_results, tmp_path / "atlas"


@pytest.fixture
def scored(tiny_classifier, tmp_path):
    return _draw(tiny_classifier, tmp_path, scored=True)


def test_a_layer_page_lists_each_methods_mean_areas_its_chance_level_and_flags_a_method_that_fails_the_sanity_check(scored):
    backbone, photos, _ = scored
    page = render("layer.md.j2", backbone.layers[0].page, backbone=backbone, layer=backbone.layers[0], photos=photos)
    assert "| Grad-CAM | 0.50 | 0.50 | **0.00** | 0.10 |" in page
    assert re.search(r"\| LayerCAM \| 0\.10 \| 0\.90 \| \*\*0\.80\*\* \| 0\.90 ⚠ fails \|", page)
    assert "| Random map (chance) | 0.25 | 0.35 | 0.10 | |" in page
    assert "scored on the atlas' 3 photos (4 steps" in page
    deeper = render("layer.md.j2", backbone.layers[1].page, backbone=backbone, layer=backbone.layers[1], photos=photos)
    assert "| Grad-CAM | 0.20 | 0.60 | **0.40** |" in deeper  # the mean of 0.1, 0.2 and 0.3
    assert "| LayerCAM ★ best | 0.30 | 0.80 | **0.50** | 0.10 |" in deeper
    assert "⚠ fails |" not in deeper


def test_the_best_heatmap_passes_the_sanity_check_and_every_page_names_it_and_its_rule(scored):
    backbone, photos, root = scored
    best = backbone.best_heatmap
    assert (best.layer, best.score.method, round(best.score.score, 6)) == ("conv_b", "layercam", 0.5)
    page = render("backbone.md.j2", backbone.page, backbone=backbone, photos=photos, breeds=None)
    assert "**LayerCAM at [conv\\_b](layers/conv-b/index.md)**: insertion minus deletion\n0.50, where a random map scores 0.10" in page
    assert RULE in page and "heatmap-scores.svg" in page
    chart = (root / backbone.scores_chart).read_text()
    assert "how faithful its heatmaps are" in chart and "fails the sanity check" in chart and "conv_b" in chart
    photo = photos["second"]
    card = render("image.md.j2", photo.page, photo=photo, backbones=[backbone], cam_title="Grad-CAM", top_k=3,
                  breed_class=None)
    shown = names.relative_link(names.heatmap_file(backbone.name, "conv_b", "layercam", "second"), photo.page)
    # its own paragraph: the predictions' list starts after a blank line
    assert f'src="{shown}"' in card and "LayerCAM at conv\\_b (best of the network: 0.50, chance 0.10)\n\n" in card
    assert RULE in card
    compare = render("compare.md.j2", names.COMPARE_PAGE, backbones=[backbone], photos=list(photos.values()),
                     untrained=False)
    assert re.search(r"\| \[conv\\_b\]\([^)]+\) \| LayerCAM \| \*\*0\.50\*\* \| 0\.10 \| 0\.10 \|", compare)


def test_without_scores_the_photo_page_shows_the_deepest_layers_first_method_and_says_so(tiny_classifier, tmp_path):
    backbone, photos, _ = _draw(tiny_classifier, tmp_path, scored=False)
    assert backbone.best_heatmap is None and backbone.scores_chart is None
    photo = photos["first"]
    card = render("image.md.j2", photo.page, photo=photo, backbones=[backbone], cam_title="Grad-CAM", top_k=3,
                  breed_class=None)
    shown = names.relative_link(names.heatmap_file(backbone.name, "conv_b", "gradcam", "first"), photo.page)
    assert f'src="{shown}"' in card and "Grad-CAM at conv\\_b (deepest drawn layer)\n\n" in card
    layer_page = render("layer.md.j2", backbone.layers[0].page, backbone=backbone, layer=backbone.layers[0], photos=photos)
    assert "How faithful" not in layer_page
    assert "Which heatmap to trust" not in render("backbone.md.j2", backbone.page, backbone=backbone, photos=photos, breeds=None)


def _skewed(plan, photo: int) -> PhotoScores:
    """Curves that bend (so that the trapezoid rule differs from a mean of points or the end points) and photos
    that disagree unevenly (third photo far off: mean and median differ)."""
    steps = plan.settings("scores").steps
    fractions = np.linspace(0, 1, steps + 1)
    weight = (0.0, 0.0, 1.0)[photo]
    deletion = np.empty((2, 2, steps + 1), np.float32)
    insertion = np.empty((2, 2, steps + 1), np.float32)
    for row in range(2):
        for column in range(2):
            deletion[row, column] = (1 - fractions) ** 2 * (0.53 + 0.1 * row + 0.2 * column + 0.3 * weight)
            insertion[row, column] = np.sqrt(fractions) * (0.6 - 0.1 * row + 0.1 * column) + 0.3 * weight
    sides = len(plan.settings("scores").chance_sides)
    chance_deletion = np.tile((1 - fractions) * (0.6 + 0.3 * weight), (sides, 1)).astype(np.float32)
    chance_insertion = np.tile(fractions ** 3 * 0.9, (sides, 1)).astype(np.float32)
    sanity = np.full((2, 2), (0.05, 0.1, 0.9)[photo], np.float32)
    return PhotoScores(deletion, insertion, chance_deletion, chance_insertion, sanity)


def test_a_layer_tables_numbers_are_the_trapezoid_areas_of_the_curves_averaged_over_photos_recomputed_by_hand(tiny_classifier,
                                                                                                          tmp_path):
    backbone, photos, _ = _draw(tiny_classifier, tmp_path, True, _skewed)
    steps = 4
    fractions = np.linspace(0, 1, steps + 1)

    def area(values) -> float:
        return float(sum((values[i] + values[i + 1]) / 2 * (fractions[i + 1] - fractions[i]) for i in range(steps)))

    def shown(value: float) -> str:  # two decimals, with the true minus sign the pages print
        return f" {value:.2f} ".replace("-", "\u2212")

    for column, layer in enumerate(backbone.layers):
        page = render("layer.md.j2", layer.page, backbone=backbone, layer=layer, photos=photos)
        for row, title in enumerate(("Grad-CAM", "LayerCAM")):
            deletion = np.mean([area((1 - fractions) ** 2 * (0.53 + 0.1 * row + 0.2 * column + 0.3 * w)) for w in (0, 0, 1)])
            insertion = np.mean([area(np.sqrt(fractions) * (0.6 - 0.1 * row + 0.1 * column) + 0.3 * w) for w in (0, 0, 1)])
            sanity = (0.05 + 0.1 + 0.9) / 3
            line = next(line for line in page.splitlines() if line.startswith(f"| {title}"))
            assert line.split("|")[2:6] == [shown(deletion), shown(insertion), f" **{shown(insertion - deletion).strip()}** ",
                                            shown(sanity)], line
        chance = next(line for line in page.splitlines() if line.startswith("| Random map"))
        chance_deletion = np.mean([area((1 - fractions) * (0.6 + 0.3 * w)) for w in (0, 0, 1)])
        chance_insertion = area(fractions ** 3 * 0.9)
        assert chance.split("|")[2:5] == [shown(chance_deletion), shown(chance_insertion),
                                          shown(chance_insertion - chance_deletion)], chance
