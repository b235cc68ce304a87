"""Output folders: nothing outside the atlas' own folders is ever replaced or deleted."""

from pathlib import Path

import pytest

from generator.config import load_config
from generator.errors import AtlasError
from generator.paths import SAMPLE_PETS_DIR
from generator.output.safety import GENERATED_MARKER, check_output_folders


def config(tmp_path, **overrides):
    settings = {
        "backbones": ["mobilenet"],
        "images": [str(SAMPLE_PETS_DIR)],
        "docs_dir": str(tmp_path / "docs"),
        "site_dir": str(tmp_path / "site"),
        "cache_dir": str(tmp_path / "cache"),
    }
    settings.update(overrides)
    return load_config(None, settings)


def test_ordinary_folders_pass(tmp_path):
    check_output_folders(config(tmp_path))


@pytest.mark.parametrize(
    "key,value,message",
    [
        ("site_dir", "/", "site_dir: / contains"),
        ("site_dir", str(Path.home()), "contains your home folder"),
        ("cache_dir", str(SAMPLE_PETS_DIR.parent), "cache_dir: .* contains images"),
        ("docs_dir", str(SAMPLE_PETS_DIR), "docs_dir: .* is images"),
    ],
)
def test_an_output_folder_holding_inputs_or_the_home_folder_is_refused(tmp_path, key, value, message):
    with pytest.raises(AtlasError, match=message):
        check_output_folders(config(tmp_path, **{key: value}))


def test_a_site_folder_that_is_not_a_built_site_is_not_replaced(tmp_path):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "thesis.tex").write_text("years of work")
    with pytest.raises(AtlasError, match="site_dir: .* holds files that are not a built site"):
        check_output_folders(config(tmp_path))
    (tmp_path / "site" / "thesis.tex").unlink()
    (tmp_path / "site" / "404.html").write_text("<html></html>")
    check_output_folders(config(tmp_path))


def test_a_generated_folder_not_made_by_keras_atlas_is_not_pruned(tmp_path):
    foreign = tmp_path / "docs" / "atlas"
    foreign.mkdir(parents=True)
    (foreign / "notes.md").write_text("mine")
    with pytest.raises(AtlasError, match="docs_dir: .*atlas exists and was not made by Keras Atlas"):
        check_output_folders(config(tmp_path))
    (foreign / GENERATED_MARKER).write_text("")
    check_output_folders(config(tmp_path))
