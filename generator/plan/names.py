"""The names of everything a build makes: work-unit paths, figure files and pages. The one place that spells them.

Unit paths name the work in ``--only`` patterns and in shard assignment:

- ``<backbone>/<layer>``: the filter images of a layer (and its mosaic);
- ``<backbone>/images/<image>``: an image's analysis (predictions, activations, heatmaps);
- ``<backbone>/<kind>/<part>``: a unit of any other kind (``kind_unit``): ``scores/<image>``, the faithfulness
  scores and sanity check of an image's heatmaps; ``examples/<group>``, the natural examples of a group of photos
  (``units.examples.GROUP_DIGITS``);
- ``<backbone>/<layer>/<image>``: the figures of one image through one layer;
- ``<backbone>/architecture`` and ``photos/<image>``: figures that need no compute.

Files and pages are relative to the generated folder (``<docs_dir>/atlas``); pages link to them with
``relative_link``, so a template never spells a file name.
"""

from __future__ import annotations

import posixpath

from generator.photos.image import slugify

# Unit paths


def filters_unit(backbone: str, layer: str) -> str:
    return f"{backbone}/{layer}"


def analysis_unit(backbone: str, image_id: str) -> str:
    return f"{backbone}/images/{image_id}"


def kind_unit(backbone: str, kind: str, part: str) -> str:
    """A unit of a kind that names its own parts: ``scores`` of an image, ``examples`` of a group of photos."""
    return f"{backbone}/{kind}/{part}"


def layer_image_unit(backbone: str, layer: str, image_id: str) -> str:
    return f"{backbone}/{layer}/{image_id}"


def architecture_unit(backbone: str) -> str:
    return f"{backbone}/architecture"


def photo_unit(image_id: str) -> str:
    return f"photos/{image_id}"


# Figure files


def layer_slug(layer: str) -> str:
    """A layer's name as a URL part (``block_1/conv`` -> ``block-1-conv``)."""
    return slugify(layer)


def layer_folder(backbone: str, layer: str) -> str:
    return f"{backbone}/layers/{layer_slug(layer)}"


def photo_file(image_id: str) -> str:
    return f"photos/{image_id}.jpg"


def thumbnail_file(figure_file: str) -> str:
    """The WebP thumbnail shown on pages beside (and linking to) ``figure_file``."""
    return f"{figure_file.rsplit('.', 1)[0]}.thumb.webp"


def architecture_file(backbone: str, extension: str) -> str:
    return f"{backbone}/architecture.{extension}"


def confusion_file(backbone: str) -> str:
    return f"{backbone}/breed-confusions.svg"


def faithfulness_chart_file(backbone: str) -> str:
    return f"{backbone}/heatmap-scores.svg"


def mosaic_file(backbone: str, layer: str) -> str:
    return f"{layer_folder(backbone, layer)}/filters.webp"


def crops_file(backbone: str, layer: str, unit: int) -> str:
    """The strip of a unit's natural examples."""
    return f"{layer_folder(backbone, layer)}/unit-{unit}.webp"


def activations_file(backbone: str, layer: str, image_id: str) -> str:
    return f"{layer_folder(backbone, layer)}/activations-{image_id}.png"


def heatmap_file(backbone: str, layer: str, method: str, image_id: str) -> str:
    return f"{layer_folder(backbone, layer)}/{method_slug(method)}-{image_id}.png"


def method_slug(method: str) -> str:
    """A CAM method's name as a file and HTML id part (``gradcam++`` -> ``gradcam-plus-plus``)."""
    return slugify(method.replace("++", "-plus-plus"))


# Pages

HOME_SNIPPET = "_home.md"
"""Generated card grid, included by the hand-written ``site_src/index.md`` (MkDocs itself skips ``_*.md``)."""
REPORT_PAGE = "report.md"
COMPARE_PAGE = "compare.md"
WIDTH_SWEEP_PAGE = "width-sweep.md"
BREEDS_PAGE = "breeds.md"
PHOTOS_PAGE = "images/index.md"


def photo_page(image_id: str) -> str:
    return f"images/{image_id}/index.md"


def photo_backbone_page(image_id: str, backbone: str) -> str:
    """A photo through every drawn layer of one backbone: its heatmaps layer by layer."""
    return f"images/{image_id}/{backbone}.md"


def layer_anchor(layer: str) -> str:
    """The id of a layer's section on a photo-through-backbone page."""
    return f"layer-{layer_slug(layer)}"


def backbone_page(backbone: str) -> str:
    return f"{backbone}/index.md"


def layer_page(backbone: str, layer: str) -> str:
    return f"{layer_folder(backbone, layer)}/index.md"


def units_page(backbone: str, layer: str) -> str:
    """A layer's units, each with its filter image, natural examples and numbers (``units.html#unit-12``)."""
    return f"{layer_folder(backbone, layer)}/units.md"


def unit_anchor(unit: int) -> str:
    """The id of a unit's section on its layer's units page: stable, so that people can cite it."""
    return f"unit-{unit}"


def relative_link(target: str, page: str) -> str:
    """The link from ``page`` to ``target``, both relative to the generated folder."""
    return posixpath.relpath(target, posixpath.dirname(page) or ".")
