"""Builds that are reproducible, resumable and shardable: each test compares generated trees byte for byte.

One small atlas (a real MobileNet and a tiny model file, untrained, five photos: two batches, so the compiled
pass is what shards, kills and rebuilds must reproduce) is built cleanly once as the reference; the other builds must reproduce its ``docs/atlas`` tree exactly.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT, make_tiny_classifier

pytestmark = pytest.mark.slow

CONFIG = """
title: Reproducible atlas
weights: random
backbones:
  - {{name: mobilenet, alpha: 0.25}}
  - {{name: my_tiny_net, path: {model}, classes: {classes}, preprocess: tf}}
images:
{images}
layers: 2
filters: 8
size: 32
steps: 6
top_k: 2
cam: [gradcam, layercam]
build_site: false
"""


def _photos(root: Path) -> Path:
    """The four sample photos and a mirror image of the first: five photos, two batches of four."""
    from PIL import Image

    folder = root / "photos"
    if not folder.exists():
        folder.mkdir()
        samples = sorted((PROJECT_ROOT / "data" / "pets-sample").glob("*.jpg"))
        for photo in samples:
            (folder / photo.name).write_bytes(photo.read_bytes())
        Image.open(samples[0]).transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(folder / "mirrored.jpg", quality=90)
    return folder


def _write_config(root: Path, alpha: float = 0.45) -> Path:
    model, classes = root / "tiny.keras", root / "classes.txt"
    if not model.exists():
        make_tiny_classifier(classes=3, seed=2).save(model)
        classes.write_text("tabby\nshepherd\nkitten\n")
    text = CONFIG.format(model=model, classes=classes, images=f"  - {_photos(root)}")
    path = root / f"atlas-{alpha}.yml"
    path.write_text(text + f"heatmap_alpha: {alpha}\n")
    return path


def _command(config: Path, docs: Path, cache: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "generator", "build", "--config", str(config), "--docs-dir", str(docs),
            "--cache-dir", str(cache), "--quiet", *extra]


def _build(config: Path, docs: Path, cache: Path, *extra: str) -> str:
    """Run a build; returns the log lines it added."""
    log = cache / "keras-atlas.log"
    before = log.read_text() if log.exists() else ""
    result = subprocess.run(_command(config, docs, cache, *extra), capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    return log.read_text()[len(before):]


def _tree(docs: Path) -> dict[str, bytes]:
    generated = docs / "atlas"
    return {path.relative_to(generated).as_posix(): path.read_bytes() for path in sorted(generated.rglob("*")) if path.is_file()}


def _summary(log: str) -> dict[str, int]:
    line = [text for text in log.splitlines() if " Built " in text][-1]
    numbers = {name: int(value) for value, name in re.findall(r"(\d+) (file\(s\) written|cached result|computed|figure)", line)}
    return {"written": numbers["file(s) written"], "reused": numbers["cached result"], "computed": numbers["computed"],
            "drawn": numbers["figure"]}


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[Path, Path, dict[str, bytes]]:
    root = tmp_path_factory.mktemp("reference")
    config = _write_config(root)
    _build(config, root / "docs", root / "cache")
    tree = _tree(root / "docs")
    assert len([name for name in tree if name.endswith(".png")]) >= 10
    return root, config, tree


def test_two_clean_builds_give_the_same_bytes(reference, tmp_path):
    _, config, tree = reference
    _build(config, tmp_path / "docs", tmp_path / "cache")
    again = _tree(tmp_path / "docs")
    assert sorted(again) == sorted(tree)
    assert [name for name in tree if again[name] != tree[name]] == []


def test_three_shards_and_a_merge_give_the_same_bytes_as_one_build(reference, tmp_path):
    _, config, tree = reference
    logs = [_build(config, tmp_path / "unused-docs", tmp_path / f"shard-{index}", "--shard", f"{index}/3") for index in (1, 2, 3)]
    shares = [int(re.search(r"shard \d/3: (\d+) of (\d+) work units", log).group(1)) for log in logs]
    total = int(re.search(r"of (\d+) work units", logs[0]).group(1))
    assert sum(shares) == total and all(share > 0 for share in shares)
    assert not (tmp_path / "unused-docs").exists()  # a shard draws nothing
    merged = subprocess.run(
        [sys.executable, "-m", "generator", "merge", *(str(tmp_path / f"shard-{i}") for i in (1, 2, 3)),
         "--into", str(tmp_path / "merged")], capture_output=True, text=True, timeout=300,
    )
    assert merged.returncode == 0, merged.stderr
    summary = _summary(_build(config, tmp_path / "docs", tmp_path / "merged"))
    assert summary["computed"] == 0
    assert _tree(tmp_path / "docs") == tree


def _entries(cache: Path, tier: str) -> int:
    return len(list((cache / tier).glob("*/*.entry")))


KILL_POINTS = {
    "at the first computed array": lambda cache, docs, total: _entries(cache, "arrays") >= 1,
    "half-way through the arrays": lambda cache, docs, total: _entries(cache, "arrays") >= total["arrays"] // 2,
    "at the first drawn figure": lambda cache, docs, total: _entries(cache, "figures") >= 1,
    "half-way through the figures": lambda cache, docs, total: _entries(cache, "figures") >= total["figures"] // 2,
    "while pages are written": lambda cache, docs, total: any((docs / "atlas").glob("*/index.md")),
}


@pytest.mark.parametrize("moment", list(KILL_POINTS))
def test_a_build_killed_at_any_moment_resumes_to_the_same_bytes(reference, tmp_path, moment):
    root, config, tree = reference
    total = {tier: _entries(root / "cache", tier) for tier in ("arrays", "figures")}
    cache, docs = tmp_path / "cache", tmp_path / "docs"
    process = subprocess.Popen(_command(config, docs, cache), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    while not KILL_POINTS[moment](cache, docs, total) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert process.poll() is None, f"the build ended before it could be killed {moment}"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    finished = _entries(cache, "arrays")
    summary = _summary(_build(config, docs, cache))
    assert summary["computed"] == total["arrays"] - finished  # what was finished before the kill is reused
    assert _tree(docs) == tree
    assert not [path for path in docs.rglob("*.tmp")]
    # A temporary file the kill left in the cache is never read as an entry; pruning removes it.
    pruned = subprocess.run([sys.executable, "-m", "generator", "cache", "--cache-dir", str(cache), "--prune"],
                            capture_output=True, text=True, timeout=120)
    assert pruned.returncode == 0, pruned.stderr
    assert not [path for path in cache.rglob("*.tmp")]


def test_a_changed_photo_recomputes_and_redraws_only_that_photo(reference, tmp_path):
    from PIL import Image

    root, _, tree = reference
    photos = tmp_path / "photos"
    subprocess.run(["cp", "-r", str(_photos(root)), str(photos)], check=True)
    originals = sorted(photos.glob("*.jpg"))
    config = tmp_path / "atlas.yml"
    config.write_text(_write_config(root).read_text().replace(str(_photos(root)), str(photos)))
    cache = tmp_path / "cache"
    subprocess.run(["cp", "-r", str(root / "cache"), str(cache)], check=True)
    assert _summary(_build(config, tmp_path / "docs", cache))["computed"] == 0  # the same bytes: all from the cache
    before = _tree(tmp_path / "docs")
    changed_photo = originals[1]
    Image.open(changed_photo).transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(photos / changed_photo.name, quality=90)
    summary = _summary(_build(config, tmp_path / "docs", cache))
    # in each of the two backbones: that photo's analysis, its heatmap scores, and the natural examples of the group
    # of photos it now falls in (its new hash starts otherwise, and its old group held it alone); no filter image
    assert summary["computed"] == 6
    after = _tree(tmp_path / "docs")
    photo_id = changed_photo.stem.replace("_", "-")
    changed = {name for name in after if before.get(name) != after[name]}
    figures = {name for name in changed if not name.endswith(".md")}
    # each chart shows every photo's scores: it is redrawn, and its bytes change unless the scores look the same
    # (an untrained network's are all 0.00); a unit's strip of crops changes where the photo is among its examples
    charts = {name for name in before if name.endswith("heatmap-scores.svg")}
    strips = {name for name in before if re.search(r"/unit-\d+\.webp$", name)}
    assert len(charts) == 2 and strips
    assert figures - charts - strips == {name for name in before if photo_id in name and not name.endswith(".md")}, figures


def test_an_unchanged_rebuild_computes_draws_and_writes_nothing(reference):
    root, config, _ = reference
    docs = root / "docs"
    before = {path: path.stat().st_mtime_ns for path in docs.rglob("*") if path.is_file()}
    summary = _summary(_build(config, docs, root / "cache"))
    assert summary == {"written": 0, "reused": summary["reused"], "computed": 0, "drawn": 0} and summary["reused"] > 0
    assert {path: path.stat().st_mtime_ns for path in docs.rglob("*") if path.is_file()} == before


def test_the_heatmap_opacity_rewrites_pages_only(reference, tmp_path):
    """Pages lay each heatmap over its photo at this opacity: no figure is drawn again, nothing recomputed."""
    root, _, tree = reference
    changed = _write_config(root, alpha=0.7)
    summary = _summary(_build(changed, tmp_path / "docs", root / "cache"))
    assert summary["computed"] == 0 and summary["drawn"] == 0
    changed_files = {name for name, data in _tree(tmp_path / "docs").items() if tree.get(name) != data}
    assert changed_files and all(name.endswith(".md") for name in changed_files)
    assert all("opacity: 0.7" in (tmp_path / "docs" / "atlas" / name).read_text() for name in changed_files if "/layers/" in name)


def test_only_redoes_the_matching_units(reference, tmp_path):
    root, config, tree = reference
    cache = tmp_path / "cache"
    _build(config, tmp_path / "docs", root / "cache")  # warm a copy of the docs from the shared cache
    subprocess.run(["cp", "-r", str(root / "cache"), str(cache)], check=True)
    summary = _summary(_build(config, tmp_path / "docs", cache, "--only", "my_tiny_net/conv_b"))
    images = len([name for name in tree if name.startswith("photos/") and name.endswith(".jpg")])
    strips = len([name for name in tree if re.match(r"my_tiny_net/layers/conv-b/unit-\d+\.webp$", name)])
    assert summary["computed"] == 1  # the filters of that one layer
    # its mosaic and thumbnail; per image, its grid, the grid's thumbnail (32 px maps) and two heatmap maps; the strip
    # of each of its units that fires
    assert summary["drawn"] == 2 + images * 4 + strips
    assert summary["written"] == 0 and _tree(tmp_path / "docs") == tree  # the same seed gives the same bytes
    forced = _summary(_build(config, tmp_path / "docs", cache, "--force"))
    assert forced["reused"] == 0 and forced["written"] == 0
