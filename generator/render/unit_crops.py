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
"""WebP quality: crops are small photos; 80 keeps fur and edges at a third of the bytes of 90 (measured, see
``benchmarks/README.md``)."""


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
    """uint8 (side, side, 3): the box of the photo, the response laid over it."""
    top, left, height, width = crop.box
    image = Image.fromarray(crop.photo)
    work = 2 * side
    # averaging the photo down first: a field of hundreds of photo pixels shown at ``side`` would alias
    factor = max(1, int(min(height, width) // work))
    if factor > 1:
        image = image.reduce(factor)
    extent = (left / factor, top / factor, (left + width) / factor, (top + height) / factor)
    pixels = image.transform((work, work), Image.Transform.EXTENT, extent, Image.Resampling.BILINEAR, fillcolor=OUTSIDE)
    inside = Image.new("L", image.size, 255).transform((work, work), Image.Transform.EXTENT, extent,
                                                       Image.Resampling.BILINEAR, fillcolor=0)
    pixels = pixels.resize((side, side), Image.Resampling.LANCZOS)
    inside = np.asarray(inside.resize((side, side), Image.Resampling.BILINEAR), np.float32) / 255.0
    response = Image.fromarray(crop.patch).resize((side, side), Image.Resampling.BILINEAR)
    fraction = np.asarray(response, np.float32) / 255.0
    alpha = (OVERLAY_ALPHA * fraction * inside)[..., None]
    blended = np.asarray(pixels, np.float32) * (1.0 - alpha) + apply_colormap(fraction, OVERLAY_COLOURS) * alpha
    return np.round(blended).astype(np.uint8)


def unit_strip(crops: list[Crop], side: int) -> bytes:
    """The WebP strip of a unit's examples, strongest first, left to right."""
    if not crops:
        raise ValueError("a unit's strip needs at least one example")
    return webp_bytes(tile(np.stack([crop_image(crop, side) for crop in crops]), columns=len(crops)), quality=QUALITY)
