"""Tour a built site in headless Chromium: what it weighs, what a browser fetches, and screenshots of each page kind.

    .venv/bin/python scripts/site_tour.py [SITE_DIR] [--screenshots docs/screenshots]

Prints the site's size, its pages and images, and the bytes a browser fetches to show the home page and a
backbone page (first view, then scrolled to the end so every lazy image loads). With --screenshots, saves a
WebP screenshot of each page kind there (the README shows them).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import io
import shutil
import threading
from pathlib import Path

KINDS = {
    "home": "index.html",
    "backbone": "atlas/{backbone}/index.html",
    "layer": "atlas/{backbone}/layers/{layer}/index.html",
    "image": "atlas/images/{image}/index.html",
    "photo-backbone": "atlas/images/{image}/{backbone}.html",
    "width-sweep": "atlas/width-sweep.html",
    "comparison": "atlas/compare.html",
    "scores": "atlas/{backbone}/index.html#which-heatmap-to-trust",
    "units": "atlas/{backbone}/layers/{layer}/units.html#unit-1",
}


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # no line per request
        pass


def _count(fetched: list[int], response) -> None:
    if response.ok:
        fetched.append(len(response.body()))


def first_of(folder: Path, pattern: str) -> str:
    return sorted(path.parent.name for path in folder.glob(pattern))[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("site", type=Path, nargs="?", default=Path("site"))
    parser.add_argument("--screenshots", type=Path)
    parser.add_argument("--backbone", default="efficientnet_lite0")
    parser.add_argument("--layer", help="the layer page to tour (default: the backbone's first, by name)")
    args = parser.parse_args()
    site = args.site.resolve()

    files = [path for path in site.rglob("*") if path.is_file()]
    pages = [path for path in files if path.suffix == ".html"]
    images = [path for path in files if path.suffix in (".png", ".jpg", ".webp", ".svg") and "assets" not in path.parts]
    print(f"site: {sum(path.stat().st_size for path in files) / 2**20:.1f} MiB in {len(files)} files; "
          f"{len(pages)} pages; {len(images)} images ({sum(p.stat().st_size for p in images) / 2**20:.1f} MiB)")

    backbone = args.backbone
    layer = args.layer or first_of(site / "atlas" / backbone / "layers", "*/index.html")
    image = first_of(site / "atlas" / "images", "*/index.html")
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"

    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        for kind, template in KINDS.items():
            url = f"{base}/{template.format(backbone=backbone, layer=layer, image=image)}"
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            fetched: list[int] = []
            page.on("response", functools.partial(_count, fetched))
            page.goto(url, wait_until="networkidle")
            first_view = sum(fetched)
            if args.screenshots:
                from PIL import Image

                args.screenshots.mkdir(parents=True, exist_ok=True)
                shot = Image.open(io.BytesIO(page.screenshot()))
                shot.convert("RGB").save(args.screenshots / f"{kind}.webp", quality=80, method=6)
            height = page.evaluate("document.body.scrollHeight")
            for offset in range(0, height + 1000, 800):
                page.evaluate(f"window.scrollTo(0, {offset})")
                page.wait_for_timeout(30)
            page.wait_for_load_state("networkidle")
            print(f"{kind:12} {url.removeprefix(base)}: {first_view / 1024:.0f} KiB on first view, "
                  f"{sum(fetched) / 1024:.0f} KiB scrolled to the end ({len(fetched)} requests)")
            page.close()
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main()
