"""``keras-atlas fetch-pets``: download, verify and unpack the Oxford-IIIT Pet dataset.

The archives come from the dataset's official site and are checked against the MD5 sums that torchvision and
others publish for them. A failed or corrupt download is deleted and reported; nothing half-written is left
where a later run would trust it.
"""

from __future__ import annotations

import os
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from generator.errors import AtlasError
from generator.output.files import file_digest

OFFICIAL_BASE_URL = "https://www.robots.ox.ac.uk/~vgg/data/pets/data/"


@dataclass(frozen=True)
class Archive:
    file_name: str
    md5: str


ARCHIVES = (
    Archive("images.tar.gz", "5c4f3ee8e5d25df40f4fd59a7f44e54c"),
    Archive("annotations.tar.gz", "95a8c909bbe2e81eed6a22bccdf3f68f"),
)


def fetch_pets(
    destination: Path,
    *,
    base_url: str = OFFICIAL_BASE_URL,
    archives: tuple[Archive, ...] = ARCHIVES,
    timeout: float = 30.0,
    show_progress: bool = True,
) -> Path:
    """Download, verify and unpack ``archives`` into ``destination``; returns the dataset folder."""
    destination = Path(destination)
    destination.mkdir(parents=True, exist_ok=True)
    for archive in archives:
        target = destination / archive.file_name
        if not (target.is_file() and file_digest(target, "md5") == archive.md5):
            _download(base_url.rstrip("/") + "/" + archive.file_name, target, timeout, show_progress)
            actual = file_digest(target, "md5")
            if actual != archive.md5:
                target.unlink()
                raise AtlasError(
                    f"{archive.file_name} from {base_url} failed its checksum (MD5 {actual}, expected {archive.md5}); "
                    "the file was deleted. Try again, or download it by hand into the destination folder."
                )
        with tarfile.open(target, "r:gz") as tar:
            tar.extractall(destination, filter="data")
    return destination


def _download(url: str, target: Path, timeout: float, show_progress: bool) -> None:
    partial = target.with_name(target.name + ".part")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(partial, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            with _progress(show_progress, target.name, total) as advance:
                while chunk := response.read(1 << 20):
                    out.write(chunk)
                    advance(len(chunk))
        os.replace(partial, target)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise AtlasError(f"could not download {url}: {error}. Check the network, or pass --mirror URL") from None


class _progress:
    """A rich download bar, or nothing when progress is off."""

    def __init__(self, enabled: bool, label: str, total: int | None) -> None:
        self.enabled, self.label, self.total = enabled, label, total

    def __enter__(self):
        if not self.enabled:
            return lambda count: None
        from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn

        self.bar = Progress("[bold]{task.description}", BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn())
        self.bar.__enter__()
        task = self.bar.add_task(self.label, total=self.total)
        return lambda count: self.bar.update(task, advance=count)

    def __exit__(self, *exc) -> None:
        if self.enabled:
            self.bar.__exit__(*exc)

