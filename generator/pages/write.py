"""Render the page templates for an atlas and hand the Markdown to the writer."""

from __future__ import annotations

import html
from functools import lru_cache

import jinja2

from generator.pages.markdown import attr, count, md, percent
from generator.paths import GENERATED_SUBDIR, TEMPLATES_DIR
from generator.results import AtlasResult, BackboneResult

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


def width_sweep(atlas: AtlasResult) -> list[BackboneResult]:
    """The backbones of the first application drawn at two or more widths (alphas), narrowest first."""
    groups: dict[str, list[BackboneResult]] = {}
    for backbone in atlas.backbones:
        if backbone.alpha is not None:
            groups.setdefault(backbone.application, []).append(backbone)
    for members in groups.values():
        if len(members) >= 2 and len({len(member.layers) for member in members}) == 1:
            return sorted(members, key=lambda member: member.alpha)
    return []


def write_pages(atlas: AtlasResult, writer) -> None:
    """Write the home snippet, the comparison, width-sweep and photo pages, a page per backbone and per layer."""
    photos = {photo.id: photo for photo in atlas.photos}
    sweep = width_sweep(atlas)
    classifiers = [backbone for backbone in atlas.backbones if backbone.has_classifier]
    writer.write(
        HOME_SNIPPET,
        render("home.md.j2", atlas=atlas, photos=photos, sweep=sweep, prefix=f"{GENERATED_SUBDIR}/").encode(),
    )
    writer.write("report.md", render("report.md.j2", atlas=atlas).encode())
    writer.write("compare.md", render("compare.md.j2", backbones=classifiers, photos=atlas.photos,
                                      untrained=any(not b.provenance.trained for b in classifiers)).encode())
    if sweep:
        writer.write("width-sweep.md", render("width-sweep.md.j2", sweep=sweep, photos=atlas.photos).encode())
    cam_title = next((figure.heatmaps[0][0] for backbone in classifiers for figure in backbone.layers[-1].figures
                      if figure.heatmaps), "Grad-CAM")
    top_k = next((backbone.settings.get("top_k") for backbone in atlas.backbones), 3)
    writer.write("images/index.md", render("photos.md.j2", photos=atlas.photos).encode())
    for photo in atlas.photos:
        writer.write(f"images/{photo.id}/index.md", render("image.md.j2", photo=photo, backbones=atlas.backbones,
                                                         cam_title=cam_title, top_k=top_k).encode())
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
    side_by_side: list = [{"Comparison": f"{GENERATED_SUBDIR}/compare.md"}]
    if width_sweep(atlas):
        side_by_side.append({"Width sweep": f"{GENERATED_SUBDIR}/width-sweep.md"})
    photos = [f"{GENERATED_SUBDIR}/images/index.md"]  # the section's index page (navigation.indexes)
    photos += [{_nav_title(photo.file_name): f"{GENERATED_SUBDIR}/images/{photo.id}/index.md"} for photo in atlas.photos]
    side_by_side.append({"Photos": photos})
    nav.append({"Side by side": side_by_side})
    for backbone in atlas.backbones:
        base = f"{GENERATED_SUBDIR}/{backbone.name}"
        layers = [{_nav_title(layer.name): f"{base}/layers/{layer.slug}/index.md"} for layer in backbone.layers]
        nav.append({_nav_title(backbone.title): [f"{base}/index.md", *layers]})  # the backbone page is the section's index
    nav.append({"Build report": f"{GENERATED_SUBDIR}/report.md"})
    return nav


def _nav_title(text: str) -> str:
    """A navigation title: Material inserts nav titles into the HTML as they are, so names from files are escaped."""
    return html.escape(text, quote=True)


def _title_of(page: str) -> str:
    return page.rsplit("/", 1)[-1].removesuffix(".md").replace("-", " ").replace("_", " ").capitalize()
