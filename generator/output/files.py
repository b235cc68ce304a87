"""Atomic, change-aware file writes.

Every file of the atlas goes through ``write_bytes_if_changed``: a killed build never leaves a truncated file
behind (temporary name, then ``os.replace``), and an unchanged file keeps its modification time, so MkDocs,
rsync and reviewers see only what really changed.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def file_digest(path: Path, algorithm: str) -> str:
    """Hex digest of a file's bytes (``sha256``, ``md5``...), read in chunks."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, algorithm).hexdigest()


def write_bytes_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` atomically unless the file already holds exactly these bytes.

    Returns True when the file was written.
    """
    path = Path(path)
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp_name, 0o666 & ~_umask())  # mkstemp makes files private; give the user's usual mode
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return True


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_text_if_changed(path: Path, text: str) -> bool:
    """Text flavour of ``write_bytes_if_changed`` (UTF-8, newlines as given)."""
    return write_bytes_if_changed(path, text.encode("utf-8"))
