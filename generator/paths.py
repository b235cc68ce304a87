"""Where the project's shipped files live, found relative to the package so that an editable install works."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
TEMPLATES_DIR = PROJECT_ROOT / "templates"
SAMPLE_PETS_DIR = DATA_DIR / "pets-sample"
IMAGENET_CLASS_INDEX = DATA_DIR / "imagenet_class_index.json"
GENERATED_SUBDIR = "atlas"
"""Sub-folder of the docs folder that the generator owns; git ignores it, hand-written pages live beside it."""
