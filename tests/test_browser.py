"""The built site in a real browser: Debian's Chromium, driven by Playwright, over http://127.0.0.1.

Every page kind loads with every image decoded and no console error; a figure opens in the lightbox; the search
finds a backbone by name. Screenshots go to ``test-output/screenshots/`` (git-ignored) for a person to look at.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
import sys
import threading

import pytest

from tests.conftest import PROJECT_ROOT, make_tiny_classifier

pytestmark = pytest.mark.slow

SCREENSHOTS = PROJECT_ROOT / "test-output" / "screenshots"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # no line per request
        pass


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        if path := shutil.which(name):
            return path
    pytest.fail("Chromium is missing: run scripts/install-system-packages.sh --for-tests")


@pytest.fixture(scope="module")
def site_folder(tmp_path_factory):
    """The built site: two MobileNet widths and a model file over two photos, two CAM methods."""
    root = tmp_path_factory.mktemp("browser")
    make_tiny_classifier(classes=3, seed=2).save(root / "tiny.keras")
    (root / "classes.txt").write_text("tabby\nshepherd\nkitten\n")
    photos = sorted((PROJECT_ROOT / "data" / "pets-sample").glob("*.jpg"))[:2]
    (root / "atlas.yml").write_text(
        "title: Browser atlas\nweights: random\nbackbones:\n"
        "  - {name: mobilenet, alpha: 0.25}\n  - {name: mobilenet, alpha: 0.5}\n"
        "  - {name: my_tiny_net, path: tiny.keras, classes: classes.txt, preprocess: tf}\n"
        "images:\n" + "".join(f"  - {photo}\n" for photo in photos)
        + "layers: 2\nfilters: 8\nsize: 32\nsteps: 4\ntop_k: 2\ncam: [gradcam, layercam]\n"
        "docs_dir: docs\nsite_dir: site\ncache_dir: cache\n"
    )
    result = subprocess.run([sys.executable, "-m", "generator", "build", "--config", str(root / "atlas.yml"), "--quiet"],
                            capture_output=True, text=True, cwd=root, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    return root / "site"


@pytest.fixture(scope="module")
def site(site_folder):
    """The site served over http://127.0.0.1 (an ephemeral port), as a web host serves it."""
    handler = functools.partial(QuietHandler, directory=str(site_folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=_chromium(), args=["--no-sandbox", "--disable-gpu"])
        yield chromium
        chromium.close()


def _open(browser, url: str):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url, wait_until="load")
    # Lazy images load once scrolled into view: walk down the page, then wait for every image to settle.
    height = page.evaluate("document.body.scrollHeight")
    for offset in range(0, height + 900, 700):
        page.evaluate(f"window.scrollTo(0, {offset})")
        page.wait_for_timeout(50)
    page.wait_for_function("Array.from(document.images).every(image => image.complete)", timeout=30000)
    page.evaluate("window.scrollTo(0, 0)")
    return page, errors


PAGES = {
    "home": "index.html",
    "backbone": "atlas/mobilenet-alpha0_25/index.html",
    "layer": "atlas/mobilenet-alpha0_25/layers/conv-pw-13/index.html",
    "image": "atlas/images/cat-chelsea/index.html",
    "width-sweep": "atlas/width-sweep.html",
    "comparison": "atlas/compare.html",
}


@pytest.mark.parametrize("kind", list(PAGES))
def test_every_page_kind_loads_with_all_images_decoded_and_no_console_error(site, browser, kind):
    page, errors = _open(browser, f"{site}/{PAGES[kind]}")
    images = page.evaluate("Array.from(document.images).map(image => [image.currentSrc, image.naturalWidth])")
    assert len(images) >= 2
    assert [source for source, width in images if width == 0] == []
    assert errors == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{kind}.png"), full_page=True)
    page.close()


def test_clicking_a_figure_opens_it_in_the_lightbox(site, browser):
    page, _ = _open(browser, f"{site}/{PAGES['layer']}")
    assert page.locator(".glightbox-container").count() == 0
    page.locator("a.glightbox[data-type=image]").first.click()  # an activation grid (heatmaps open inline, below)
    page.wait_for_selector(".glightbox-container .gslide-image img", state="visible", timeout=10000)
    page.close()


def test_searching_for_a_backbone_finds_its_page(site, browser):
    page, _ = _open(browser, f"{site}/index.html")
    search = page.locator("input.md-search__input")
    search.click()
    search.press_sequentially("my_tiny_net", delay=30)  # real key events: Material listens to keyup
    result = page.locator(".md-search-result__item a").first
    result.wait_for(timeout=15000)
    assert "my_tiny_net/index.html" in result.get_attribute("href")
    page.close()


@pytest.mark.parametrize(("word", "photo"), [("chelsea", "cat-chelsea"), ("kitten", "cat-kitten-with-yarn"), ("yarn", "cat-kitten-with-yarn")])
def test_searching_any_word_of_a_photos_name_finds_its_page(site, browser, word, photo):
    """File names join words with underscores; the search index splits them, so people find a photo by a word."""
    page, _ = _open(browser, f"{site}/index.html")
    search = page.locator("input.md-search__input")
    search.click()
    search.press_sequentially(word, delay=30)
    page.locator(".md-search-result__item a").first.wait_for(timeout=15000)
    hrefs = [link.get_attribute("href") for link in page.locator(".md-search-result__item a").all()]
    assert any(f"images/{photo}/index.html" in href for href in hrefs), hrefs
    page.close()


def test_layer_pages_are_left_out_of_the_search_index(site):
    import json
    import re
    import urllib.request

    with urllib.request.urlopen(f"{site}/search/search_index.js") as response:
        text = response.read().decode()
    index = json.loads(re.search(r"=\s*(\{.*\})", text, re.S).group(1))
    locations = {entry["location"] for entry in index["docs"]}
    assert any("my_tiny_net/index.html" in location for location in locations)
    assert not any("/layers/" in location for location in locations)


def test_the_site_opened_from_a_file_share_works_and_its_search_answers(site_folder, browser):
    """``file://``: no XHR (navigation.instant is off), and the offline plugin's search runs in an iframe worker."""
    page, errors = _open(browser, (site_folder / "index.html").as_uri())
    assert page.locator("img").count() >= 2 and errors == []
    page.locator("a[href$='my_tiny_net/index.html']").first.click()
    page.wait_for_url("**/my_tiny_net/index.html")
    page.go_back()
    search = page.locator("input.md-search__input")
    search.click()
    search.press_sequentially("shepherd", delay=30)
    result = page.locator(".md-search-result__item a").first
    result.wait_for(timeout=15000)
    assert result.get_attribute("href").startswith(("atlas/", "./atlas/", "file://"))
    page.close()


def test_browsing_every_page_kind_sends_no_request_outside_the_site(site, browser):
    """Every request the browser makes, scripts, styles, fonts and images included, goes to the site itself."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    outside: list[str] = []

    def guard(route):
        url = route.request.url
        if url.startswith((site, "data:", "blob:", "about:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    seen = 0
    for path in PAGES.values():
        page.goto(f"{site}/{path}", wait_until="load")
        for offset in range(0, page.evaluate("document.body.scrollHeight") + 900, 700):
            page.evaluate(f"window.scrollTo(0, {offset})")
            page.wait_for_timeout(30)
        page.wait_for_load_state("networkidle")
        seen += page.evaluate("performance.getEntriesByType('resource').length")
    page.locator("input.md-search__input").click()  # the search index and its worker load on first use
    page.locator("input.md-search__input").press_sequentially("cat", delay=30)
    page.wait_for_load_state("networkidle")
    context.close()
    assert seen > 20  # the guard really saw the pages' scripts, styles and images
    assert outside == []


def test_every_heatmap_and_activation_grid_has_alt_text_made_from_the_data(site, browser):
    import re

    page, _ = _open(browser, f"{site}/{PAGES['layer']}")
    alts = page.evaluate("Array.from(document.images).filter(image => !image.classList.contains('atlas-map')).map(image => image.alt)")
    maps = page.evaluate("Array.from(document.querySelectorAll('img.atlas-map')).map(image => image.alt)")
    page.close()
    assert maps == [""] * (2 * 2)  # a heatmap's colours are decoration of its photo, which carries the alt text
    heatmap = re.compile(
        r"^(Grad-CAM|LayerCAM) of layer conv_pw_13 of MobileNet \(alpha 0\.25\) for (cat_chelsea|cat_kitten_with_yarn)\.jpg, "
        r"explaining [A-Za-z_' -]+ \(\d+(\.\d+)? %\)$"
    )
    activations = re.compile(
        r"^Activations of layer conv_pw_13 of MobileNet \(alpha 0\.25\) for (cat_chelsea|cat_kitten_with_yarn)\.jpg: its first 64 channels$"
    )
    assert sum(bool(heatmap.match(alt)) for alt in alts) == 2 * 2  # two methods, two photos
    assert sum(bool(activations.match(alt)) for alt in alts) == 2
    assert any(alt.startswith("Filter mosaic of layer conv_pw_13 of MobileNet (alpha 0.25): the first 8 filters") for alt in alts)
    assert all(alt.strip() for alt in alts), alts


def _heatmap_boxes(page, scope: str = "") -> list[dict]:
    """Each composed heatmap on the page: its photo's and its map's boxes, sources and the map's opacity."""
    return page.evaluate("""scope => Array.from(document.querySelectorAll(scope + ' .atlas-heatmap')).map(box => {
        const [photo, map] = box.querySelectorAll('img');
        const rect = image => { const r = image.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; };
        return {photo: photo.getAttribute('src'), map: map.getAttribute('src'), photoBox: rect(photo), mapBox: rect(map),
                natural: [photo.naturalWidth, photo.naturalHeight], opacity: getComputedStyle(map).opacity,
                alt: photo.alt, mapAlt: map.alt};
    })""", scope)


def test_each_heatmap_is_its_map_laid_exactly_over_its_photo(site, browser):
    page, _ = _open(browser, f"{site}/{PAGES['layer']}")
    boxes = _heatmap_boxes(page)
    assert len(boxes) == 2 * 2  # two methods, two photos
    for box in boxes:
        assert box["photo"].endswith(("photos/cat-chelsea.jpg", "photos/cat-kitten-with-yarn.jpg"))
        assert box["map"].endswith(".png") and "/" not in box["map"]  # the layer's own map, beside its page
        assert box["mapBox"] == pytest.approx(box["photoBox"], abs=0.5)  # stretched over the photo, no more, no less
        width, height = box["natural"]
        assert box["photoBox"][2] / box["photoBox"][3] == pytest.approx(width / height, rel=0.02)  # not squashed
        assert float(box["opacity"]) == pytest.approx(0.4)
        assert box["alt"].startswith(("Grad-CAM of layer", "LayerCAM of layer")) and box["mapAlt"] == ""
    page.close()


def test_a_heatmap_shown_in_the_browser_is_the_blend_of_its_photo_and_its_map(site, site_folder, browser):
    """Known answer: the composed pixels are (1 - 0.4) photo + 0.4 jet(map), the map interpolated in value space."""
    import io

    import numpy as np
    from PIL import Image

    from generator.render.overlay import MAP_LEVELS, overlay

    page, _ = _open(browser, f"{site}/{PAGES['layer']}")
    composition = page.locator(".atlas-heatmap").first
    box = _heatmap_boxes(page)[0]
    shown = np.asarray(Image.open(io.BytesIO(composition.screenshot())).convert("RGB"), dtype=np.float32)
    page.evaluate("document.querySelector('.atlas-heatmap img.atlas-map').style.opacity = '0'")
    photo_alone = np.asarray(Image.open(io.BytesIO(composition.screenshot())).convert("RGB"))
    page.close()
    layer_folder = site_folder / PAGES["layer"].rsplit("/", 1)[0]
    with Image.open(layer_folder / box["map"]) as stored:
        assert stored.mode == "P"
        values = np.asarray(stored, dtype=np.float32) / (MAP_LEVELS - 1)
    expected = overlay(photo_alone, values, alpha=0.4).astype(np.float32)  # on the browser's own photo pixels
    # The outermost pixels are cut by the box's fractional edges and rounded corners, where the two layers'
    # anti-aliasing mixes with the page: compare inside them.
    difference = np.abs(shown - expected)[3:-3, 3:-3]
    assert difference.mean() < 2.5, difference.mean()  # measured: 1.1 (the map itself moves the pixels by 37)
    assert np.percentile(difference, 99) < 12, np.percentile(difference, 99)  # measured: 6
    hot = values.max() - values.min() > 0.2  # a map with contrast: the blend must show it, not the photo alone
    assert not hot or np.abs(shown - photo_alone).mean() > 5


def test_a_heatmap_opens_whole_in_the_lightbox_at_least_448_px_wide(site, browser):
    page, _ = _open(browser, f"{site}/{PAGES['layer']}")
    page.locator("a.glightbox[data-type=inline]").first.click()
    page.wait_for_selector(".glightbox-container .gslide.current .atlas-heatmap", state="visible", timeout=10000)
    page.wait_for_timeout(600)  # the opening animation
    box = _heatmap_boxes(page, ".glightbox-container .gslide.current")[0]
    assert box["photoBox"][2] >= 448 or box["photoBox"][3] >= 448
    assert box["mapBox"] == pytest.approx(box["photoBox"], abs=0.5)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "heatmap-lightbox.png"))
    page.close()
