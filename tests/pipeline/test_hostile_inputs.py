"""Hostile file names and class names reach the site as plain text: no markup, no script, no link out.

Hypothesis feeds the config loader and the image loader random values and bytes: they answer with a clean
AtlasError (or a skipped file), never with an unhandled exception.
"""

import re
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from generator.config import AtlasConfig, load_config
from generator.errors import AtlasError
from generator.photos.folders import load_images

from tests.conftest import gradient_image, make_tiny_classifier

HOSTILE_FILES = [
    "<script>alert(1)</script>.jpg",  # the '/' makes this a folder '<script>alert(1)<' holding 'script>.jpg'
    "<img src=x onerror=alert(4)>.jpg",
    "[x](javascript:y).png",
    "a|b*.jpg",
    "café ✓ 猫.jpg",
    "with spaces & quotes\".jpg",
    "..x.jpg",
]
HOSTILE_CLASSES = ['<img src=x onerror="alert(2)">', "[click](javascript:alert(3))", "| cell | break |"]


@pytest.mark.slow
def test_a_site_from_hostile_names_contains_no_injected_markup_and_no_link_out(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in HOSTILE_FILES:
        (photos / name).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(gradient_image()).save(photos / name, format="JPEG" if name.endswith(".jpg") else "PNG")
    make_tiny_classifier(classes=3).save(tmp_path / "net.keras")
    (tmp_path / "classes.txt").write_text("\n".join(HOSTILE_CLASSES) + "\n")
    (tmp_path / "atlas.yml").write_text(
        "title: Hostile\nbackbones: [{name: net, path: net.keras, classes: classes.txt}]\nimages: [photos]\n"
        "layers: 1\nfilters: 2\nsize: 32\nsteps: 1\ndocs_dir: docs\nsite_dir: site\ncache_dir: cache\n"
    )
    (photos / "broken.jpg").write_bytes(b"not a jpeg")
    result = subprocess.run([sys.executable, "-m", "generator", "build", "--config", "atlas.yml", "--quiet"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    pages = list((tmp_path / "site").rglob("*.html"))
    assert len(pages) >= 3
    for page in pages:
        elements = parse(page.read_text(encoding="utf-8"))
        handlers = [(tag, name) for tag, attributes in elements for name, _ in attributes if name.startswith("on")]
        assert not handlers, (page, handlers)
        urls = [value or "" for _, attributes in elements for name, value in attributes if name in ("href", "src")]
        assert not [url for url in urls if url.strip().lower().startswith("javascript:")], page
        leaving = [url for url in urls if re.match(r"^[a-z][a-z0-9+.-]*:", url, re.I) or url.startswith("//")]
        assert not leaving, (page, leaving)
        scripts = [dict(attributes).get("src") for tag, attributes in elements if tag == "script"]
        assert all(src is None or not src.startswith(("http", "//")) for src in scripts), page
    report = (tmp_path / "site" / "atlas" / "report.html").read_text(encoding="utf-8")
    assert "broken.jpg" in report and "not an image Pillow can read" in report
    layer_page = next(page for page in pages if "layers" in page.parts)
    text = layer_page.read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=alert(4)&gt;.jpg" in text  # shown, as text
    backbone_page = (tmp_path / "site" / "atlas" / "net" / "index.html").read_text(encoding="utf-8")
    tags = [tag for tag, _ in parse(backbone_page)]
    first_table = tags[tags.index("table") : tags.index("table", tags.index("table") + 1)]
    assert first_table.count("td") == 2 * len(HOSTILE_FILES)  # photo and predictions per row: no name split a cell
    assert all(path.parent.name in {"photos"} or "layers" in path.parts or path.parent.name == "net"
               for path in (tmp_path / "docs" / "atlas").rglob("*.jpg"))


def parse(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """Every start tag of a page with its attributes, as a browser's tokenizer sees them."""
    from html.parser import HTMLParser

    elements = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            elements.append((tag, attrs))

        handle_startendtag = handle_starttag

    Collector().feed(html)
    return elements


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.sampled_from(sorted(AtlasConfig.model_fields)) | st.text(max_size=8),
        st.recursive(
            st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=True) | st.text(max_size=12),
            lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
            max_leaves=6,
        ),
        max_size=6,
    )
)
def test_the_config_loader_answers_any_value_with_a_config_or_an_atlas_error(data):
    try:
        load_config(None, data)
    except AtlasError as error:
        assert str(error).startswith("command line: ")


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=4096))
def test_the_config_loader_answers_any_file_with_a_config_or_an_atlas_error(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("cfg") / "atlas.yml"
    path.write_bytes(content)
    try:
        load_config(path)
    except AtlasError as error:
        assert str(path) in str(error)


@settings(max_examples=80, deadline=None)
@given(st.binary(max_size=2048), st.sampled_from([".jpg", ".png", ".webp", ".gif"]))
def test_the_image_loader_skips_any_bytes_it_cannot_use_and_never_raises(tmp_path_factory, content, suffix):
    folder = tmp_path_factory.mktemp("img")
    (folder / f"random{suffix}").write_bytes(content)
    result = load_images([str(folder)])
    assert len(result.images) + len(result.skipped) == 1
    for image in result.images:
        assert image.pixels.dtype == np.uint8 and image.pixels.ndim == 3


def test_truncated_cmyk_animated_huge_and_looping_inputs(tmp_path):
    import io

    photo = Image.fromarray(gradient_image(64, 64))
    buffer = io.BytesIO()
    photo.save(buffer, format="JPEG")
    (tmp_path / "truncated.jpg").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 3])
    photo.convert("CMYK").save(tmp_path / "cmyk.jpg")
    frames = [Image.new("RGB", (8, 8), colour) for colour in ("red", "blue")]
    frames[0].save(tmp_path / "animated.gif", save_all=True, append_images=frames[1:])
    frames[0].save(tmp_path / "animated.webp", save_all=True, append_images=frames[1:])
    huge = Image.new("1", (20000, 20000))  # 50 MB as 1-bit PNG on disk is tiny, 1.2 GB decoded as RGB
    huge.save(tmp_path / "huge.png", optimize=False)
    (tmp_path / "loop").mkdir()
    (tmp_path / "loop" / "back").symlink_to(tmp_path, target_is_directory=True)
    result = load_images([str(tmp_path)])
    loaded = {image.path.name: image for image in result.images}
    skipped = {item.path.name: item.reason for item in result.skipped}
    assert set(loaded) == {"cmyk.jpg", "animated.gif", "animated.webp"}
    assert tuple(loaded["animated.gif"].pixels[0, 0]) == (255, 0, 0)  # the first frame
    assert "decompression-bomb guard" in skipped["huge.png"]
    assert "truncated.jpg" in skipped
