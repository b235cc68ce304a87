"""What a build tells its user: nothing under ``--quiet``, everything in the log, skipped photos on the home page,
and a failed build that leaves the previous site and cache as they were."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT, make_tiny_classifier

pytestmark = pytest.mark.slow

CONFIG = """
title: Reporting atlas
weights: random
backbones:
  - {name: my_tiny_net, path: tiny.keras, classes: classes.txt, preprocess: tf}
images: [photos]
layers: 1
filters: 4
size: 32
steps: 2
docs_dir: docs
site_dir: site
cache_dir: cache
"""


def build(root: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "generator", "build", "--config", "atlas.yml", *extra],
                          cwd=root, capture_output=True, text=True, timeout=600)


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {path.relative_to(folder).as_posix(): (path.read_bytes(), path.stat().st_mtime_ns)
            for path in sorted(folder.rglob("*")) if path.is_file()}


@pytest.fixture(scope="module")
def atlas(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """A one-layer atlas over one good photo and one that is not an image, built with ``--quiet``."""
    root = tmp_path_factory.mktemp("reporting")
    make_tiny_classifier(classes=3, seed=2).save(root / "tiny.keras")
    (root / "classes.txt").write_text("tabby\nshepherd\nkitten\n")
    (root / "photos").mkdir()
    (root / "photos" / "cat_chelsea.jpg").write_bytes((PROJECT_ROOT / "data" / "pets-sample" / "cat_chelsea.jpg").read_bytes())
    (root / "photos" / "broken.jpg").write_bytes(b"not a jpeg")
    (root / "atlas.yml").write_text(CONFIG)
    return root, build(root, "--quiet")


def test_quiet_prints_nothing_when_nothing_goes_wrong(atlas):
    _, result = atlas
    assert result.returncode == 0, result.stderr[-2000:]
    assert (result.stdout, result.stderr) == ("", "")


def test_the_log_gets_the_command_the_warnings_the_stage_times_and_the_summary_even_when_quiet(atlas):
    root, _ = atlas
    log = (root / "cache" / "keras-atlas.log").read_text()
    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d "
    assert re.search(stamp + r"build atlas\.yml: build --config atlas\.yml --quiet\n", log)
    assert re.search(stamp + r"warning: skipped \S*photos/broken\.jpg: not an image Pillow can read\n", log)
    assert re.search(stamp + r"my_tiny_net: 1 layers x 1 images, model-file weights, [\d.]+ s\n", log)
    assert re.search(stamp + r"stages: images [\d.]+ s, my_tiny_net [\d.]+ s, pages [\d.]+ s, site [\d.]+ s\n", log)
    assert re.search(stamp + r"Built 1 backbone\(s\) x 1 photo\(s\) in [\d.]+ s: .*4 computed", log)  # filters, analysis, heatmap scores, examples


def test_an_unusable_photo_is_listed_on_the_home_page_with_its_reason(atlas):
    root, _ = atlas
    home = (root / "site" / "index.html").read_text(encoding="utf-8")
    assert re.search(r"photos/broken\.jpg</code>: not an image Pillow can read|photos/broken\.jpg: not an image Pillow can read", home)


def test_without_quiet_the_summary_is_printed(atlas):
    root, _ = atlas
    result = build(root, "--no-site")
    assert result.returncode == 0, result.stderr[-2000:]
    printed = " ".join((result.stdout + result.stderr).split())
    assert "skipped" in printed and "broken.jpg" in printed and "Built 1 backbone(s) x 1 photo(s)" in printed


def test_a_failed_build_keeps_the_previous_site_and_cache(atlas):
    """MkDocs refuses a hand-written page with a broken link (``--strict``): the build fails after computing,
    and neither the site a reader may be browsing nor anything in the cache is lost or rewritten."""
    root, _ = atlas
    site, cache = snapshot(root / "site"), snapshot(root / "cache" / "arrays") | snapshot(root / "cache" / "figures")
    assert site and cache
    (root / "photos" / "cat_copy.jpg").write_bytes((root / "photos" / "cat_chelsea.jpg").read_bytes())  # new work first
    (root / "docs" / "notes.md").write_text("# Notes\n\n[a page that is not there](missing.md)\n")
    try:
        result = build(root, "--quiet")
    finally:
        (root / "docs" / "notes.md").unlink()
        (root / "photos" / "cat_copy.jpg").unlink()
    assert result.returncode != 0
    assert "mkdocs build --strict failed; the previous site was kept" in result.stderr
    assert snapshot(root / "site") == site
    after = snapshot(root / "cache" / "arrays") | snapshot(root / "cache" / "figures")
    assert {name: value for name, value in after.items() if name in cache} == cache
    assert not (root / "site.building").exists()
