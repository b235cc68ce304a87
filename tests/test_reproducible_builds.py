"""Builds that are reproducible, resumable and shardable: each test compares generated trees byte for byte.

One small atlas (a real MobileNet and a tiny model file, untrained, three photos) is built cleanly once as the
reference; the other builds must reproduce its ``docs/atlas`` tree exactly.
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


def _write_config(root: Path, alpha: float = 0.45) -> Path:
    model, classes = root / "tiny.keras", root / "classes.txt"
    if not model.exists():
        make_tiny_classifier(classes=3, seed=2).save(model)
        classes.write_text("tabby\nshepherd\nkitten\n")
    photos = sorted((PROJECT_ROOT / "data" / "pets-sample").glob("*.jpg"))[:3]
    text = CONFIG.format(model=model, classes=classes, images="\n".join(f"  - {photo}" for photo in photos))
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


def test_a_build_killed_at_any_moment_resumes_to_the_same_bytes(reference, tmp_path):
    _, config, tree = reference
    cache, docs = tmp_path / "cache", tmp_path / "docs"
    process = subprocess.Popen(_command(config, docs, cache), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    while not list((cache / "arrays").glob("*/*.entry")) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert process.poll() is None, "the build ended before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    summary = _summary(_build(config, docs, cache))
    assert summary["reused"] >= 1  # what was finished before the kill
    assert _tree(docs) == tree
    assert not [path for path in docs.rglob("*.tmp")]


def test_an_unchanged_rebuild_computes_draws_and_writes_nothing(reference):
    root, config, _ = reference
    docs = root / "docs"
    before = {path: path.stat().st_mtime_ns for path in docs.rglob("*") if path.is_file()}
    summary = _summary(_build(config, docs, root / "cache"))
    assert summary == {"written": 0, "reused": summary["reused"], "computed": 0, "drawn": 0} and summary["reused"] > 0
    assert {path: path.stat().st_mtime_ns for path in docs.rglob("*") if path.is_file()} == before


def test_a_render_setting_redraws_without_recomputing(reference, tmp_path):
    root, _, tree = reference
    changed = _write_config(root, alpha=0.7)
    summary = _summary(_build(changed, tmp_path / "docs", root / "cache"))
    heatmaps = [name for name in tree if name.endswith(".jpg") and "/layers/" in name]
    assert summary["computed"] == 0 and summary["drawn"] == len(heatmaps)
    changed_files = {name for name, data in _tree(tmp_path / "docs").items() if tree.get(name) != data}
    assert set(heatmaps) <= changed_files


def test_only_redoes_the_matching_units(reference, tmp_path):
    root, config, tree = reference
    cache = tmp_path / "cache"
    _build(config, tmp_path / "docs", root / "cache")  # warm a copy of the docs from the shared cache
    subprocess.run(["cp", "-r", str(root / "cache"), str(cache)], check=True)
    summary = _summary(_build(config, tmp_path / "docs", cache, "--only", "my_tiny_net/conv_b"))
    images = len([name for name in tree if name.startswith("photos/") and name.endswith(".jpg")])
    assert summary["computed"] == 1  # the filters of that one layer
    assert summary["drawn"] == 2 + images * 3  # its mosaic and thumbnail; per image, activations and two heatmaps
    assert summary["written"] == 0 and _tree(tmp_path / "docs") == tree  # the same seed gives the same bytes
    forced = _summary(_build(config, tmp_path / "docs", cache, "--force"))
    assert forced["reused"] == 0 and forced["written"] == 0
