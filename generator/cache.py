"""A content-addressed cache of computed arrays, between compute and render.

A key is the sha256 of everything an array depends on: the backbone and its weights' hash, the image's bytes,
the layers, every parameter, the seed, and a hash of the compute code. Nothing is recomputed whose key did not
change, and nothing stale is ever reused after the code changes. Entries are written atomically; an entry that
cannot be read back whole counts as missing and is recomputed.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from generator.files import write_bytes_if_changed

PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def code_hash(*relative_folders: str) -> str:
    """sha256 over the Python sources of the given package folders: the 'version' of the code computing a value."""
    digest = hashlib.sha256()
    for folder in relative_folders:
        for path in sorted((PACKAGE_DIR / folder).rglob("*.py")):
            digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def make_key(**parts: Any) -> str:
    """sha256 of the canonical JSON of ``parts`` (sorted keys; tuples as lists)."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ArrayCache:
    """``key -> {name: ndarray}`` stored as ``.npz`` files under ``root/arrays``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root) / "arrays"
        self.hits = 0
        self.misses = 0

    def path_for(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.npz"

    def get(self, key: str) -> dict[str, np.ndarray] | None:
        path = self.path_for(key)
        try:
            with np.load(path, allow_pickle=False) as stored:
                arrays = {name: stored[name] for name in stored.files}
        except (FileNotFoundError, OSError, ValueError, zipfile.BadZipFile, EOFError):
            self.misses += 1
            return None
        self.hits += 1
        return arrays

    def put(self, key: str, arrays: dict[str, np.ndarray]) -> None:
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        write_bytes_if_changed(self.path_for(key), buffer.getvalue())
