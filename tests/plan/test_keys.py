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


KIND_MODULES = {"filters": "generator.units.filters", "analysis": "generator.units.analysis",
                "scores": "generator.units.scores", "examples": "generator.units.examples"}


def test_every_kind_is_in_the_table_and_its_key_follows_the_module_that_makes_its_arrays(monkeypatch):
    """If a kind's compute moved to another module, its key would stop following the code that makes it: each
    kind's ``make`` is defined in the module whose closure its keys hash."""
    from generator.pipeline.draw_figures import draw_backbone
    from generator.units.table import KINDS

    assert {kind.name: type(kind).make.__module__ for kind in KINDS} == KIND_MODULES
    assert draw_backbone.__module__ == keys.FIGURES_CODE
    hashed = []
    monkeypatch.setattr(keys, "code_hash", lambda root: hashed.append(root) or root)
    from generator.compute.filters import Recipe
    from generator.units import analysis, examples, filters, scores

    filters.filters_key("b", "w", "conv", (0,), Recipe(), 0)
    analysis.analysis_key("b", "w", "i", analysis.AnalysisSettings(("a",), None, ("gradcam",), "eager"), True)
    scores.scores_key("a", scores.ScoreSettings(4, 0, (8,), ("Grad-CAM",)))
    examples.examples_key("b", "w", ["i"], examples.ExampleSettings(("a",), 8, 1, 4, (3,), ((8, 8),), 5, 4, False))
    assert hashed == [KIND_MODULES[name] for name in ("filters", "analysis", "scores", "examples")]


def _relative(root: str) -> set[str]:
    from generator.cache.code import PACKAGE_DIR

    return {path.relative_to(PACKAGE_DIR).as_posix() for path in import_closure(root)}


def test_each_unit_kind_follows_its_own_code_and_no_page_code():
    filters, analysis, scores, examples, figures = (
        _relative(root) for root in (*KIND_MODULES.values(), keys.FIGURES_CODE))
    assert {"compute/filters.py", "compute/fourier.py", "backbones/__init__.py", "units/filters.py"} <= filters
    assert {"compute/heatmaps.py", "compute/cams/gradcam.py", "photos/image.py", "units/analysis.py"} <= analysis
    assert {"render/overlay.py", "render/encode.py", "photos/image.py", "pipeline/draw_figures.py"} <= figures
    assert "compute/heatmaps.py" not in filters and "compute/filters.py" not in analysis
    kinds = [filters, analysis, scores, examples]
    for closure, module in zip(kinds, KIND_MODULES.values(), strict=True):  # no kind holds another kind
        own = module.removeprefix("generator.").replace(".", "/") + ".py"
        assert {path for path in closure if path.startswith("units/")} == {"units/__init__.py", "units/base.py", own}
    # the plan's types, keys, paths and selection shape no array: what they decide is in the keys as values
    assert not {path for closure in kinds for path in closure if path.startswith(("render/", "plan/"))}
    for closure in (*kinds, figures):
        assert not {"cli.py", "output/site.py", "pages/write.py", "pipeline/run.py", "pipeline/compute_units.py",
                    "units/table.py"} & closure


@pytest.mark.parametrize("library", ["tensorflow", "numpy", "pillow"])
def test_a_library_upgrade_changes_the_keys_of_what_it_shapes(monkeypatch, library):
    from generator.compute.filters import Recipe

    def unit_keys() -> tuple[str, str]:
        from generator.units.filters import filters_key

        return (filters_key("b", "w", "conv", (0, 1), Recipe(), 0),
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


def _changed(value):
    """Another value of the same type: every settings field must reach its key."""
    import dataclasses

    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if value is None:
        return 1
    if isinstance(value, tuple):
        return value[:-1] + (_changed(value[-1]),) if value else (1,)
    if dataclasses.is_dataclass(value):
        first = dataclasses.fields(value)[0]
        return dataclasses.replace(value, **{first.name: _changed(getattr(value, first.name))})
    raise TypeError(value)


def _every_field_changes(make_key, settings) -> list[str]:
    """The fields of ``settings`` whose change leaves ``make_key(settings)`` as it was."""
    import dataclasses

    base = make_key(settings)
    return [field.name for field in dataclasses.fields(settings)
            if make_key(dataclasses.replace(settings, **{field.name: _changed(getattr(settings, field.name))})) == base]


def test_every_setting_of_every_unit_kind_reaches_its_key():
    from generator.compute.filters import Recipe
    from generator.units.analysis import AnalysisSettings, analysis_key
    from generator.units.examples import ExampleSettings, examples_key
    from generator.units.filters import filters_key
    from generator.units.scores import ScoreSettings, scores_key

    analysis = AnalysisSettings(layers=("a", "b"), class_index=None, methods=("gradcam",), mode="eager")
    examples = ExampleSettings(layers=("a", "b"), k=8, per_image=1, channels=4, fields=(3, 7), map_shapes=((8, 8), (4, 4)),
                               patch=5, batch=4, compiled=False)
    scores = ScoreSettings(steps=4, seed=0, layer_sides=(8, 4), method_titles=("Grad-CAM",))
    assert _every_field_changes(lambda settings: filters_key("b", "w", "a", (0, 1), settings, 0), Recipe()) == []
    assert _every_field_changes(lambda settings: analysis_key("b", "w", "i", settings, True), analysis) == []
    assert _every_field_changes(lambda settings: examples_key("b", "w", ["i"], settings), examples) == []
    # the scores' titles are shown, not computed with: every other field shapes the curves
    assert _every_field_changes(lambda settings: scores_key("analysis", settings), scores) == ["method_titles"]


def test_every_figure_key_changes_with_each_of_its_inputs_and_no_two_kinds_share_one():
    """Each figure kind's key from the same inputs, then with each input changed alone: all distinct."""
    made = {
        "photo": [keys.photo_key("a"), keys.photo_key("b")],
        "thumbnail": [keys.thumbnail_key("a"), keys.thumbnail_key("b"), keys.thumbnail_key("a", side=99)],
        "confusion": [keys.confusion_key(["x"], ["beagle"], "t"), keys.confusion_key(["y"], ["beagle"], "t"),
                      keys.confusion_key(["x"], ["pug"], "t"), keys.confusion_key(["x"], ["beagle"], "u")],
        "mosaic": [keys.mosaic_key("a"), keys.mosaic_key("b")],
        "activations": [keys.activations_key("a", "l", 8), keys.activations_key("b", "l", 8),
                        keys.activations_key("a", "m", 8), keys.activations_key("a", "l", 9)],
        "heatmap": [keys.heatmap_key("a", "l", "gradcam"), keys.heatmap_key("b", "l", "gradcam"),
                    keys.heatmap_key("a", "m", "gradcam"), keys.heatmap_key("a", "l", "layercam")],
    }
    every = [key for kind in made.values() for key in kind]
    assert len(set(every)) == len(every)
    assert keys.photo_key("a") == keys.photo_key("a") and keys.confusion_key(["x"], ["beagle"], "t") == made["confusion"][0]


def test_no_closure_holds_the_settings_declarations_or_the_registry():
    """Their part in a value reaches its key as data, so a docstring, an unread default or a new row redoes nothing."""
    from generator.plan.network import NETWORK_CODE

    for root in (*KIND_MODULES.values(), keys.FIGURES_CODE, NETWORK_CODE):
        closure = _relative(root)
        assert "backbones/__init__.py" in closure or root == keys.FIGURES_CODE
        assert not {"config.py", "settings.py", "registry.py"} & closure, root


def test_the_network_identity_follows_what_builds_the_network_and_nothing_shown():
    """A model file's input scaling, an application's options and its registry row reach every unit key; the title,
    the weights' name and another backbone's row do not (the weights reach it as the hash of their values)."""
    from dataclasses import asdict, replace

    from generator.config import BackboneSpec
    from generator.plan.backbone import network_identity_of
    from generator.registry import APPLICATIONS

    class Facts:  # only what the identity reads
        class provenance:
            sha256 = "weights"

    def identity(spec: BackboneSpec) -> str:
        return network_identity_of(spec, Facts)

    own = BackboneSpec(name="pets_net", path="pets.keras", preprocess="tf", title="Pets")
    assert identity(own) == identity(own.model_copy(update={"title": "Other", "classes": "c.txt", "path": "moved.keras"}))
    assert identity(own) != identity(own.model_copy(update={"preprocess": "torch"}))
    mobilenet = BackboneSpec(name="mobilenet", alpha=0.25)
    assert identity(mobilenet) == identity(mobilenet.model_copy(update={"title": "M", "weights": "imagenet"}))
    assert identity(mobilenet) != identity(mobilenet.model_copy(update={"input_size": 160}))
    row = APPLICATIONS["mobilenet"]
    assert keys.network_identity("weights", mobilenet.model_dump(mode="json"), asdict(row)) == identity(mobilenet)
    assert keys.network_identity("weights", mobilenet.model_dump(mode="json"),
                                 asdict(replace(row, min_size=64))) != identity(mobilenet)
