"""A network's breed confusions as a chart: rows are the photos' breeds, columns the classes it predicted first.

Drawn with matplotlib as SVG (text stays text: searchable, sharp at any zoom). The SVG carries no date and its
element ids come from a fixed salt, so the same pairs give the same bytes.
"""

from __future__ import annotations

import io
from collections import Counter

import numpy as np


def confusion_svg(pairs: list[tuple[str, str]], title: str) -> bytes:
    """SVG of counts of (breed, predicted top-1 class) ``pairs``: a cell per breed and predicted class."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    breeds = sorted({breed for breed, _ in pairs}, key=str.lower)
    predicted = sorted({name for _, name in pairs}, key=str.lower)
    counts = Counter(pairs)
    grid = np.array([[counts[(breed, name)] for name in predicted] for breed in breeds], dtype=np.int64)
    with matplotlib.rc_context({"svg.hashsalt": "keras-atlas", "svg.fonttype": "none", "font.size": 9}):
        figure, axes = plt.subplots(figsize=(max(4.8, 1.8 + 0.45 * len(predicted)), 1.6 + 0.35 * len(breeds)))
        axes.imshow(grid, cmap="Blues", vmin=0, vmax=max(int(grid.max()), 1), aspect="auto")
        axes.set_xticks(range(len(predicted)), predicted, rotation=60, ha="right")
        axes.set_yticks(range(len(breeds)), breeds)
        axes.set_xlabel("predicted first")
        axes.set_ylabel("breed of the photo")
        axes.set_title(title, loc="left", fontsize=9, wrap=True)
        for row, column in zip(*np.nonzero(grid), strict=True):
            value = int(grid[row, column])
            axes.text(column, row, str(value), ha="center", va="center",
                      color="white" if value > grid.max() / 2 else "black")
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
        plt.close(figure)
    return buffer.getvalue()
