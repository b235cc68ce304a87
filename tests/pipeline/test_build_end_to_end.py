"""A whole atlas: a tiny config builds the expected pages and images and passes ``mkdocs build --strict``."""

import subprocess
import sys

import pytest

from tests.conftest import PROJECT_ROOT, make_tiny_classifier

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_atlas(tmp_path_factory):
    root = tmp_path_factory.mktemp("atlas")
    model_path = root / "tiny.keras"
    make_tiny_classifier(classes=3, seed=2).save(model_path)
    (root / "classes.txt").write_text("tabby\nshepherd\nkitten\n")
    (root / "atlas.yml").write_text(
        f"""
title: Tiny atlas
weights: random
backbones:
  - {{name: mobilenet, alpha: 0.25}}
  - {{name: my_tiny_net, path: tiny.keras, classes: classes.txt, preprocess: tf, recipe: {{precision: bfloat16}}}}
images:
  - {PROJECT_ROOT / 'data/pets-sample/cat_chelsea.jpg'}
  - {PROJECT_ROOT / 'data/pets-sample/dog_german_shepherd.jpg'}
layers: 2
filters: 10
size: 32
steps: 4
top_k: 2
cam: [gradcam, layercam]
docs_dir: docs
site_dir: site
cache_dir: cache
"""
    )
    result = subprocess.run(
        [sys.executable, "-m", "generator", "build", "--config", str(root / "atlas.yml"), "--quiet"],
        capture_output=True, text=True, cwd=root, timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return root


def test_pages_and_images_are_where_the_urls_say(tiny_atlas):
    generated = tiny_atlas / "docs" / "atlas"
    for backbone, layers in (("mobilenet-alpha0_25", ["conv1", "conv-pw-13"]), ("my_tiny_net", ["conv-a", "conv-b"])):
        assert (generated / backbone / "index.md").is_file()
        for layer in layers:
            folder = generated / backbone / "layers" / layer
            assert (folder / "index.md").is_file() and (folder / "filters.webp").is_file()
            for image in ("cat-chelsea", "dog-german-shepherd"):
                assert (folder / f"activations-{image}.png").is_file()
                assert (folder / f"gradcam-{image}.png").is_file() and (folder / f"layercam-{image}.png").is_file()
    assert (generated / "mobilenet-alpha0_25" / "architecture.svg").is_file()
    assert (generated / "photos" / "cat-chelsea.jpg").is_file()
    report = (generated / "report.md").read_text()
    assert "| `seed` | 0 |" in report and "| keras |" in report and "my\\_tiny\\_net" in report


def test_site_is_built_with_every_page(tiny_atlas):
    site = tiny_atlas / "site"
    home = (site / "index.html").read_text()
    assert "Tiny atlas" in home and "MobileNet (alpha 0.25)" in home and "my_tiny_net" in home
    layer_page = site / "atlas" / "my_tiny_net" / "layers" / "conv-b" / "index.html"
    assert layer_page.is_file()
    assert not (site / "atlas" / "_home" / "index.html").exists()
    assert "fonts.googleapis.com" not in home


def test_every_backbone_page_states_its_weights(tiny_atlas):
    mobilenet = (tiny_atlas / "docs" / "atlas" / "mobilenet-alpha0_25" / "index.md").read_text()
    assert "Untrained network" in mobilenet and "random initial weights (seed 0)" in mobilenet.replace("\\", "")
    mine = (tiny_atlas / "docs" / "atlas" / "my_tiny_net" / "index.md").read_text()
    assert "tiny.keras" in mine.replace("\\", "") and "Untrained network" not in mine
    assert any(name in mine for name in ("tabby", "shepherd", "kitten"))


def test_a_rebuild_with_nothing_changed_recomputes_and_rewrites_nothing(tiny_atlas):
    docs = tiny_atlas / "docs"
    before = {path: path.stat().st_mtime_ns for path in docs.rglob("*") if path.is_file()}
    result = subprocess.run(
        [sys.executable, "-m", "generator", "build", "--config", str(tiny_atlas / "atlas.yml"), "--no-site"],
        capture_output=True, text=True, cwd=tiny_atlas, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "0 file(s) written, 0 removed" in result.stderr.replace("\n", " ") and " 0 computed" in result.stderr.replace("\n", " ")
    after = {path: path.stat().st_mtime_ns for path in docs.rglob("*") if path.is_file()}
    assert after == before


def test_navigation_lists_home_backbones_by_title_and_the_report(tiny_atlas):
    import yaml

    nav = yaml.safe_load((tiny_atlas / "cache" / "mkdocs.yml").read_text())["nav"]
    titles = [next(iter(entry)) for entry in nav]
    assert titles == ["Home", "Side by side", "MobileNet (alpha 0.25)", "my_tiny_net", "Build report"]
    side_by_side = [next(iter(entry)) for entry in nav[1]["Side by side"]]
    assert side_by_side == ["Comparison", "Photos"]  # one MobileNet width: no width sweep
    backbone = nav[2]["MobileNet (alpha 0.25)"]
    assert backbone[0] == "atlas/mobilenet-alpha0_25/index.md" and [next(iter(e)) for e in backbone[1:]] == ["conv1", "conv_pw_13"]


def test_photo_and_comparison_pages_show_every_network(tiny_atlas):
    generated = tiny_atlas / "docs" / "atlas"
    compare = (generated / "compare.md").read_text()
    assert "(mobilenet-alpha0_25/index.md)" in compare and "(my_tiny_net/index.md)" in compare and "cat-chelsea.thumb.webp" in compare
    photo = (generated / "images" / "dog-german-shepherd" / "index.md").read_text()
    assert photo.count("atlas-badge--") == 2 and "explaining" in photo
    assert photo.count("\n\n-   **[") == 2  # each network its own card: a blank line before every list item
    assert (generated / "photos" / "dog-german-shepherd.thumb.webp").read_bytes()[:4] == b"RIFF"
    assert (generated / "my_tiny_net" / "layers" / "conv-b" / "filters.thumb.webp").is_file()
    layer = (generated / "my_tiny_net" / "layers" / "conv-b" / "index.md").read_text()
    assert layer.startswith("---\nsearch:\n  exclude: true")


def test_a_backbone_whose_recipe_computes_in_bfloat16_says_so_on_its_layer_pages(tiny_atlas):
    """my_tiny_net (two 3x3 convolutions with ReLUs, VGG's shape) is drawn in bfloat16; MobileNet keeps float32.
    Its first layer is linear in the input: its images are closed forms, computed by no network."""
    generated = tiny_atlas / "docs" / "atlas"
    text = " ".join((generated / "my_tiny_net" / "layers" / "conv-b" / "index.md").read_text().split())
    assert "seed 0, the network computed in bfloat16;" in text
    first = " ".join((generated / "my_tiny_net" / "layers" / "conv-a" / "index.md").read_text().split())
    assert "linear in the input" in first and "computed in" not in first
    assert "computed in" not in (generated / "mobilenet-alpha0_25" / "layers" / "conv1" / "index.md").read_text()


def test_removing_a_backbone_prunes_only_its_generated_files(tiny_atlas, tmp_path):
    config = (tiny_atlas / "atlas.yml").read_text().replace("  - {name: mobilenet, alpha: 0.25}\n", "")
    (tiny_atlas / "smaller.yml").write_text(config)
    result = subprocess.run(
        [sys.executable, "-m", "generator", "build", "--config", str(tiny_atlas / "smaller.yml"), "--quiet"],
        capture_output=True, text=True, cwd=tiny_atlas, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert not (tiny_atlas / "docs" / "atlas" / "mobilenet-alpha0_25").exists()
    assert (tiny_atlas / "docs" / "index.md").is_file() and (tiny_atlas / "docs" / "stylesheets" / "atlas.css").is_file()
    assert not (tiny_atlas / "site" / "atlas" / "mobilenet-alpha0_25").exists()
