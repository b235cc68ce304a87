"""The preflight: a config that does not fit a network fails before any weights are loaded, and a model file it
had to read is not read again by the build."""

import pytest

from generator.config import load_config
from generator.errors import ConfigError
from generator.pipeline.run import build
from tests.conftest import make_tiny_classifier


def _config(tmp_path, sample_photos, **settings):
    make_tiny_classifier(classes=3, seed=2).save(tmp_path / "tiny.keras")
    (tmp_path / "classes.txt").write_text("tabby\nshepherd\nkitten\n")
    return load_config(None, {
        "backbones": [{"name": "tiny", "path": str(tmp_path / "tiny.keras"), "classes": str(tmp_path / "classes.txt"),
                       "preprocess": "tf"}],
        "images": [str(sample_photos[0])], "layers": 1, "filters": 2, "size": 16, "steps": 2, "faithfulness_steps": 0,
        "examples_per_unit": 0, "build_site": False, "docs_dir": str(tmp_path / "docs"),
        "cache_dir": str(tmp_path / "cache"), **settings,
    })


def test_a_model_file_is_read_once_by_the_preflight_and_the_build_together(tmp_path, sample_photos, monkeypatch):
    from generator.backbones import model_file

    read, real = [], model_file.load_model_file
    monkeypatch.setattr(model_file, "load_model_file", lambda spec, **options: read.append(spec.path) or real(spec, **options))
    config = _config(tmp_path, sample_photos)
    atlas, stats = build(config)
    assert len(read) == 1 and stats.computed > 0 and atlas.backbones[0].layers[0].mosaic
    _, again = build(config)  # facts stored, every unit cached: no network at all
    assert len(read) == 1 and again.computed == 0


def test_a_top_k_beyond_the_model_files_classes_fails_before_any_work(tmp_path, sample_photos):
    with pytest.raises(ConfigError, match=r"top_k: 4 is more than the 3 classes of backbone tiny"):
        build(_config(tmp_path, sample_photos, top_k=4))
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").rglob("*.npz"))
