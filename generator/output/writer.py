"""The generated folder: files written atomically and only when changed, and the rest pruned after a build."""

from __future__ import annotations

from pathlib import Path

from generator.output.files import write_bytes_if_changed


class Writer:
    """Writes generated files under one folder and remembers which it produced (to prune the rest)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.produced: set[Path] = set()
        self.written = 0

    def write(self, relative: str, data: bytes) -> str:
        path = self.root / relative
        self.produced.add(path.resolve())
        if write_bytes_if_changed(path, data):
            self.written += 1
        return relative

    def prune(self) -> int:
        """Delete files under ``root`` that this build did not produce, then empty folders; returns the count."""
        removed = 0
        if not self.root.is_dir():
            return 0
        for path in sorted(self.root.rglob("*"), reverse=True):
            if path.is_file() and path.resolve() not in self.produced:
                path.unlink()
                removed += 1
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
        return removed
