"""Output folders the build may write to and delete from, checked before any work starts.

A build deletes things in two places: the generated sub-folder of the docs folder (files this build did not
produce) and the previous site (replaced on success). Neither may ever be a folder of the user's own: an
output folder may not contain the project, an input, or another output, and an existing site folder or
generated folder is only replaced when it carries the marks of having been made by Keras Atlas (or MkDocs).
"""

from __future__ import annotations

from pathlib import Path

from generator.config import AtlasConfig
from generator.errors import ConfigError
from generator.paths import GENERATED_SUBDIR, PROJECT_ROOT

GENERATED_MARKER = ".keras-atlas-generated"
"""File in the generated folder saying that Keras Atlas owns everything in it."""


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_output_folders(config: AtlasConfig) -> None:
    """Raise ``ConfigError`` naming the key when an output folder could touch files that are not the atlas'."""
    outputs = {
        "site_dir": Path(config.site_dir).resolve(),
        "docs_dir": Path(config.docs_dir).resolve(),
        "cache_dir": Path(config.cache_dir).resolve(),
    }
    protected = {"the project": PROJECT_ROOT.resolve(), "your home folder": Path.home().resolve(), "/": Path("/")}
    for index, source in enumerate(config.images):
        base = Path(source.split("*", 1)[0]).resolve()
        protected[f"images[{index}] ({source})"] = base if base.is_dir() else base.parent
    for key, folder in outputs.items():
        for name, other in protected.items():
            if key != "docs_dir" and _inside(other, folder):
                raise ConfigError(f"{key}: {folder} contains {name}; choose a folder of its own for the {key.replace('_dir', '')}")
            if key == "docs_dir" and folder == other and name != "the project":
                raise ConfigError(f"{key}: {folder} is {name}; choose a folder of its own for the pages")
        for other_key, other in outputs.items():
            if other_key != key and key == "site_dir" and _inside(other, folder):
                raise ConfigError(f"site_dir: {folder} contains {other_key} ({other}); the site is replaced whole on each build")
    site = outputs["site_dir"]
    if site.is_dir() and any(site.iterdir()) and not (site / "sitemap.xml").exists() and not (site / "404.html").exists():
        raise ConfigError(f"site_dir: {site} holds files that are not a built site; it would be replaced. Choose an empty or new folder")
    generated = outputs["docs_dir"] / GENERATED_SUBDIR
    if generated.is_dir() and any(generated.iterdir()) and not (generated / GENERATED_MARKER).exists():
        raise ConfigError(
            f"docs_dir: {generated} exists and was not made by Keras Atlas; its files would be replaced. "
            "Move it away or choose another docs_dir"
        )
