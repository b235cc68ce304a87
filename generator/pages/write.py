"""Render the page templates for an atlas and hand the Markdown to the writer."""

from __future__ import annotations

import html
from functools import lru_cache

import jinja2

from generator.results.breeds import TOP_K as BREED_TOP_K, breed_class, breed_table
from generator.pages.markdown import attr, count, md, percent, response, score
from generator.paths import GENERATED_SUBDIR, TEMPLATES_DIR
from generator.plan import names
from generator.results.atlas import AtlasResult, BackboneResult
from generator.results.scoring import FLAG_AT

BEST_RULE = ("the drawn layer and method whose maps score best over the atlas' photos: the mean insertion area minus "
             "the mean deletion area, among the maps that pass the sanity check")
"""How the best heatmap is chosen (``scoring.best_heatmap``), as the pages say it."""


@jinja2.pass_context
def link(context: jinja2.runtime.Context, target: str) -> str:
    """``{{ file|link }}``: the link to ``target`` from the page being rendered (``here``)."""
    return names.relative_link(target, context["here"])


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
    env.filters.update(md=md, attr=attr, count=count, percent=percent, link=link, score=score, response=response)
    env.globals.update(photo_backbone_page=names.photo_backbone_page, layer_anchor=names.layer_anchor,
                       unit_anchor=names.unit_anchor, best_rule=BEST_RULE, flag_at=FLAG_AT,
                       breed_top_k=BREED_TOP_K)
    env.globals["pages"] = {"compare": names.COMPARE_PAGE, "width_sweep": names.WIDTH_SWEEP_PAGE, "report": names.REPORT_PAGE,
                            "breeds": names.BREEDS_PAGE}
    return env


def render(template: str, here: str, **context) -> str:
    """The Markdown of the page at ``here`` (relative to the generated folder)."""
    return environment().get_template(template).render(here=here, **context)


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
    breeds = breed_table(atlas.photos, classifiers)
    pages = {
        names.HOME_SNIPPET: ("home.md.j2", dict(atlas=atlas, photos=photos, sweep=sweep, breeds=breeds,
                                                 prefix=f"{GENERATED_SUBDIR}/")),
        names.REPORT_PAGE: ("report.md.j2", dict(atlas=atlas)),
        names.COMPARE_PAGE: ("compare.md.j2", dict(backbones=classifiers, photos=atlas.photos,
                                                   untrained=any(not b.provenance.trained for b in classifiers))),
    }
    if sweep:
        pages[names.WIDTH_SWEEP_PAGE] = ("width-sweep.md.j2", dict(sweep=sweep, photos=atlas.photos))
    if breeds is not None:
        pages[names.BREEDS_PAGE] = ("breeds.md.j2", dict(table=breeds, backbones=classifiers, photos=photos))
    # what an unscored network's card shows: its deepest layer's map of the first method (every classifier draws
    # the same methods); None when no network has a classifier
    cam_title = classifiers[0].layers[-1].figures[0].heatmaps[0].title if classifiers else None
    top_k = atlas.backbones[0].page_settings["top_k"]  # the atlas' setting, the same for every backbone
    pages[names.PHOTOS_PAGE] = ("photos.md.j2", dict(photos=atlas.photos))
    for photo in atlas.photos:
        pages[photo.page] = ("image.md.j2", dict(photo=photo, backbones=atlas.backbones, cam_title=cam_title, top_k=top_k,
                                                 breed_class=breed_class(photo.breed) if photo.breed else None))
    for backbone in atlas.backbones:
        pages[backbone.page] = ("backbone.md.j2", dict(backbone=backbone, photos=photos, breeds=breeds))
        for layer in backbone.layers:
            pages[layer.page] = ("layer.md.j2", dict(backbone=backbone, layer=layer, photos=photos))
            if layer.units_page:
                pages[layer.units_page] = ("units.md.j2", dict(backbone=backbone, layer=layer, photos=photos))
        for photo in atlas.photos:
            pages[names.photo_backbone_page(photo.id, backbone.name)] = (
                "photo-backbone.md.j2", dict(backbone=backbone, photo=photo))
    for page, (template, context) in pages.items():
        writer.write(page, render(template, page, **context).encode())


def navigation(atlas: AtlasResult, hand_written: list[str]) -> list:
    """MkDocs ``nav``: the home page, hand-written pages, then each backbone with its layers, titled by name.

    Without it MkDocs titles sections after folder names ('Mobilenet alpha0 25').
    """
    def generated(page: str) -> str:
        return f"{GENERATED_SUBDIR}/{page}"

    nav: list = [{"Home": "index.md"}] + [{_title_of(page): page} for page in hand_written]
    side_by_side: list = [{"Comparison": generated(names.COMPARE_PAGE)}]
    if width_sweep(atlas):
        side_by_side.append({"Width sweep": generated(names.WIDTH_SWEEP_PAGE)})
    if any(photo.breed for photo in atlas.photos):
        side_by_side.append({"Breeds": generated(names.BREEDS_PAGE)})
    photos = [generated(names.PHOTOS_PAGE)]  # the section's index page (navigation.indexes)
    photos += [{_nav_title(photo.file_name): generated(photo.page)} for photo in atlas.photos]
    side_by_side.append({"Photos": photos})
    nav.append({"Side by side": side_by_side})
    for backbone in atlas.backbones:
        layers = [{_nav_title(layer.name): generated(layer.page)} for layer in backbone.layers]
        nav.append({_nav_title(backbone.title): [generated(backbone.page), *layers]})  # the backbone page is the section's index
    nav.append({"Build report": generated(names.REPORT_PAGE)})
    return nav


def _nav_title(text: str) -> str:
    """A navigation title: Material inserts nav titles into the HTML as they are, so names from files are escaped."""
    return html.escape(text, quote=True)


def _title_of(page: str) -> str:
    return page.rsplit("/", 1)[-1].removesuffix(".md").replace("-", " ").replace("_", " ").capitalize()
