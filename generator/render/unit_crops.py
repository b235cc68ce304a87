"""A unit's natural examples as one strip: per example, the photo cropped to the unit's receptive field, the
unit's response map laid faintly over it, the part of the field outside the photo grey."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from generator.render.colormaps import apply_colormap
from generator.render.encode import webp_bytes
from generator.render.mosaic import tile

OUTSIDE = (128, 128, 128)
"""Where the field reaches past the photo's border: a neutral grey, distinct from the photo's own edges."""
OVERLAY_ALPHA = 0.5
"""Opacity of the response map where the unit responds as strongly as at the example's position; 0 where it
does not respond, so the photo shows through where the unit is silent."""
OVERLAY_COLOURS = "inferno"
QUALITY = 80
"""WebP quality: crops are small photos, not the noisy textures of a mosaic (90)."""
EFFORT = 4
"""WebP ``method``: 4 encoded a strip in 12.5 ms against 6's 30 ms, 0.2 % larger (measured on one strip; the
default atlas draws 1,640 strips)."""


@dataclass(frozen=True)
class Crop:
    """One example: the photo, the unit's field box in the photo's pixels, and its response patch."""

    photo: np.ndarray
    """uint8 (H, W, 3), the photo as loaded (the network saw it resized to its input, unevenly where the aspect
    differs, so the box is a rectangle here and the crop is stretched back to a square, as the network saw it)."""
    box: tuple[float, float, float, float]
    """(top, left, height, width); may reach past the photo's border."""
    patch: np.ndarray
    """uint8 (p, p): the response over the box as a fraction of the example's value (255: the value)."""


def crop_image(crop: Crop, side: int) -> np.ndarray:
    """uint8 (side, side, 3): the box of the photo, the response laid over it.

    Only the part of the box inside the photo is resampled (PIL's ``resize`` with a ``box``: antialiased, and it
    reads that region alone), then pasted on grey: a strip of eight crops of 1024 px photos took 4 times as long
    when the whole photo was averaged down first for each crop.
    """
    top, left, height, width = crop.box
    photo_height, photo_width = crop.photo.shape[:2]
    inner = (max(left, 0.0), max(top, 0.0), min(left + width, photo_width), min(top + height, photo_height))
    scale_x, scale_y = side / width, side / height
    cell = (round((inner[0] - left) * scale_x), round((inner[1] - top) * scale_y),
            round((inner[2] - left) * scale_x), round((inner[3] - top) * scale_y))
    canvas = Image.new("RGB", (side, side), OUTSIDE)
    inside = np.zeros((side, side), np.float32)
    if cell[2] > cell[0] and cell[3] > cell[1]:
        region = Image.fromarray(crop.photo).resize((cell[2] - cell[0], cell[3] - cell[1]), Image.Resampling.LANCZOS,
                                                    box=inner)
        canvas.paste(region, cell[:2])
        inside[cell[1] : cell[3], cell[0] : cell[2]] = 1.0
    response = Image.fromarray(crop.patch).resize((side, side), Image.Resampling.BILINEAR)
    fraction = np.asarray(response, np.float32) / 255.0
    alpha = (OVERLAY_ALPHA * fraction * inside)[..., None]
    blended = np.asarray(canvas, np.float32) * (1.0 - alpha) + apply_colormap(fraction, OVERLAY_COLOURS) * alpha
    return np.round(blended).astype(np.uint8)


def unit_strip(crops: list[Crop], side: int) -> bytes:
    """The WebP strip of a unit's examples, strongest first, left to right."""
    if not crops:
        raise ValueError("a unit's strip needs at least one example")
    return webp_bytes(tile(np.stack([crop_image(crop, side) for crop in crops]), columns=len(crops)), quality=QUALITY,
                      method=EFFORT)
