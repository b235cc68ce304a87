"""Where an atlas' photos come from: files, folders and globs, and the Oxford-IIIT Pet layout.

Each photo becomes a ``SourceImage`` (``images``) with a URL-safe id, its bytes' hash (part of every cache key)
and, for an Oxford-IIIT Pet folder, its breed and species. A file that cannot be used is skipped with a reason,
not fatal: the build goes on and the reasons are reported. Nothing here shapes a pixel, so no unit's code hash
covers this module.
"""

from __future__ import annotations

import glob
import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from generator.errors import AtlasError, ConfigError
from generator.photos.image import IMAGE_SUFFIXES, SourceImage, decode_image, slugify


@dataclass(frozen=True)
class SkippedFile:
    """A file that was not used, and why."""

    path: Path
    reason: str


@dataclass(frozen=True)
class ImageSet:
    images: list[SourceImage]
    skipped: list[SkippedFile]


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
