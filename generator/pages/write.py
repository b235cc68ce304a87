"""Render the page templates for an atlas and hand the Markdown to the writer."""

from __future__ import annotations

from functools import lru_cache

import jinja2

from generator.pages.markdown import attr, count, md, percent
from generator.paths import GENERATED_SUBDIR, TEMPLATES_DIR
from generator.results import AtlasResult

HOME_SNIPPET = "_home.md"
"""Generated card grid, included by the hand-written ``site_src/index.md`` (MkDocs itself skips ``_*.md``)."""


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # Markdown, not HTML: every user-supplied string goes through |md or |attr instead
    )
    env.filters.update(md=md, attr=attr, count=count, percent=percent)
    return env


def render(template: str, **context) -> str:
    return environment().get_template(template).render(**context)


def write_pages(atlas: AtlasResult, writer) -> None:
    """Write the home snippet, a page per backbone and a page per drawn layer."""
    photos = {photo.id: photo for photo in atlas.photos}
    writer.write(
        HOME_SNIPPET,
        render("home.md.j2", atlas=atlas, photos=photos, prefix=f"{GENERATED_SUBDIR}/").encode(),
    )
    writer.write("report.md", render("report.md.j2", atlas=atlas).encode())
    for backbone in atlas.backbones:
        writer.write(f"{backbone.name}/index.md", render("backbone.md.j2", backbone=backbone, photos=photos).encode())
        for layer in backbone.layers:
            writer.write(
                f"{backbone.name}/layers/{layer.slug}/index.md",
                render("layer.md.j2", backbone=backbone, layer=layer, photos=photos).encode(),
            )


def navigation(atlas: AtlasResult, hand_written: list[str]) -> list:
    """MkDocs ``nav``: the home page, hand-written pages, then each backbone with its layers, titled by name.

    Without it MkDocs titles sections after folder names ('Mobilenet alpha0 25').
    """
    nav: list = [{"Home": "index.md"}] + [{_title_of(page): page} for page in hand_written]
    for backbone in atlas.backbones:
        base = f"{GENERATED_SUBDIR}/{backbone.name}"
        layers = [{layer.name: f"{base}/layers/{layer.slug}/index.md"} for layer in backbone.layers]
        nav.append({backbone.title: [f"{base}/index.md", {"Layers": layers}]})
    nav.append({"Build report": f"{GENERATED_SUBDIR}/report.md"})
    return nav


def _title_of(page: str) -> str:
    return page.rsplit("/", 1)[-1].removesuffix(".md").replace("-", " ").replace("_", " ").capitalize()
