"""A photo of the atlas and its pixels: ``SourceImage``, decoding and resizing.

Every unit that takes photos reads their pixels through this module, so it is part of their code (the code hash,
``cache.code``); where the photos come from (files, folders, globs, the Oxford-IIIT Pet list) is
``photos.folders``, which shapes no pixel: editing it recomputes nothing.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from generator.errors import AtlasError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp")
MAX_PIXELS = 40_000_000
"""Larger images are refused before decoding: a decompression-bomb guard."""
MAX_SIDE = 1024
"""Photos are kept at most this large on their long side; every backbone input is smaller."""


@dataclass(frozen=True)
class SourceImage:
    """One photo, decoded, oriented and converted to RGB: held in memory, or read again from its file when needed
    (a large examples set: 7,349 Oxford-IIIT Pet photos would hold 4 GB and more)."""

    id: str
    """URL-safe, unique within the atlas."""
    path: Path
    sha256: str
    pixels: np.ndarray | None = field(default=None, repr=False)
    """uint8 (H, W, 3); None for a photo not held (``load_images(..., hold=False)``): use ``decoded()``."""
    breed: str | None = None
    species: str | None = None

    @property
    def file_name(self) -> str:
        return self.path.name

    def decoded(self) -> np.ndarray:
        """uint8 (H, W, 3): the held pixels, or the file decoded again (its bytes must still be those hashed)."""
        return self.pixels if self.pixels is not None else _decode_again(self.path, self.sha256)

    def resized(self, size: tuple[int, int]) -> np.ndarray:
        """uint8 (height, width, 3), bilinear resize of the whole photo (the aspect ratio is not kept)."""
        height, width = size
        image = Image.fromarray(self.decoded()).resize((width, height), Image.Resampling.BILINEAR)
        return np.asarray(image, dtype=np.uint8)


@lru_cache(maxsize=32)
def _decode_again(path: Path, sha256: str) -> np.ndarray:
    """A photo not held, decoded from its file; the last few are kept, as a units page draws a photo's crops for
    several units in a row (32 photos: at most 100 MB at ``MAX_SIDE``)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise AtlasError(f"{path} can no longer be read ({error.strerror or error}); it was read when the build "
                         "started: restore it or run the build again") from None
    if hashlib.sha256(data).hexdigest() != sha256:
        raise AtlasError(f"{path} changed during the build; run the build again (every result comes from the bytes "
                         "read when it started)")
    return decode_image(data)


# ----------------------------------------------------------------------------------------------------------
# Decoding


def decode_image(data: bytes) -> np.ndarray:
    """uint8 RGB pixels of an encoded image; EXIF orientation applied, first frame, alpha over white."""
    import io

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            pixels = " ".join(str(error).split()[:3])  # "Image size (N pixels)"
            raise ValueError(f"{pixels} is over the limit of {MAX_PIXELS:,} (decompression-bomb guard)") from None
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise ValueError(f"{width}x{height} pixels is over the limit of {MAX_PIXELS:,} (decompression-bomb guard)")
        image.seek(0)
        image.load()
    image = ImageOps.exif_transpose(image)
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        values = np.asarray(image, dtype=np.float64)
        peak = values.max() if values.size and values.max() > 0 else 1.0
        image = Image.fromarray(np.round(values / peak * 255.0).astype(np.uint8), mode="L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    image = image.convert("RGB")
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    return np.asarray(image, dtype=np.uint8)


def slugify(text: str) -> str:
    """Lower-case ASCII letters, digits and hyphens only: safe in URLs, file names and Markdown."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or "image"
