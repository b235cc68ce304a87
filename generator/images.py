"""The photos of an atlas: files, folders and globs, and the Oxford-IIIT Pet layout.

Each photo becomes a ``SourceImage`` with a URL-safe id, its bytes' hash (part of every cache key) and, for an
Oxford-IIIT Pet folder, its breed and species. A file that cannot be used is skipped with a reason, not fatal:
the build goes on and the reasons are reported.
"""

from __future__ import annotations

import glob
import hashlib
import re
import warnings
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from generator.errors import AtlasError, ConfigError

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


@dataclass(frozen=True)
class SkippedFile:
    """A file that was not used, and why."""

    path: Path
    reason: str


@dataclass(frozen=True)
class ImageSet:
    images: list[SourceImage]
    skipped: list[SkippedFile]


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


# ----------------------------------------------------------------------------------------------------------
# Finding files


@dataclass(frozen=True)
class _Candidate:
    path: Path
    breed: str | None = None
    species: str | None = None


def is_oxford_pets_folder(folder: Path) -> bool:
    """Whether ``folder`` has the Oxford-IIIT Pet layout: ``images/*.jpg`` and ``annotations/list.txt``."""
    return (folder / "images").is_dir() and (folder / "annotations" / "list.txt").is_file()


def oxford_pets_candidates(folder: Path, per_breed: int | None) -> list[_Candidate]:
    """Images listed in ``annotations/list.txt``, with breed and species, ``per_breed`` of each breed."""
    species_names = {"1": "cat", "2": "dog"}
    by_breed: dict[str, list[_Candidate]] = defaultdict(list)
    for number, line in enumerate((folder / "annotations" / "list.txt").read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split()
        if len(fields) < 4:
            raise AtlasError(f"{folder / 'annotations' / 'list.txt'}:{number}: expected 'IMAGE CLASS SPECIES BREED', got {line!r}")
        name, species = fields[0], species_names.get(fields[2], fields[2])
        breed = name.rsplit("_", 1)[0].replace("_", " ")
        by_breed[breed].append(_Candidate(folder / "images" / f"{name}.jpg", breed, species))
    chosen = []
    for breed in sorted(by_breed):
        entries = sorted(by_breed[breed], key=lambda candidate: candidate.path.name)
        chosen.extend(entries[:per_breed] if per_breed else entries)
    return chosen


def find_candidates(sources: list[str], per_breed: int | None) -> list[_Candidate]:
    """Expand files, folders and globs into image candidates, in a stable order, without duplicates."""
    found: list[_Candidate] = []
    for source in sources:
        path = Path(source)
        if any(char in source for char in "*?["):
            matches = sorted(Path(match) for match in glob.glob(source, recursive=True))
            if not matches:
                raise AtlasError(f"images: the pattern {source!r} matches no file")
            found.extend(_Candidate(match) for match in matches if match.suffix.lower() in IMAGE_SUFFIXES)
        elif path.is_dir():
            if is_oxford_pets_folder(path):
                found.extend(oxford_pets_candidates(path, per_breed))
            else:
                found.extend(_Candidate(match) for match in _walk(path))
        elif path.is_file():
            found.append(_Candidate(path))
        else:
            raise ConfigError(f"images: {source} does not exist; give a file, a folder or a glob")
    unique, seen = [], set()
    for candidate in found:
        key = candidate.path.resolve() if candidate.path.exists() else candidate.path
        if key not in seen:
            seen.add(key)
            unique.append(candidate)
    return unique


def _walk(folder: Path) -> list[Path]:
    """Image files under ``folder``, sorted, following no symbolic link to a folder (no loops)."""
    results = []
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file():
            results.append(path)
    return results


def load_images(sources: list[str], per_breed: int | None = None, hold: bool = True,
                progress: Callable[[int], Callable[[], None]] | None = None) -> ImageSet:
    """Decode every image the sources name; unusable files are skipped with a reason. ``hold``: keep the decoded
    pixels (False: each photo is decoded here only to be checked, and again from its file where it is used, so
    that memory does not grow with the number of photos). ``progress``: given the number of files, returns what
    to call after each (a progress bar). One file at a time: ``decode_image`` turns Pillow's decompression-bomb
    warning into an error with ``warnings.catch_warnings``, which is not thread-safe."""
    candidates = find_candidates(sources, per_breed)
    advance = progress(len(candidates)) if progress else (lambda: None)

    def read(candidate: _Candidate) -> tuple[str, np.ndarray | None] | SkippedFile:
        try:
            data = candidate.path.read_bytes()
            if not data:
                raise ValueError("the file is empty")
            pixels = decode_image(data)
            return hashlib.sha256(data).hexdigest(), pixels if hold else None
        except Exception as error:  # any decoder failure means 'skip this file', never 'stop the atlas'
            return SkippedFile(candidate.path, _reason(error))

    images, skipped, taken = [], [], set()
    for candidate in candidates:
        outcome = read(candidate)
        advance()
        if isinstance(outcome, SkippedFile):
            skipped.append(outcome)
            continue
        base = slugify(candidate.path.stem)
        image_id, suffix = base, 2
        while image_id in taken:
            image_id, suffix = f"{base}-{suffix}", suffix + 1
        taken.add(image_id)
        sha256, pixels = outcome
        images.append(SourceImage(image_id, candidate.path, sha256, pixels, candidate.breed, candidate.species))
    return ImageSet(images, skipped)


def _reason(error: Exception) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    if type(error).__name__ == "UnidentifiedImageError":
        return "not an image Pillow can read"
    return text[:200]
