"""The docs folder and ``mkdocs build``.

The project's ``mkdocs.yml`` is the one source of site settings. A build derives from it a config with this
atlas' title and folders, and builds into a temporary folder that replaces the old site only on success: a
failed build never deletes the previous site.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from generator.cache.layout import CacheLayout
from generator.config import AtlasConfig
from generator.errors import AtlasError
from generator.output.files import write_text_if_changed
from generator.paths import GENERATED_SUBDIR, PROJECT_ROOT

MKDOCS_CONFIG = PROJECT_ROOT / "mkdocs.yml"
HAND_WRITTEN_DOCS = PROJECT_ROOT / "site_src"


def prepare_docs_dir(docs_dir: Path) -> None:
    """Give a docs folder other than the project's the hand-written pages and styles it needs (never overwriting)."""
    docs_dir = Path(docs_dir)
    if docs_dir.resolve() == HAND_WRITTEN_DOCS.resolve():
        return
    for source in HAND_WRITTEN_DOCS.rglob("*"):
        relative = source.relative_to(HAND_WRITTEN_DOCS)
        if relative.parts[0] == GENERATED_SUBDIR or not source.is_file():
            continue
        target = docs_dir / relative
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)


def hand_written_pages(docs_dir: Path) -> list[str]:
    """Markdown pages of the docs folder outside the generated sub-folder, other than the home page."""
    docs_dir = Path(docs_dir)
    pages = []
    for path in sorted(docs_dir.rglob("*.md")):
        relative = path.relative_to(docs_dir).as_posix()
        if relative != "index.md" and not relative.startswith(GENERATED_SUBDIR + "/") and not path.name.startswith("_"):
            pages.append(relative)
    return pages


def derived_mkdocs_config(config: AtlasConfig, nav: list | None = None) -> dict:
    """``mkdocs.yml`` with this atlas' title, docs folder, snippet path (all absolute) and navigation."""
    settings = yaml.safe_load(MKDOCS_CONFIG.read_text(encoding="utf-8"))
    docs_dir = Path(config.docs_dir).resolve()
    settings["site_name"] = config.title
    settings["docs_dir"] = str(docs_dir)
    if nav is not None:
        settings["nav"] = nav
    extensions = []
    for extension in settings.get("markdown_extensions", []):
        if isinstance(extension, dict) and "pymdownx.snippets" in extension:
            pages = str(CacheLayout(Path(config.cache_dir).resolve()).pages)  # the build's timings (see report.TIMINGS_PAGE)
            extension = {"pymdownx.snippets": {**extension["pymdownx.snippets"], "base_path": [str(docs_dir), pages]}}
        extensions.append(extension)
    settings["markdown_extensions"] = extensions
    return settings


def build_site(config: AtlasConfig, nav: list | None = None) -> Path:
    """Run ``mkdocs build --strict`` and put the result at ``config.site_dir``."""
    site_dir = Path(config.site_dir).resolve()
    staging = site_dir.with_name(site_dir.name + ".building")
    derived = CacheLayout(Path(config.cache_dir).resolve()).mkdocs_config
    write_text_if_changed(derived, yaml.safe_dump(derived_mkdocs_config(config, nav), sort_keys=False, allow_unicode=True))
    shutil.rmtree(staging, ignore_errors=True)
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(derived), "-d", str(staging)],
        capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        output = (result.stderr + result.stdout).strip().splitlines()
        raise AtlasError("mkdocs build --strict failed; the previous site was kept:\n" + "\n".join(output[-15:]))
    previous = site_dir.with_name(site_dir.name + ".previous")
    shutil.rmtree(previous, ignore_errors=True)
    if site_dir.exists():
        site_dir.rename(previous)
    staging.rename(site_dir)
    shutil.rmtree(previous, ignore_errors=True)
    return site_dir
