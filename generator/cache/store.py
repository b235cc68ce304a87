"""One tier of the cache: ``key -> bytes`` files that are verified on every read.

A file holds a magic line, the sha256 of its payload, then the payload. It is written to a temporary name and
renamed into place, so a killed build leaves either the whole entry or none; and a file that was damaged some
other way (a full disk, a copy cut short) fails the check, counts as missing and is recomputed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

from generator.files import write_bytes_if_changed

MAGIC = b"keras-atlas cache 1\n"
DIGEST_SIZE = 32
SUFFIX = ".entry"


def seal(payload: bytes) -> bytes:
    """The bytes stored for ``payload``."""
    return MAGIC + hashlib.sha256(payload).digest() + payload


def unseal(data: bytes) -> bytes | None:
    """The payload, or None when the bytes are not a whole, intact entry."""
    header = len(MAGIC) + DIGEST_SIZE
    if len(data) < header or not data.startswith(MAGIC):
        return None
    payload = data[header:]
    if hashlib.sha256(payload).digest() != data[len(MAGIC) : header]:
        return None
    return payload


class Store:
    """The entries of one tier (``arrays`` or ``figures``) under ``root/<tier>/<key[:2]>/<key>.entry``.

    Counts hits and misses, and remembers every key the build asked for, so that ``keras-atlas cache --prune``
    can later remove what no current build uses.
    """

    def __init__(self, root: Path, tier: str) -> None:
        self.folder = Path(root) / tier
        self.hits = 0
        self.misses = 0
        self.used: set[str] = set()

    def path_for(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}{SUFFIX}"

    def get(self, key: str) -> bytes | None:
        self.used.add(key)
        try:
            payload = unseal(self.path_for(key).read_bytes())
        except OSError:
            payload = None
        if payload is None:
            self.misses += 1
        else:
            self.hits += 1
        return payload

    def put(self, key: str, payload: bytes) -> None:
        self.used.add(key)
        write_bytes_if_changed(self.path_for(key), seal(payload))


def entries(folder: Path) -> Iterator[Path]:
    """Every file of a tier folder in a stable order: entries, and leftovers (older formats, temporary files)."""
    if folder.is_dir():
        yield from sorted(path for path in folder.glob("*/*") if path.is_file())


def key_of(entry: Path) -> str:
    return entry.name.removesuffix(SUFFIX)
