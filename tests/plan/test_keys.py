"""Keys: a figure's key follows its arrays and every render parameter; every key follows the code that makes
its value and the versions of the libraries that shape it."""

import pytest

from generator.cache import make_key
from generator.cache.code import import_closure
from generator.plan import keys
from generator.plan.keys import figure_key


def test_figure_keys_follow_the_arrays_and_every_render_parameter():
    arrays = make_key(kind="analysis", image="a")
    base = figure_key(arrays, kind="overlay", alpha=0.45)
    assert base == figure_key(arrays, kind="overlay", alpha=0.45)
    assert base != figure_key(arrays, kind="overlay", alpha=0.5)
    assert base != figure_key(make_key(kind="analysis", image="b"), kind="overlay", alpha=0.45)


def test_the_code_roots_are_the_modules_that_make_the_values():
    """If a unit's compute moved to another module, its key would stop following the code that makes it."""
    from generator.pipeline.analysis_unit import analyse_images
    from generator.pipeline.draw_figures import draw_backbone
    from generator.pipeline.filters_unit import filter_images

    assert filter_images.__module__ == keys.FILTERS_CODE
    assert analyse_images.__module__ == keys.ANALYSIS_CODE
    assert draw_backbone.__module__ == keys.FIGURES_CODE


def _relative(root: str) -> set[str]:
    from generator.cache.code import PACKAGE_DIR

    return {path.relative_to(PACKAGE_DIR).as_posix() for path in import_closure(root)}


def test_each_unit_kind_follows_its_own_code_and_no_page_code():
    filters, analysis, figures = (_relative(root) for root in (keys.FILTERS_CODE, keys.ANALYSIS_CODE, keys.FIGURES_CODE))
    assert {"compute/filters.py", "compute/fourier.py", "backbones/__init__.py", "pipeline/filters_unit.py"} <= filters
    assert {"compute/heatmaps.py", "compute/cams/gradcam.py", "images.py", "pipeline/analysis_unit.py"} <= analysis
    assert {"render/overlay.py", "render/encode.py", "images.py", "pipeline/draw_figures.py"} <= figures
    assert "compute/heatmaps.py" not in filters and "compute/filters.py" not in analysis
    assert not {path for path in filters | analysis if path.startswith(("render/", "plan/"))}  # the plan's types shape no array
    for closure in (filters, analysis, figures):
        assert not {"cli.py", "site.py", "pages/write.py", "pipeline/run.py", "pipeline/compute_units.py"} & closure


@pytest.mark.parametrize("library", ["tensorflow", "numpy", "pillow"])
def test_a_library_upgrade_changes_the_keys_of_what_it_shapes(monkeypatch, library):
    from generator.compute.filters import Recipe

    def unit_keys() -> tuple[str, str]:
        return (keys.filters_key("b", "w", "conv", (0, 1), Recipe(), 0),
                figure_key(make_key(kind="analysis"), kind="overlay"))

    before = unit_keys()
    real = keys.library_versions
    if library == "tensorflow":  # installed as tensorflow or tensorflow-cpu
        library = next(name for name in ("tensorflow", "tensorflow-cpu") if real(name))

    def upgraded(*names: str) -> dict[str, str]:
        return {name: (value + ".post1" if name == library else value) for name, value in real(*names).items()}

    monkeypatch.setattr(keys, "library_versions", upgraded)
    after = unit_keys()
    shaped = {"numpy": (True, True), "pillow": (True, True)}.get(library, (True, False))
    assert (before[0] != after[0], before[1] != after[1]) == shaped
