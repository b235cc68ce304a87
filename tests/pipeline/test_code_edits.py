"""Editing the code redoes exactly what that code shapes: a copy of the project is built, one module is edited,
and the rebuild says how many units it recomputed and figures it redrew."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT, make_tiny_classifier

pytestmark = pytest.mark.slow

CONFIG = """
weights: random
backbones:
  - {{name: tiny, path: {model}, classes: {classes}, preprocess: tf}}
images: [{photo}]
layers: 2
filters: 4
size: 16
steps: 2
cam: [gradcam]
build_site: false
"""
UNITS = {"filters": 2, "analysis": 1, "scores": 1, "examples": 1}
FIGURES = {"photo": 2, "filters": 2 * 2, "per image": 2 * 3, "architecture": 2, "scores chart": 1, "crops": 2 * 4}
"""Per image, each of the two layers (32 px maps) has a heatmap map, an activation grid and the grid's thumbnail;
the backbone has the chart of its heatmaps' scores; each of the layers' 4 units has its strip of crops (all fire)."""
ALL_FIGURES = sum(FIGURES.values())


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A copy of the project that the tests may edit, built once."""
    root = tmp_path_factory.mktemp("project")
    for folder in ("generator", "templates", "data"):
        shutil.copytree(PROJECT_ROOT / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(PROJECT_ROOT / "site_src", root / "site_src", ignore=shutil.ignore_patterns("atlas"))
    shutil.copy(PROJECT_ROOT / "mkdocs.yml", root / "mkdocs.yml")
    make_tiny_classifier(classes=3, seed=2).save(root / "tiny.keras")
    (root / "classes.txt").write_text("tabby\nshepherd\nkitten\n")
    photo = sorted((PROJECT_ROOT / "data" / "pets-sample").glob("*.jpg"))[0]
    (root / "atlas.yml").write_text(CONFIG.format(model=root / "tiny.keras", classes=root / "classes.txt", photo=photo))
    assert _build(root) == {"computed": sum(UNITS.values()), "drawn": ALL_FIGURES}
    return root


def _build(root: Path) -> dict[str, int]:
    """Build the copy with the copy's own code; returns what it computed and drew."""
    environment = {**os.environ, "PYTHONPATH": str(root)}
    result = subprocess.run(
        [sys.executable, "-m", "generator", "build", "--config", str(root / "atlas.yml"), "--docs-dir", str(root / "docs"),
         "--cache-dir", str(root / "cache"), "--quiet"],
        cwd=root, env=environment, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    line = [text for text in (root / "cache" / "keras-atlas.log").read_text().splitlines() if " Built " in text][-1]
    found = {name: int(value) for value, name in re.findall(r"(\d+) (computed|figure)", line)}
    return {"computed": found["computed"], "drawn": found["figure"]}


def _edit(root: Path, relative: str) -> None:
    """A change of what the file does: a template's text, or a module's code (a statement, not a comment: what a
    code hash covers is the syntax tree without docstrings, see ``cache.code``)."""
    path = root / relative
    marker = "{# edited #}\n" if path.suffix == ".j2" else "EDITED = True\n"
    path.write_text(path.read_text() + marker)


def _replace(root: Path, relative: str, old: str, new: str) -> None:
    path = root / relative
    text = path.read_text()
    assert text.count(old) == 1, (relative, old)
    path.write_text(text.replace(old, new))


@pytest.mark.parametrize(("module", "computed", "drawn"), [
    ("generator/cli.py", 0, 0),
    ("templates/layer.md.j2", 0, 0),
    ("generator/pages/write.py", 0, 0),
    ("generator/compute/filters.py", UNITS["filters"], FIGURES["filters"]),
    # the analysis makes the heatmaps and the scores unit explains the re-drawn network with the same code
    ("generator/compute/heatmaps.py", UNITS["analysis"] + UNITS["scores"], FIGURES["per image"] + FIGURES["scores chart"]),
    ("generator/compute/faithfulness.py", UNITS["scores"], FIGURES["scores chart"]),
    ("generator/compute/examples.py", UNITS["examples"], FIGURES["crops"]),
    # every unit that takes photos resizes them with this code (pipeline/photo_batch.py)
    ("generator/photos/image.py", UNITS["analysis"] + UNITS["scores"] + UNITS["examples"], ALL_FIGURES),
    # each unit kind's module is its keys' code: an edit recomputes that kind (and what reads it) alone
    ("generator/units/filters.py", UNITS["filters"], FIGURES["filters"]),
    ("generator/units/analysis.py", UNITS["analysis"] + UNITS["scores"], FIGURES["per image"] + FIGURES["scores chart"]),
    ("generator/units/scores.py", UNITS["scores"], FIGURES["scores chart"]),
    ("generator/units/examples.py", UNITS["examples"], FIGURES["crops"]),
    ("generator/render/overlay.py", 0, ALL_FIGURES),
    ("generator/render/faithfulness_chart.py", 0, ALL_FIGURES),
])
def test_an_edit_redoes_what_the_edited_code_shapes_and_nothing_else(project, module, computed, drawn):
    _edit(project, module)
    assert _build(project) == {"computed": computed, "drawn": drawn}
    assert _build(project) == {"computed": 0, "drawn": 0}


def test_edits_that_shape_no_value_redo_nothing(project):
    """A docstring and a default no unit reads in the settings' declarations, a new registry row, the pages' wording
    of the best-heatmap rule, the Oxford-IIIT Pet list's parsing, a docstring of the filters' code, and code edits
    to the plan's types and paths, the table of kinds and the compute stage."""
    _replace(project, "generator/config.py", '"""The atlas configuration:', '"""The configuration of an atlas:')
    _replace(project, "generator/settings.py", "        float, 6.0,", "        float, 7.0,")  # runner_gmacs
    _replace(project, "generator/registry.py", '        _app("convnext_tiny", "ConvNeXtTiny", "convnext", 224, "convnext"),',
             '        _app("convnext_tiny", "ConvNeXtTiny", "convnext", 224, "convnext"),\n'
             '        _app("convnext_pico", "ConvNeXtPico", "convnext", 224, "convnext"),')
    _replace(project, "generator/pages/write.py", "among the maps that pass the sanity check", "among the sane maps")
    _replace(project, "generator/photos/folders.py", 'species_names = {"1": "cat", "2": "dog"}',
             'species_names = {"1": "cat", "2": "dog", "3": "rabbit"}')
    _replace(project, "generator/compute/filters.py", '"""Every parameter of a filter visualisation', '"""All parameters of a filter visualisation')
    # code that decides which units there are and what their keys hold, never a value: the plan's types and paths,
    # the table of kinds and the compute stage's choice of units
    for module in ("generator/plan/units.py", "generator/plan/names.py", "generator/units/table.py",
                   "generator/pipeline/compute_units.py"):
        _edit(project, module)
    assert _build(project) == {"computed": 0, "drawn": 0}


def test_a_rebuild_with_nothing_to_do_imports_no_tensorflow(project):
    """Keys come from the stored network facts, the photos' digests and the code: no network is built."""
    code = ("import sys\nfrom generator.cli import main\n"
            f"sys.argv = ['keras-atlas', 'build', '--config', {str(project / 'atlas.yml')!r}, '--docs-dir', "
            f"{str(project / 'docs')!r}, '--cache-dir', {str(project / 'cache')!r}, '--quiet']\n"
            "main()\nprint(sorted(name for name in sys.modules if name.split('.')[0] in ('tensorflow', 'keras')))\n")
    _build(project)
    result = subprocess.run([sys.executable, "-c", code], cwd=project, env={**os.environ, "PYTHONPATH": str(project)},
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_replacing_the_model_file_replans_and_redoes_everything(project):
    """New weights in the same architecture: every unit and figure that shows weights is redone, not the plot."""
    import keras

    model = keras.models.load_model(project / "tiny.keras")
    model.set_weights([weights * 1.5 for weights in model.get_weights()])
    model.save(project / "tiny.keras")
    assert _build(project) == {"computed": sum(UNITS.values()),
                               "drawn": FIGURES["filters"] + FIGURES["per image"] + FIGURES["scores chart"] + FIGURES["crops"]}
    assert _build(project) == {"computed": 0, "drawn": 0}
