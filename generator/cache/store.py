"""One tier of the cache: ``key -> bytes`` files that are verified on every read, and the one get-or-make.

A file holds a magic line, the sha256 of its payload, then the payload. It is written to a temporary name and
renamed into place, so a killed build leaves either the whole entry or none; and a file that was damaged some
other way (a full disk, a copy cut short) fails the check, counts as missing and is recomputed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from generator.output.files import write_bytes_if_changed

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


def _same(value: Any) -> Any:
    return value


class Store:
    """The entries of one tier under ``folder/<key[:2]>/<key>.entry``, holding values ``encode`` turns into bytes.

    Counts hits, misses and entries made, and remembers every key the build asked for, so that
    ``keras-atlas cache --prune`` can later remove what no current build uses.
    """

    def __init__(
        self, folder: Path, *, encode: Callable[[Any], bytes] = _same, decode: Callable[[bytes], Any] = _same
    ) -> None:
        self.folder = Path(folder)
        self.encode, self.decode = encode, decode
        self.hits = 0
        self.misses = 0
        self.made = 0
        """Entries made by ``get_or_make`` (missing, or redone on purpose)."""
        self.used: set[str] = set()

    def path_for(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}{SUFFIX}"

    def get(self, key: str) -> bytes | None:
        """The raw payload of ``key``, or None when it is missing or damaged."""
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

    def has(self, key: str) -> bool:
        """Whether an intact entry of ``key`` is stored (not counted as a hit or a miss)."""
        try:
            return unseal(self.path_for(key).read_bytes()) is not None
        except OSError:
            return False

    def put(self, key: str, payload: bytes) -> None:
        self.used.add(key)
        write_bytes_if_changed(self.path_for(key), seal(payload))

    def load(self, key: str) -> Any:
        payload = self.get(key)
        return None if payload is None else self.decode(payload)

    def save(self, key: str, value: Any) -> None:
        self.put(key, self.encode(value))

    def get_or_make(self, key: str, make: Callable[[], Any], *, redo: bool = False) -> Any:
        """The value stored under ``key``; when it is missing (or ``redo``), ``make()`` it and store it first."""
        return self.get_or_make_many([key], lambda missing: [make()], redo=lambda index: redo)[0]

    def get_or_make_many(
        self, keys: Sequence[str], make: Callable[[list[int]], Iterable[Any]], *, redo: Callable[[int], bool]
    ) -> list[Any]:
        """The values of ``keys``; the missing ones (and those ``redo(index)`` names) come from one ``make`` call.

        ``make`` gets the indices of the missing keys and returns their values in that order: batched work, such
        as photos that go through the network four at a time, makes them together. Every value, made or read,
        comes back decoded from the stored bytes, so a value is the same whether this build made it or not.
        """
        values: list[Any] = [None if redo(index) else self.load(key) for index, key in enumerate(keys)]
        missing = [index for index, value in enumerate(values) if value is None]
        if missing:
            made = iter(make(missing))
            for index in missing:
                payload = self.encode(next(made))
                self.put(keys[index], payload)
                self.made += 1
                values[index] = self.decode(payload)
        return values


def entries(folder: Path) -> Iterator[Path]:
    """Every file of a tier folder in a stable order: entries, and leftovers (older formats, temporary files)."""
    if folder.is_dir():
        yield from sorted(path for path in folder.glob("*/*") if path.is_file())


def key_of(entry: Path) -> str:
    return entry.name.removesuffix(SUFFIX)
